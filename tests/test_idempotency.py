"""Idempotent batches (issue 6): a batch applied twice is recognised and appends nothing.

Ledger rule "idempotent batches" (commands/idempotency.py): the batch id is the
digest of the canonical JSON of the parsed facts, or ``--idempotency-key``.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from commands.handlers import apply_facts
from commands.idempotency import content_batch_id
from commands.parsing import parse_jsonl
from commands.store.application import open_store
from domain.chain import canonical_bytes, digest
from tests.clirun import one_clear_line, run_cli, stored_count
from tests.ledger import claim, closed, fact, margin, to_jsonl

HISTORY = [*closed(), margin("2003-01", "100000.00"), claim("C1", "2004-01-15", "30000")]


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "s.sqlite"
    assert run_cli(capsys, "--store", str(path), "new", "APA").code == 0
    return path


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_same_batch_twice_is_recognised_and_appends_nothing(store: Path, tmp_path: Path, capsys) -> None:
    """Re-applying the same file names the positions of the first application; nothing is appended."""
    batch = write(tmp_path, "h.jsonl", to_jsonl(*HISTORY))
    first = run_cli(capsys, "--store", str(store), "apply", "APA", batch)
    assert first.code == 0 and "appended 5 events" in first.out
    again = run_cli(capsys, "--store", str(store), "apply", "APA", batch)
    assert again.code == 0
    assert again.out.startswith("already applied at positions 2-6 of APA (batch sha256:")
    assert stored_count(store) == 6


def test_whitespace_key_order_crlf_and_bom_are_formatting_not_content(store: Path, tmp_path: Path, capsys) -> None:
    """The same facts re-serialised (CRLF, BOM, blank lines, other key order) are the same batch."""
    run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "a.jsonl", to_jsonl(*HISTORY)))
    lines = [json.dumps(dict(reversed(list(f.items()))), indent=None, separators=(" ,", " :  ")) for f in HISTORY]
    windows = b"\xef\xbb\xbf" + "\r\n\r\n".join(lines).encode() + b"\r\n"
    again = run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "b.jsonl", windows))
    assert again.out.startswith("already applied at positions 2-6")
    assert stored_count(store) == 6


def test_value_formatting_differs_without_a_key_and_is_then_checked_by_the_rules(
    store: Path, tmp_path: Path, capsys
) -> None:
    """ "30000" and "30000.00" are different content: without a key the batch is planned again,
    and the rules refuse it (8.3: a claim is asserted once) - still nothing appended."""
    run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "a.jsonl", to_jsonl(*HISTORY)))
    reformatted = [*HISTORY[:-1], claim("C1", "2004-01-15", "30000.00")]
    again = run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "b.jsonl", to_jsonl(*reformatted)))
    assert one_clear_line(again) and "(1.4)" in again.err
    assert stored_count(store) == 6


def test_idempotency_key_recognises_a_batch_whose_values_are_formatted_differently(
    store: Path, tmp_path: Path, capsys
) -> None:
    """--idempotency-key: "30000" then "30000.00" under one key are the same facts; recognised."""
    key = ("--idempotency-key", "upload-2004-01-16")
    run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "a.jsonl", to_jsonl(*HISTORY)), *key)
    reformatted = [*HISTORY[:-1], claim("C1", "2004-01-15", "30000.00")]
    again = run_cli(
        capsys, "--store", str(store), "apply", "APA", write(tmp_path, "b.jsonl", to_jsonl(*reformatted)), *key
    )
    assert again.code == 0
    assert again.out == "already applied at positions 2-6 of APA (batch key:upload-2004-01-16); nothing appended\n"
    assert stored_count(store) == 6


def test_idempotency_key_reused_for_different_facts_is_refused(store: Path, tmp_path: Path, capsys) -> None:
    """A key names one batch: reused for other facts it is refused, so no fact is silently dropped."""
    key = ("--idempotency-key", "k1")
    run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "a.jsonl", to_jsonl(*closed())), *key)
    other = write(tmp_path, "b.jsonl", to_jsonl(margin("2003-01", "100000.00")))
    refused = run_cli(capsys, "--store", str(store), "apply", "APA", other, *key)
    assert one_clear_line(refused)
    assert "idempotency key 'k1' was used for different facts at positions 2-4" in refused.err
    assert stored_count(store) == 4


def test_distinct_keys_apply_identical_content_twice_on_purpose(store: Path, tmp_path: Path, capsys) -> None:
    """Escrow Agreement, 8.1(c): two identical releases on one day are two facts when the caller says so."""
    run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "a.jsonl", to_jsonl(*closed())))
    release = write(tmp_path, "r.jsonl", to_jsonl(fact("EscrowReleased", "2004-05-01", shares=100)))
    for key in ("release-1", "release-2", "release-2"):
        assert run_cli(capsys, "--store", str(store), "apply", "APA", release, "--idempotency-key", key).code == 0
    assert stored_count(store) == 6


def test_dry_run_of_an_applied_batch_says_so(store: Path, tmp_path: Path, capsys) -> None:
    batch = write(tmp_path, "h.jsonl", to_jsonl(*HISTORY))
    run_cli(capsys, "--store", str(store), "apply", "APA", batch)
    dry = run_cli(capsys, "--store", str(store), "apply", "APA", batch, "--dry-run")
    assert dry.code == 0 and dry.out.startswith("already applied at positions 2-6")


@pytest.mark.parametrize("key", ["", "has space", "x" * 129, "tab\there", "é"])
def test_malformed_idempotency_key_is_refused(store: Path, tmp_path: Path, capsys, key: str) -> None:
    batch = write(tmp_path, "h.jsonl", to_jsonl(*closed()))
    refused = run_cli(capsys, "--store", str(store), "apply", "APA", batch, "--idempotency-key", key)
    assert one_clear_line(refused) and "--idempotency-key" in refused.err
    assert stored_count(store) == 1


def test_batch_id_is_covered_by_the_hash_chain(store: Path, tmp_path: Path, capsys) -> None:
    """The batch id is part of the sealed event: changing it changes the hash."""
    run_cli(capsys, "--store", str(store), "apply", "APA", write(tmp_path, "h.jsonl", to_jsonl(*closed())))
    event = open_store(str(store)).load("APA").events[-1]
    assert event.batch.startswith("sha256:") and digest(event) == event.hash
    assert digest(event.model_copy(update={"batch": "key:forged"})) != event.hash


def test_events_without_a_batch_keep_the_canonical_form_they_were_sealed_with(store: Path) -> None:
    """Events recorded before batch ids existed hash exactly as before (no "batch" key)."""
    registered = open_store(str(store)).load("APA").events[0]
    assert registered.batch == "" and b'"batch"' not in canonical_bytes(registered)


def test_racing_duplicates_append_the_batch_once(store: Path) -> None:
    """Four writers race the same batch on four store connections: one appends, three recognise it."""
    drafts = parse_jsonl(to_jsonl(*HISTORY))
    batch = content_batch_id(drafts)

    def one_writer(_: int) -> tuple[int, tuple[int, int] | None]:
        outcome = apply_facts(open_store(str(store)), "APA", drafts, batch=batch)
        return len(outcome.appended), outcome.already_applied

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(one_writer, range(4)))
    assert sorted(n for n, _ in results) == [0, 0, 0, 5]
    assert [done for n, done in results if n == 0] == [(2, 6)] * 3
    assert stored_count(store) == 6

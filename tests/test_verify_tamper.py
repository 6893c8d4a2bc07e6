"""Tamper evidence (issue 3.5): edit the SQLite store behind the ledger's back; `verify` notices.

readings 11: every event carries a hash chained to the previous event of its agreement.
`apa-ledger verify` re-reads every stored event, recomputes the chain and replays the
projections; it exits 1 naming the first position where the chain breaks.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import commands.workers as workers_module
from commands.audit import verify_store
from commands.handlers import apply_facts, register_agreement
from commands.parsing import parse_jsonl
from commands.store.application import LedgerStore
from domain.agreement import agreement_uuid
from domain.chain import seal
from tests.clirun import run_cli
from tests.ledger import OneAgreement, claim, closed, reference_bp, resolve, to_jsonl

EVENTS = 16  # registration, 3 closing facts, 9 of the BP Event, C1 asserted/resolved + SharesSurrendered


@pytest.fixture
def history(book: OneAgreement) -> OneAgreement:
    """Positions: 4 ClosingOccurred, 7 BPEventDeclared, 8 GM 2003-09 = 80,000.00,
    14 ClaimAsserted C1, 15 ClaimResolved C1 (30,000), 16 SharesSurrendered 3,000."""
    book.apply(*closed(), *reference_bp(), claim("C1", "2004-01-15", "30000"), resolve("C1", "2004-03-01", "30000"))
    assert len(book.events()) == EVENTS
    return book


def row(path: Path, position: int) -> tuple[str, bytes]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT topic, state FROM stored_events WHERE originator_version = ?", (position,)).fetchone()


def write(path: Path, position: int, topic: str, state: bytes) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE stored_events SET topic = ?, state = ? WHERE originator_version = ?", (topic, state, position)
        )


def edit(path: Path, position: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Change one stored event's JSON fields in place, as an intruder with sqlite3 would, writing
    the JSON as the ledger writes it (no spaces), so that only the change itself differs."""
    topic, state = row(path, position)
    data = json.loads(state)
    change(data)
    write(path, position, topic, json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


def verify(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    run = run_cli(capsys, "--store", str(path), "verify", "APA")
    return run.code, run.out + run.err


def test_untouched_store_verifies(history: OneAgreement, capsys) -> None:
    code, text = verify(capsys, history.path)
    assert (code, text.strip()) == (0, f"verified 1 agreement, {EVENTS} events: hash chains intact, replay clean")
    assert run_cli(capsys, "--store", str(history.path), "verify").code == 0  # every agreement


@pytest.mark.parametrize(
    ("position", "change", "reason"),
    [
        (8, lambda d: d.update(amount="80001.00"), "does not match its hash"),  # an amount
        (4, lambda d: d.update(occurred_on="2003-04-11"), "does not match its hash"),  # a date
        (14, lambda d: d.update(timestamp="2026-01-01T00:00:00+00:00"), "does not match its hash"),  # recorded_at
        (15, lambda d: d.update(claim_id="C9"), "does not match its hash"),
        (6, lambda d: d.update(hash="f" * 64), "does not match its hash"),  # the hash field itself
        (11, lambda d: d.update(prev_hash="0" * 64), "prev_hash does not match"),
        (9, lambda d: d.update(amount=1.5), "cannot be read"),  # a value the events refuse
    ],
    ids=["amount", "occurred_on", "recorded_at", "claim_id", "hash", "prev_hash", "float"],
)
def test_editing_a_stored_field_breaks_the_chain_at_that_position(
    history: OneAgreement, capsys, position: int, change: Callable[[dict[str, Any]], None], reason: str
) -> None:
    edit(history.path, position, change)
    code, text = verify(capsys, history.path)
    assert code == 1
    assert f"chain broken at position {position}: " in text and reason in text


def test_swapping_the_topic_is_detected(history: OneAgreement, capsys) -> None:
    """ClaimResolved relabelled ClaimRevised (same fields): the type is part of the digest."""
    _, state = row(history.path, 15)
    write(history.path, 15, "domain.events:ClaimRevised", state)
    code, text = verify(capsys, history.path)
    assert code == 1 and "position 15: the stored event does not match its hash" in text


def test_swapping_to_a_topic_with_other_fields_cannot_be_read(history: OneAgreement, capsys) -> None:
    _, state = row(history.path, 8)
    write(history.path, 8, "domain.events:EscrowDeposited", state)
    code, text = verify(capsys, history.path)
    assert code == 1 and "position 8: the stored event cannot be read" in text


def test_deleting_a_middle_row_names_the_missing_position(history: OneAgreement, capsys) -> None:
    with sqlite3.connect(history.path) as db:
        db.execute("DELETE FROM stored_events WHERE originator_version = 10")
    code, text = verify(capsys, history.path)
    assert code == 1 and "chain broken at position 10: position 10 is missing" in text


def test_swapping_two_rows_contents_is_detected_at_the_first(history: OneAgreement, capsys) -> None:
    """The position is part of the digest: moving an event's bytes to another slot breaks it."""
    (t9, s9), (t10, s10) = row(history.path, 9), row(history.path, 10)
    write(history.path, 9, t10, s10)
    write(history.path, 10, t9, s9)
    code, text = verify(capsys, history.path)
    assert code == 1 and "chain broken at position 9:" in text


def test_garbage_bytes_cannot_be_read(history: OneAgreement, capsys) -> None:
    topic, _ = row(history.path, 12)
    write(history.path, 12, topic, b"\x00not json")
    code, text = verify(capsys, history.path)
    assert code == 1 and "position 12: the stored event cannot be read" in text


def test_a_resealed_event_breaks_the_link_to_the_next(history: OneAgreement, capsys) -> None:
    """An intruder who also recomputes the edited event's own hash is caught one position
    later: the next event's prev_hash still names the original."""
    edit(history.path, 8, lambda d: d.update(amount="99999.00"))
    store = LedgerStore(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(history.path)})
    stored = next(s for s in store.iter_stored("APA") if s.originator_version == 8)
    event = store.mapper.to_domain_event(stored)
    resealed = seal(event, event.prev_hash)
    edit(history.path, 8, lambda d: d.update(hash=resealed.hash))
    code, text = verify(capsys, history.path)
    assert code == 1 and "chain broken at position 9: prev_hash does not match" in text


def test_a_fully_resealed_chain_is_still_replayed_against_the_rules(history: OneAgreement, capsys) -> None:
    """Re-sealing every later event hides an edit from the chain, but the replay still
    rejects a fact the agreement forbids: a BP Event dated outside its window."""
    store = LedgerStore(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(history.path)})
    events = [store.mapper.to_domain_event(s) for s in store.iter_stored("APA")]
    moved = events[6].model_copy(update={"occurred_on": events[6].occurred_on.replace(year=2004, month=6)})
    prev = events[5].hash
    for position, event in enumerate([moved, *events[7:]], start=7):
        event = seal(event, prev)
        prev = event.hash
        record = store.mapper.to_stored_event(event)
        write(history.path, position, record.topic, record.state)
    code, text = verify(capsys, history.path)
    assert code == 1 and "position 7: replay rejects the stored event" in text and "BP Event" in text


def test_truncated_tail_is_caught_only_against_a_kept_head(
    history: OneAgreement, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tamper evidence: deleting the *last* events leaves a valid chain, so `verify` alone passes;
    with the head hash kept from `history --json`, `verify --expect-head` exits 1."""
    head = history.events()[-1].hash
    store = str(history.path)
    kept = run_cli(capsys, "--store", store, "verify", "APA", "--expect-head", head)
    assert kept.code == 0 and "head matches" in kept.out
    with sqlite3.connect(history.path) as db:
        db.execute("DELETE FROM stored_events WHERE originator_version >= ?", (EVENTS - 2,))
    assert run_cli(capsys, "--store", store, "verify", "APA").code == 0  # the shortened chain still holds
    caught = run_cli(capsys, "--store", store, "verify", "APA", "--expect-head", head)
    assert caught.code == 1
    assert "is not in the chain" in caught.err and caught.err.count("\n") == 1


def test_expect_head_accepts_a_head_followed_by_later_appends(
    history: OneAgreement, capsys: pytest.CaptureFixture[str]
) -> None:
    """A head kept before more facts were appended is still in the chain: verify passes and says so."""
    head = history.events()[-1].hash
    history.apply(claim("C2", "2004-06-01", "1000"))
    result = run_cli(capsys, "--store", str(history.path), "verify", "APA", "--expect-head", head)
    assert result.code == 0 and "1 event appended since that head" in result.out


def test_expect_head_needs_an_agreement_and_a_hash(history: OneAgreement, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad --expect-head input is a user error: exit 2, one line."""
    store = str(history.path)
    assert run_cli(capsys, "--store", store, "verify", "--expect-head", "0" * 64).code == 2
    bad = run_cli(capsys, "--store", store, "verify", "APA", "--expect-head", "not-a-hash")
    assert bad.code == 2 and bad.err.count("\n") == 1


def test_verify_on_every_core_reports_the_first_break_in_the_order_registered(
    book: OneAgreement, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tamper evidence on a portfolio, verified here and in a real worker process (one agreement
    a chunk): an intact store verifies as in one process, and with APA-3's and APA-4's amounts
    edited the report names APA-3, the first of them registered, at the edited position."""
    facts = [*closed(), *reference_bp(), claim("C1", "2004-01-15", "30000"), resolve("C1", "2004-03-01", "30000")]
    book.apply(*facts)
    for other in ("APA-2", "APA-3", "APA-4", "APA-5"):
        register_agreement(book.store, other)
        apply_facts(book.store, other, parse_jsonl(to_jsonl(*facts)))
    monkeypatch.setattr(workers_module, "CHUNK", 1)
    alone, together = verify_store(book.store, workers=0), verify_store(book.store, workers=2)
    intact = f"verified 5 agreements, {5 * EVENTS} events: hash chains intact, replay clean"
    assert alone == together == (True, intact)
    for agreement_id in ("APA-4", "APA-3"):
        with sqlite3.connect(book.path) as db:
            where = "WHERE originator_id = ? AND originator_version = 8"
            (state,) = db.execute(
                f"SELECT state FROM stored_events {where}", (agreement_uuid(agreement_id).hex,)
            ).fetchone()
            data = json.loads(state)
            data["amount"] = "80001.00"
            db.execute(
                f"UPDATE stored_events SET state = ? {where}", (json.dumps(data), agreement_uuid(agreement_id).hex)
            )
    alone, together = verify_store(book.store, workers=0), verify_store(book.store, workers=2)
    assert alone == together
    assert together[0] is False and together[1].startswith(
        "verify FAILED: agreement APA-3, chain broken at position 8:"
    )

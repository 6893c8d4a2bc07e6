"""Hostile input (issue 6): never a traceback, never a partial append; exit 2 with one clear line.

The corpus is tests/hostile_corpus.py; the fuzzers (hypothesis) throw random
bytes, random JSON and random argument lists at the JSONL reader and the CLI.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.parsing import _STRICT, loads_strict, parse_jsonl
from domain.errors import LedgerError
from tests.clirun import one_clear_line, run_cli, run_process, stored_count
from tests.hostile_corpus import HOSTILE, VALID
from tests.ledger import closed, new_ledger

HOSTILE_ARGS = [
    "",
    " ",
    "'; DROP TABLE stored_events; --",
    "$(touch /tmp/apa-ledger-pwned)",
    "`id`; echo pwned | sh",
    "a" * 100_000,
    "-",
    "--",
    "../../etc/passwd",
    "APA\n",
    "\r\n",
    "\u202eAPA",
    "\x1b[2J",
    "9" * 5000,
    "NaN",
    "-Infinity",
    "1e999",
    "2003-02-30",
    "0000-01-01",
    "99999-01-01",
    "2003-04-10T25:00",
    "%s%s%n",
    "{}",
    "\udcff",
    "a\x00b",
    "\ufeff2003-04-10",
]
"""Every argument slot of the CLI is tried with each of these."""


def slots(store: str, h: str) -> list[list[str]]:
    """Each CLI argument in turn replaced by a hostile value."""
    return [
        ["--store", store, "new", h],
        ["--store", store, "state", h],
        ["--store", store, "state", "APA", "--as-of", h],
        ["--store", store, "state", "APA", "--known-at", h],
        ["--store", store, "history", h],
        ["--store", store, "history", "APA", "--as-of", h],
        ["--store", store, "history", "APA", "--known-at", h],
        ["--store", store, "verify", h],
        ["--store", store, "apply", h, "-"],
        ["--store", store, "apply", "APA", h],
        ["--store", store, "apply", "APA", "-", "--idempotency-key", h],
        ["--store", store, "record", h, "ClosingOccurred", "--occurred-on", "2003-04-11"],
        ["--store", store, "record", "APA", h, "--occurred-on", "2003-04-11"],
        ["--store", store, "record", "APA", "EscrowReleased", "--occurred-on", h, "--shares", "1"],
        ["--store", store, "record", "APA", "EscrowReleased", "--occurred-on", "2005-01-01", "--shares", h],
        ["--store", store, "record", "APA", "EscrowReleased", "--occurred-on", "2005-01-01", h, "1"],
        ["--store", store, "copy", "--to", h],
        ["--store", store, "new", "X", "--terms", h],
        ["--store", h, "state", "APA"],
        [h],
    ]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed agreement APA, copied afresh for each test."""
    path = tmp_path_factory.mktemp("hostile") / "template.sqlite"
    ledger = new_ledger(path)
    ledger.apply(*closed())
    ledger.store.close()
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "store.sqlite"
    shutil.copy(template, path)
    return path


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_is_refused_with_one_line_and_nothing_appended(store: Path, tmp_path: Path, capsys, name) -> None:
    """All or nothing (readings 20): a bad file is refused whole, exit 2, one line naming the line number."""
    source = tmp_path / "hostile.jsonl"
    source.write_bytes(HOSTILE[name])
    run = run_cli(capsys, "--store", str(store), "apply", "APA", str(source))
    assert one_clear_line(run), run
    assert stored_count(store) == 4


def test_crlf_and_bom_from_a_windows_editor_are_accepted(store: Path, tmp_path: Path, capsys) -> None:
    """Decision: CRLF line endings and a leading UTF-8 BOM are formatting; the facts apply."""
    source = tmp_path / "windows.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + VALID.encode() + b"\r\n" + VALID.encode().replace(b"1.00", b"2.00") + b"\r\n")
    run = run_cli(capsys, "--store", str(store), "apply", "APA", str(source))
    assert run.code == 0 and "appended 2 events" in run.out


@pytest.mark.parametrize("hostile", HOSTILE_ARGS, ids=lambda h: repr(h[:12]))
def test_every_cli_argument_survives_hostile_values(store: Path, capsys, monkeypatch, hostile: str) -> None:
    """Each argument slot: either a normal answer (exit 0) or one clear line (exit 2); never a traceback,
    never an "internal error", and nothing appended unless it is a valid fact or a valid new agreement."""
    import io

    for args in slots(str(store), hostile):
        before = stored_count(store)
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(VALID.encode())))
        run = run_cli(capsys, *args)
        assert run.code in (0, 2), (args[:6], run)
        assert run.code == 0 or one_clear_line(run), (args[:6], run)
        assert "internal error" not in run.err and "Traceback" not in run.err
        if run.code == 2:
            assert stored_count(store) == before, args[:6]


def test_no_hostile_value_created_files_outside_the_test_directory() -> None:
    """Shell metacharacters are never passed to a shell."""
    assert not Path("/tmp/apa-ledger-pwned").exists()


def test_sql_in_ids_is_refused_by_validation_and_sql_in_text_is_stored_verbatim(store: Path, capsys) -> None:
    """Ids are validated (letters, digits . _ : / -); free text reaches SQLite only as a bound value."""
    injection = "'; DROP TABLE stored_events; --"
    assert one_clear_line(run_cli(capsys, "--store", str(store), "new", injection))
    line = {
        "type": "ClaimAsserted",
        "occurred_on": "2004-01-15",
        "claim_id": "C1",
        "claimant": "buyer",
        "sections": ["2.14"],
        "amount": "30000",
        "basis": injection + ' " ); DELETE FROM stored_events; /*',
    }
    ok = run_cli(capsys, "--store", str(store), "record", "APA", "ClaimAsserted", "--occurred-on", "2004-01-15",
                 "--claim-id", "C1", "--claimant", "buyer", "--sections", "2.14", "--amount", "30000",
                 "--basis", line["basis"])  # fmt: skip
    assert ok.code == 0
    state = json.loads(run_cli(capsys, "--store", str(store), "state", "APA", "--as-of", "2004-02-01", "--json").out)
    assert state["claims"][0]["claim_id"] == "C1"
    history = json.loads(run_cli(capsys, "--store", str(store), "history", "APA", "--json").out)
    assert any(injection in json.dumps(row) for row in history)
    with sqlite3.connect(store) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "stored_events" in tables and stored_count(store) == 5


def test_hostile_input_in_real_processes_prints_one_line_and_no_traceback(store: Path, tmp_path: Path) -> None:
    """The same guarantees outside pytest: real processes, real argv bytes, real stdin."""
    import os
    import subprocess

    from tests.clirun import APA_LEDGER

    for name in ("ten-megabyte-line", "deep-array-nesting", "invalid-utf-8-byte", "claim-id-lone-surrogate"):
        run = run_process("--store", str(store), "apply", "APA", "-", stdin=HOSTILE[name])
        assert one_clear_line(run), (name, run)
    raw = subprocess.run(
        [APA_LEDGER.encode(), b"--store", os.fsencode(store), b"state", b"\xff\xfe"], capture_output=True, timeout=60
    )
    assert raw.returncode == 2 and raw.stderr.count(b"\n") == 1 and b"Traceback" not in raw.stderr
    assert stored_count(store) == 4


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
FIELDS = ["occurred_on", "month", "amount", "shares", "claim_id", "claimant", "sections", "clause", "event_id"]
TYPES = ["ClosingOccurred", "GrossMarginReported", "EscrowReleased", "ClaimAsserted", "ClaimResolved",
         "BPEventDeclared", "EventRetracted", "DeemedEventAgreed", "PaymentWithheld", "Nope"]  # fmt: skip


@st.composite
def near_valid_lines(draw: st.DrawFn) -> bytes:
    """A fact-shaped object with random values for known fields: the reader's hardest case."""
    fact = {"type": draw(st.sampled_from(TYPES))}
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        fact[field] = draw(JSON_VALUES | st.sampled_from(["2003-04-10", "2003-01", "100.00", "C1", "buyer", "a"]))
    return json.dumps(fact).encode()


@given(data=st.binary(max_size=300) | near_valid_lines() | st.lists(near_valid_lines(), max_size=5).map(b"\n".join))
def test_fuzzed_jsonl_reader_raises_only_ledger_errors(data: bytes) -> None:
    """The reader returns drafts or raises a LedgerError (one line); nothing else escapes."""
    try:
        drafts = parse_jsonl(data)
    except LedgerError as error:
        assert "\n" not in str(error)
    else:
        assert drafts


@given(lines=st.lists(near_valid_lines(), min_size=1, max_size=4))
def test_fuzzed_apply_is_all_or_nothing(template: Path, tmp_path_factory, lines: list[bytes]) -> None:
    """Random near-valid batches through the handler: appended whole, or refused with nothing appended."""
    from commands.handlers import apply_facts
    from commands.store.application import open_store

    path = tmp_path_factory.mktemp("fuzz") / "s.sqlite"
    shutil.copy(template, path)
    store = open_store(str(path))
    try:
        outcome = apply_facts(store, "APA", parse_jsonl(b"\n".join(lines)))
    except LedgerError as error:
        assert "\n" not in str(error) and stored_count(path) == 4
    else:
        assert stored_count(path) == 4 + len(outcome.appended) >= 4 + len(lines)
    finally:
        store.close()


ARG_WORDS = st.sampled_from(
    ["--store", "new", "apply", "record", "state", "history", "verify", "copy", "keygen", "agreements", "APA",
     "--as-of", "--known-at", "--json", "--dry-run", "--idempotency-key", "--occurred-on", "--shares", "-",
     "ClosingOccurred", "EscrowReleased", "2003-04-10", "--help", "--to"]
)  # fmt: skip


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=st.lists(ARG_WORDS | st.text(max_size=12), max_size=7))
def test_fuzzed_argument_lists_never_escape_as_tracebacks(store: Path, capsys, monkeypatch, argv: list[str]) -> None:
    """Random argument lists: exit 0, or 2 with one line; no internal errors; the store still verifies."""
    import io

    monkeypatch.chdir(store.parent)
    monkeypatch.setenv("APA_LEDGER_STORE", str(store))
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(VALID.encode())))
    run = run_cli(capsys, *argv)
    assert run.code in (0, 2), (argv, run)
    assert run.code == 0 or one_clear_line(run), (argv, run)
    assert "internal error" not in run.err


def _read(read: Any, text: str) -> tuple[str, object]:
    """What a JSON reader gives for ``text``: its value with each value's type, or its error."""

    def typed(value: object) -> object:
        if isinstance(value, dict):
            return {key: typed(item) for key, item in value.items()}
        if isinstance(value, list):
            return [typed(item) for item in value]
        return (type(value).__name__, value)

    try:
        return "value", typed(read(text))
    except (ValueError, RecursionError) as error:
        return type(error).__name__, str(error)


EDGES = ['{"a":1}', '{"a": 1} ', ' {"a":1}', '{"a":1}{"b":2}', '{"a":1,"a":2}', '{"a":1.50}', '{"a":NaN}']
EDGES += ['{"a":[1,{"b":2,"b":3}]}', "\ufeff{}", "{}", "{", '{"a":-Infinity}', '{"a":"\\ud800"}', "{}\r"]


@given(text=st.sampled_from(EDGES) | st.builds(json.dumps, JSON_VALUES) | near_valid_lines().map(bytes.decode))
def test_a_line_scanned_directly_reads_as_the_strict_decoder_reads_it(text: str) -> None:
    """The JSONL reader: a line that is one object, read by the strict decoder's scanner directly
    (``loads_strict``), gives what the decoder's ``decode`` gives, value and types or error:
    floats kept as text, NaN, duplicate keys and trailing data refused alike."""
    assert _read(loads_strict, text) == _read(_STRICT.decode, text) or text.startswith("\ufeff")

"""Output that pipes (commands/cli/output.py): --format table|json|jsonl|csv, --json as --format
json, `-` for stdout wherever a file is written, --store after the command, --version, and
`record --help` naming every event type."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from domain.events import USER_EVENT_TYPES
from tests.clirun import one_clear_line, run_cli, run_process, write_jsonl
from tests.ledger import claim, closed, reference_bp, resolve

HISTORY = [*closed(), *reference_bp(), claim("C1", "2004-01-15", "40000"), resolve("C1", "2004-03-01", "27500")]
SQLITE_UTILS = str(Path(sys.executable).with_name("sqlite-utils"))


@pytest.fixture
def store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Two agreements: APA with the reference history, OTHER only signed."""
    path = str(tmp_path / "out.sqlite")
    facts = write_jsonl(tmp_path / "h.jsonl", HISTORY)
    for argv in (("new", "APA"), ("apply", "APA", facts), ("new", "OTHER")):
        assert run_cli(capsys, "--store", path, *argv).code == 0
    return path


COMMANDS = [
    ("state", "APA", "--as-of", "2004-03-31"),
    ("history", "APA"),
    ("agreements", "--as-of", "2004-03-31"),
    ("diff", "APA", "--as-of", "2004-03-31", "--known-at", "REGISTERED"),
    ("verify",),
    ("calendar", "APA", "--as-of", "2004-03-31"),
]


def registered_at(store: str, capsys: pytest.CaptureFixture[str]) -> str:
    return json.loads(run_cli(capsys, "--store", store, "history", "APA", "--json").out)[0]["recorded_at"]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: argv[0])
def test_json_is_format_json_and_jsonl_is_a_row_a_line(store: str, capsys, argv: tuple[str, ...]) -> None:
    """--json keeps working as --format json; jsonl is one JSON document a line."""
    argv = tuple(registered_at(store, capsys) if a == "REGISTERED" else a for a in argv)
    as_json = run_cli(capsys, "--store", store, *argv, "--json")
    assert as_json.code == 0, as_json.err
    assert run_cli(capsys, "--store", store, *argv, "--format", "json").out == as_json.out
    document = json.loads(as_json.out)
    lines = run_cli(capsys, "--store", store, *argv, "--format", "jsonl").out.splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows == (document if isinstance(document, list) else rows)
    assert len(rows) >= 1


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda argv: argv[0])
def test_csv_has_a_header_and_a_row_per_item(store: str, capsys, argv: tuple[str, ...]) -> None:
    argv = tuple(registered_at(store, capsys) if a == "REGISTERED" else a for a in argv)
    shown = run_cli(capsys, "--store", store, *argv, "--format", "csv")
    assert shown.code == 0, shown.err
    rows = list(csv.DictReader(io.StringIO(shown.out)))
    assert rows and all(None not in row for row in rows)  # no row longer than the header


def test_agreements_json_is_a_row_per_agreement_for_sqlite_utils(store: str, capsys) -> None:
    """`agreements --format json | sqlite-utils memory -` sees one row per agreement, with the
    figures of `state --json` (1.5(b))."""
    state = json.loads(run_cli(capsys, "--store", store, "state", "APA", "--as-of", "2004-03-31", "--json").out)
    listed = run_process("--store", store, "agreements", "--as-of", "2004-03-31", "--format", "json")
    assert listed.code == 0, listed.err
    query = "select agreement_id, released_shares from stdin order by agreement_id"
    done = subprocess.run(
        [SQLITE_UTILS, "memory", "-", query], input=listed.out.encode(), capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"agreement_id": "APA", "released_shares": state["earnout"]["released_shares"]},
        {"agreement_id": "OTHER", "released_shares": 0},
    ]


def test_history_csv_is_every_event_with_its_payload_as_json(store: str, capsys) -> None:
    shown = run_cli(capsys, "--store", store, "history", "APA", "--format", "csv").out
    rows = list(csv.DictReader(io.StringIO(shown)))
    events = json.loads(run_cli(capsys, "--store", store, "history", "APA", "--json").out)
    assert [int(r["position"]) for r in rows] == [e["position"] for e in events] == list(range(1, len(events) + 1))
    assert [json.loads(r["payload"]) for r in rows] == [e["payload"] for e in events]


def test_two_formats_at_once_are_refused(store: str, capsys) -> None:
    refused = run_cli(capsys, "--store", store, "state", "APA", "--json", "--format", "csv")
    assert one_clear_line(refused) and "--format csv" in refused.err


def test_store_is_accepted_after_the_command(store: str, capsys) -> None:
    before = run_cli(capsys, "--store", store, "state", "APA", "--as-of", "2004-03-31", "--json")
    after = run_cli(capsys, "state", "APA", "--as-of", "2004-03-31", "--json", "--store", store)
    assert after.code == 0 and after.out == before.out


def test_version(capsys) -> None:
    shown = run_cli(capsys, "--version")
    assert shown.code == 0 and shown.out.startswith("apa-ledger 0.")


def test_record_help_lists_every_event_type_with_its_fields(capsys) -> None:
    shown = run_cli(capsys, "record", "--help").out
    assert all(name in shown for name in USER_EVENT_TYPES)
    assert "--claim-id --claimant --sections [--basis] --amount" in " ".join(shown.split())


def test_dash_is_stdout_for_the_page_the_calendar_and_the_read_model(store: str, capsys, tmp_path: Path) -> None:
    """report --out -, calendar --out - and export --out - write to stdout; the line saying so goes
    to stderr. The old names (--ics, export --to) still work."""
    page = run_cli(capsys, "--store", store, "report", "APA", "--as-of", "2004-03-31", "--out", "-")
    assert page.code == 0 and page.out.lstrip().lower().startswith("<!doctype html") and "wrote stdout" in page.err
    ics = run_cli(capsys, "--store", store, "calendar", "APA", "--as-of", "2004-03-31", "--out", "-")
    assert ics.out.startswith("BEGIN:VCALENDAR") and "wrote" in ics.err
    old = run_cli(capsys, "--store", store, "calendar", "APA", "--ics", str(tmp_path / "a.ics"))
    assert old.code == 0 and (tmp_path / "a.ics").read_text().startswith("BEGIN:VCALENDAR")
    done = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdin.buffer.read(16))"], input=b"")
    assert done.returncode == 0
    raw = subprocess.run(
        [str(Path(sys.executable).with_name("apa-ledger")), "--store", store, "export", "--out", "-"],
        capture_output=True,
        timeout=120,
    )
    assert raw.stdout.startswith(b"SQLite format 3\x00")
    assert run_cli(capsys, "--store", store, "export", "--to", str(tmp_path / "m.sqlite")).code == 0


def test_import_rows(store: str, capsys, tmp_path: Path) -> None:
    folder = tmp_path / "portfolio"
    folder.mkdir()
    write_jsonl(folder / "NEW.jsonl", closed())
    rows = run_cli(capsys, "--store", store, "import", str(folder), "--format", "jsonl").out.splitlines()
    assert [json.loads(r) | {"file": ""} for r in rows] == [
        {"file": "", "agreement_id": "NEW", "registered": True, "appended": 3, "already_applied": False, "error": None}
    ]

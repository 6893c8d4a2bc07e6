"""`apa-ledger calendar` and its iCalendar file (RFC 5545)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from commands.reporting.calendar_ics import escape_text, fold_line, to_ics
from projections.models import Obligation
from tests.clirun import run_cli
from tests.ledger import OneAgreement, closed, reference_bp


def unfold(text: str) -> list[str]:
    """RFC 5545 3.1: a CRLF followed by one space continues the previous line."""
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def _ics(book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_of: str) -> str:
    out = tmp_path / f"cal-{as_of}.ics"
    result = run_cli(capsys, "--store", str(book.path), "calendar", "APA", "--as-of", as_of, "--ics", str(out))
    assert result.code == 0, result.err
    return out.read_bytes().decode("utf-8")


def test_ics_is_a_valid_calendar_with_one_all_day_event_per_obligation(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RFC 5545: CRLF line endings, lines of at most 75 octets, VCALENDAR with VERSION and
    PRODID, one VEVENT per obligation with UID, DTSTAMP and DTSTART;VALUE=DATE."""
    book.apply(*closed(), *reference_bp())
    text = _ics(book, tmp_path, capsys, "2004-03-30")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert lines[:3] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//apa-ledger//Obligations calendar//EN"]
    assert lines[-1] == "END:VCALENDAR"
    obligations = book.state("2004-03-30").obligations
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == len(obligations)
    starts = [line for line in lines if line.startswith("DTSTART")]
    assert starts[0] == f"DTSTART;VALUE=DATE:{obligations[0].due_on:%Y%m%d}"
    assert all(re.fullmatch(r"DTSTART;VALUE=DATE:\d{8}", line) for line in starts)
    stamps = {line for line in lines if line.startswith("DTSTAMP:")}
    last_recorded = book.events()[-1].timestamp
    assert stamps == {f"DTSTAMP:{last_recorded:%Y%m%dT%H%M%SZ}"}  # the ledger's time, not the wall clock
    assert len({line for line in lines if line.startswith("UID:")}) == len(obligations)


def test_uid_is_stable_when_the_status_changes(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A re-imported calendar updates its events: the UID of an obligation does not depend on
    the as-of date (the 7.3 cut-off is upcoming in 2004 and done in 2006, same UID)."""
    book.apply(*closed())
    early = unfold(_ics(book, tmp_path, capsys, "2004-01-01"))
    late = unfold(_ics(book, tmp_path, capsys, "2006-01-01"))
    assert [x for x in early if x.startswith("UID:")] == [x for x in late if x.startswith("UID:")]
    assert early != late


def test_commas_semicolons_and_newlines_are_escaped() -> None:
    """RFC 5545 3.3.11: TEXT escapes backslash, semicolon, comma and newline."""
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_long_lines_fold_at_75_octets_without_splitting_characters() -> None:
    """RFC 5545 3.1: fold at 75 octets; a multi-octet UTF-8 character is never split."""
    line = "SUMMARY:" + "é" * 100
    folded = fold_line(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line


def test_summary_with_comma_round_trips_through_escaping_and_folding() -> None:
    """A description with commas and semicolons survives escaping and folding."""
    item = Obligation(clause="8.3(b)(i)", description="Pay X, then Y; " * 8, due_on=date(2004, 1, 2), status="due")
    text = to_ics("APA", [item], date(2004, 1, 1), datetime(2026, 1, 1, tzinfo=UTC))
    summary = next(line for line in unfold(text) if line.startswith("SUMMARY:"))
    assert summary == "SUMMARY:" + escape_text(f"[{item.clause}] {item.description}")
    assert "DTEND;VALUE=DATE:20040103" in unfold(text)


def test_calendar_prints_statuses_and_filters_by_due_date(
    book: OneAgreement, capsys: pytest.CaptureFixture[str]
) -> None:
    """`calendar --from --to` keeps obligations due inside the range (both ends included)."""
    book.apply(*closed())
    result = run_cli(
        capsys, "--store", str(book.path), "calendar", "APA", "--as-of", "2003-06-01", "--from", "2003-05-31",
        "--to", "2003-07-01",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "2003-05-31  done      7.1" in result.out
    assert "2003-06-01  done      1.5(b)" in result.out  # a release with no deliveries recorded is done on its date
    assert "2003-07-01  upcoming  1.5(b)" in result.out
    assert "2003-05-01" not in result.out and "2003-08-01" not in result.out


def test_calendar_rejects_a_bad_date_with_one_line(book: OneAgreement, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input: one line on stderr, exit 2, no traceback."""
    result = run_cli(capsys, "--store", str(book.path), "calendar", "APA", "--from", "2003-02-30")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "--from" in result.err

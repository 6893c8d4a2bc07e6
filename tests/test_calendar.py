"""`apa-ledger calendar` and its iCalendar file (RFC 5545)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.reporting.calendar_ics import escape_text, fold_line, states_as_known, to_ics
from domain.errors import LedgerError
from projections.models import Obligation
from projections.state import project
from tests.clirun import run_cli
from tests.ledger import OneAgreement, closed, fact, new_ledger, reference_bp
from tests.strategies import candidate_facts


def unfold(text: str) -> list[str]:
    """RFC 5545 3.1: a CRLF followed by one space continues the previous line."""
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def parsed(text: str) -> icalendar.Calendar:
    """The file as the icalendar package reads it (strictly: a property it cannot parse fails)."""
    calendar = icalendar.Calendar.from_ical(text)
    for component in calendar.walk():
        assert not getattr(component, "errors", None), component.errors
    return calendar


def vevents(text: str) -> list[Any]:
    return list(parsed(text).walk("VEVENT"))


def _ics(book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_of: str, *args: str) -> str:
    """The calendar file written by the CLI, checked to parse with icalendar."""
    tmp_path.mkdir(exist_ok=True)
    out = tmp_path / f"cal-{as_of}.ics"
    result = run_cli(capsys, "--store", str(book.path), "calendar", *args, "--as-of", as_of, "--out", str(out))
    assert result.code == 0, result.err
    text = out.read_bytes().decode("utf-8")
    parsed(text)
    return text


def _ids(text: str) -> list[str]:
    return [x for x in unfold(text) if x.startswith("UID:")]


def test_ics_is_a_valid_calendar_with_one_all_day_event_per_obligation(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """RFC 5545: CRLF line endings, lines of at most 75 octets, VCALENDAR with VERSION and
    PRODID, one VEVENT per obligation with UID, DTSTAMP and DTSTART;VALUE=DATE."""
    book.apply(*closed(), *reference_bp())
    text = _ics(book, tmp_path, capsys, "2004-03-30", "APA")
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
    early = unfold(_ics(book, tmp_path, capsys, "2004-01-01", "APA"))
    late = unfold(_ics(book, tmp_path, capsys, "2006-01-01", "APA"))
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
    assert [str(e["SUMMARY"]) for e in vevents(text)] == [f"[{item.clause}] {item.description}"]
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


def _redate_closing(book: OneAgreement, on: str) -> None:
    """The Closing recorded on the wrong day, retracted and recorded again on ``on``."""
    wrong = next(e.position for e in book.events() if type(e).__name__ == "ClosingOccurred")
    book.apply(fact("EventRetracted", on, event_id=wrong, reason="wrong day"), fact("ClosingOccurred", on))


def test_a_moved_deadline_gets_a_higher_sequence_and_its_last_modified_from_the_history(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """7.3: representations expire two years after the Closing. The Closing recorded on
    2003-04-10, then corrected to 2003-04-20, moves that cut-off from 2005-04-10 to
    2005-04-20: the same UID, SEQUENCE 0 then 1, LAST-MODIFIED the correcting batch's
    recording time; an obligation the correction left as it was keeps SEQUENCE 0 and its time."""
    book.apply(*closed("2003-04-10"))
    first_batch = book.events()[-1].timestamp
    before = {str(e["UID"]): e for e in vevents(_ics(book, tmp_path, capsys, "2004-06-30", "APA"))}
    _redate_closing(book, "2003-04-20")
    corrected = book.events()[-1].timestamp
    after = {str(e["UID"]): e for e in vevents(_ics(book, tmp_path, capsys, "2004-06-30", "APA"))}
    [cut_off] = [u for u, e in after.items() if str(e["SUMMARY"]).startswith("[7.3]")]
    assert before[cut_off]["DTSTART"].dt == date(2005, 4, 10) and after[cut_off]["DTSTART"].dt == date(2005, 4, 20)
    assert (before[cut_off]["SEQUENCE"], after[cut_off]["SEQUENCE"]) == (0, 1)
    assert before[cut_off]["LAST-MODIFIED"].dt == first_batch and after[cut_off]["LAST-MODIFIED"].dt == corrected
    [redemption] = [u for u, e in after.items() if str(e["SUMMARY"]).startswith("[5.6]")]  # 2007-12-06 either way
    assert after[redemption]["SEQUENCE"] == before[redemption]["SEQUENCE"] == 0
    assert after[redemption]["LAST-MODIFIED"].dt == before[redemption]["LAST-MODIFIED"].dt


def test_the_same_store_writes_the_same_file(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SEQUENCE, LAST-MODIFIED and DTSTAMP come from the recorded history, not the clock:
    two runs on one store write the same bytes."""
    book.apply(*closed("2003-04-10"))
    _redate_closing(book, "2003-04-20")
    assert _ics(book, tmp_path / "a", capsys, "2004-06-30") == _ics(book, tmp_path / "b", capsys, "2004-06-30")


@pytest.mark.parametrize(
    ("as_of", "status"), [("2003-05-30", "UPCOMING"), ("2003-05-31", "DUE"), ("2003-06-01", "OVERDUE")]
)
def test_a_status_that_follows_from_the_date_alone_is_no_revision(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str], as_of: str, status: str
) -> None:
    """7.1: the Closing deadline of 2003-05-31, never closed, is upcoming the day before, due
    on it and overdue after (the day it passes, the right to terminate opens): the date did
    that, no recorded fact, so SEQUENCE stays 0 and the reminders stay on."""
    book.apply(fact("EffectiveDateReached", "2002-12-06"))
    events = vevents(_ics(book, tmp_path, capsys, as_of, "APA"))
    [deadline] = [e for e in events if str(e["SUMMARY"]).startswith("[7.1]") and e["DTSTART"].dt == date(2003, 5, 31)]
    assert status in [str(c) for c in deadline["CATEGORIES"].cats]
    assert deadline["SEQUENCE"] == 0
    assert [str(a["TRIGGER"].dt) for a in deadline.walk("VALARM")] == ["-7 days, 0:00:00", "-1 day, 0:00:00"]


def test_open_obligations_carry_the_reminders_asked_for_and_done_ones_none(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each obligation not done has one display VALARM per --remind lead time; a done one has none."""
    book.apply(*closed("2003-04-10"))
    events = vevents(_ics(book, tmp_path, capsys, "2003-06-15", "APA", "--remind", "14", "--remind", "0"))
    done = [e for e in events if "DONE" in [str(c) for c in e["CATEGORIES"].cats]]
    open_ = [e for e in events if e not in done]
    assert done and open_
    assert all(not e.walk("VALARM") for e in done)
    for e in open_:
        alarms = e.walk("VALARM")
        assert [str(a["ACTION"]) for a in alarms] == ["DISPLAY", "DISPLAY"]
        assert [a["TRIGGER"].dt.days for a in alarms] == [-14, 0]
        assert all(str(a["DESCRIPTION"]).startswith("Due ") for a in alarms)


def test_a_portfolio_calendar_holds_every_agreement_or_those_named(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without an agreement id the file covers every agreement in the store, each obligation
    once, its summary naming its agreement; naming agreements chooses them."""
    book.apply(*closed("2003-04-10"))
    assert run_cli(capsys, "--store", str(book.path), "new", "B-2").code == 0
    other = OneAgreement(book.store, book.path, book.clock, "B-2")
    other.apply(fact("EffectiveDateReached", "2002-12-06"))
    both = vevents(_ics(book, tmp_path / "all", capsys, "2003-06-15"))
    count = {
        a: len(OneAgreement(book.store, book.path, book.clock, a).state("2003-06-15").obligations)
        for a in ("APA", "B-2")
    }
    assert len(both) == len({str(e["UID"]) for e in both}) == count["APA"] + count["B-2"]
    assert {str(e["SUMMARY"]).split(":")[0] for e in both} == {"APA", "B-2"}
    chosen = vevents(_ics(book, tmp_path / "one", capsys, "2003-06-15", "B-2"))
    assert len(chosen) == count["B-2"]


def test_a_calendar_with_nothing_to_show_is_a_valid_file(
    book: OneAgreement, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No obligation in the range: still a VCALENDAR with one component (RFC 5545 3.6 asks for
    one), no VEVENT, and icalendar reads it."""
    book.apply(*closed("2003-04-10"))
    text = _ics(book, tmp_path, capsys, "2003-06-15", "APA", "--from", "2010-01-01", "--to", "2010-12-31")
    calendar = parsed(text)
    assert not calendar.walk("VEVENT") and [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]


def test_a_store_with_no_agreement_gives_an_empty_valid_calendar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store that holds no agreement yet: every agreement is none, and the file is valid."""
    from commands.store.application import open_store

    open_store(str(tmp_path / "empty.sqlite"), create=True).close()
    out = tmp_path / "empty.ics"
    result = run_cli(capsys, "--store", str(tmp_path / "empty.sqlite"), "calendar", "--out", str(out))
    assert result.code == 0, result.err
    assert "wrote 0 events" in result.out
    assert not parsed(out.read_text()).walk("VEVENT")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    candidates=candidate_facts(max_facts=10),
    retract=st.integers(0, 30),
    as_of=st.sampled_from(["2003-03-01", "2004-03-30", "2012-01-01"]),
)
def test_states_as_known_after_each_batch_are_project_at_that_moment(
    tmp_path_factory: pytest.TempPathFactory, candidates: list[dict[str, Any]], retract: int, as_of: str
) -> None:
    """readings 9: the incremental walk the revisions come from gives, after each recorded
    batch, exactly ``project(events, as_of, known_at=that batch's recorded_at)``; histories one
    fact per batch in random date order (back-dated facts) with a retraction among them."""
    book = new_ledger(tmp_path_factory.mktemp("walk") / "s.sqlite")
    for n, candidate in enumerate(candidates):
        try:
            book.apply(candidate)
            if n == retract:
                book.apply(fact("EventRetracted", candidate["occurred_on"], event_id=len(book.events()), reason="x"))
        except LedgerError:
            continue
    events, day = book.events(), date.fromisoformat(as_of)
    walked = list(states_as_known(events, day))
    assert walked and all(state == project(events, day, moment) for moment, state in walked)
    moments = sorted({e.timestamp for e in events})
    assert {m for m, _ in walked} <= set(moments)
    for moment in moments:  # a batch passed over changed nothing folded on the day
        shown = [s for m, s in walked if m <= moment][-1]
        assert shown.model_dump(exclude={"known_at"}) == project(events, day, moment).model_dump(exclude={"known_at"})

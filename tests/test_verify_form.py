"""Tamper evidence (issue 17, item 1): `verify` checks what `state` reads.

Every stored record must be byte for byte the one form the ledger writes
(domain.event_json.stored_json); a record that decodes to the same values after
normalisation (a trailing space, a number written as text, other spacing) is a break
named with its position, and `state` refuses it in one line instead of reading it as
something else. Derived events (8.1(c): SharesSurrendered, CashIndemnityDue) are planned
again from the facts of their batch and compared with what is stored.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from commands.store.application import LedgerStore
from domain.chain import seal
from domain.events import LedgerEvent
from tests.clirun import one_clear_line, run_cli
from tests.ledger import OneAgreement, claim, closed, reference_bp, resolve

SURRENDERED = 16  # position of the SharesSurrendered that resolving C1 at 30,000 derives (3,000 shares)


@pytest.fixture
def history(book: OneAgreement) -> OneAgreement:
    """Positions: 8 GrossMarginReported 2003-09, 15 ClaimResolved C1 30,000, 16 SharesSurrendered 3,000."""
    book.apply(*closed(), *reference_bp(), claim("C1", "2004-01-15", "30000"), resolve("C1", "2004-03-01", "30000"))
    return book


def sql(path: Path, statement: str, *params: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(statement, params)


def verify(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    run = run_cli(capsys, "--store", str(path), "verify")
    return run.code, run.out + run.err


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"month":"2003-09"', '"month":"2003-09 "'),  # a space the month's validator strips
        ('"shares":3000', '"shares":"3000"'),  # a number written as text
        ('"occurred_on":', '"occurred_on": '),  # spacing only
        ('"amount":"80000.00"', '"amount":"80000.0"'),  # money with one place
        ('"batch":', '"\\u0062atch":'),  # an escape for the same key
    ],
    ids=["trailing-space", "number-as-text", "spacing", "money-exponent", "escaped-key"],
)
def test_a_record_not_in_the_ledgers_form_is_a_break_and_state_refuses_it(
    history: OneAgreement, capsys: pytest.CaptureFixture[str], old: str, new: str
) -> None:
    """Tamper evidence: values that normalise to the sealed ones still change the bytes, so verify
    names the position and state refuses it in one line (exit 2), never an internal error."""
    sql(history.path, "UPDATE stored_events SET state = replace(state, ?, ?)", old, new)
    with sqlite3.connect(history.path) as db:
        (position,) = db.execute(
            "SELECT min(originator_version) FROM stored_events WHERE instr(state, ?) > 0", (new,)
        ).fetchone()
    code, text = verify(capsys, history.path)
    assert code == 1, text
    assert f"chain broken at position {position}: " in text
    assert "not in the form the ledger writes" in text or "does not match its hash" in text
    shown = run_cli(capsys, "--store", str(history.path), "state", "APA", "--as-of", "2004-06-30", "--json")
    assert one_clear_line(shown), shown.err
    assert f"position {position}" in shown.err and "verify" in shown.err


def test_a_trailing_space_in_a_month_is_named_as_not_the_ledgers_form(
    history: OneAgreement, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 17's attack: '"2003-09 "' hashes as "2003-09" after validation; the bytes are the break."""
    sql(history.path, "UPDATE stored_events SET state = replace(state, ?, ?)", '"2003-09"', '"2003-09 "')
    code, text = verify(capsys, history.path)
    assert code == 1 and "position 8: the stored record is not in the form the ledger writes" in text


def _reseal(path: Path, events: list[LedgerEvent], start: int, replaced: list[LedgerEvent]) -> None:
    """Re-seal the chain from position ``start`` with ``replaced`` as its events, as an intruder
    who knows the (unkeyed) hash would, rewriting the rows in place and deleting any left over."""
    store = LedgerStore(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)})
    prev = events[start - 2].hash
    for position, event in enumerate(replaced, start=start):
        event = seal(event.model_copy(update={"originator_version": position}), prev)
        prev = event.hash
        record = store.mapper.to_stored_event(event)
        sql(
            path,
            "UPDATE stored_events SET topic = ?, state = ? WHERE originator_version = ?",
            record.topic,
            record.state,
            position,
        )
    sql(path, "DELETE FROM stored_events WHERE originator_version >= ?", start + len(replaced))


def test_a_forged_derived_event_is_named_with_what_the_rules_give(
    history: OneAgreement, capsys: pytest.CaptureFixture[str]
) -> None:
    """8.1(c): a re-sealed SharesSurrendered of 3,000 changed to 1 passes the chain; verify plans the
    resolution's batch again and names the forged figure and the one the rules give."""
    events = history.events()
    forged = events[SURRENDERED - 1].model_copy(update={"shares": 1})
    _reseal(history.path, events, SURRENDERED, [forged])
    code, text = verify(capsys, history.path)
    assert code == 1
    assert f"position {SURRENDERED}: the derived SharesSurrendered claim_id=C1 shares=1 does not follow" in text
    assert "the rules give SharesSurrendered claim_id=C1 shares=3000" in text


def test_a_deleted_derived_event_is_named_as_missing(history: OneAgreement, capsys: pytest.CaptureFixture[str]) -> None:
    """8.1(c): the surrender deleted (the last row, so no chain link breaks) is still given by the facts."""
    sql(history.path, "DELETE FROM stored_events WHERE originator_version = ?", SURRENDERED)
    code, text = verify(capsys, history.path)
    assert code == 1
    assert (
        f"position {SURRENDERED}: the facts give SharesSurrendered claim_id=C1 shares=3000, which is not recorded"
        in text
    )


def test_a_derived_event_added_to_a_batch_that_gives_none_is_named(
    history: OneAgreement, capsys: pytest.CaptureFixture[str]
) -> None:
    """8.1(c): a second surrender appended to the resolution's batch, sealed on the chain."""
    events = history.events()
    extra = events[SURRENDERED - 1]
    sql(
        history.path,
        "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
        "SELECT originator_id, ?, topic, state FROM stored_events WHERE originator_version = ?",
        SURRENDERED + 1,
        SURRENDERED,
    )
    _reseal(history.path, events, SURRENDERED, [extra, extra])
    code, text = verify(capsys, history.path)
    assert code == 1
    assert f"position {SURRENDERED + 1}: the derived SharesSurrendered claim_id=C1 shares=3000 does not follow" in text

"""Change points (projections/timeline.py): the state over valid time, one state per change."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from projections.state import project
from projections.timeline import change_points, intervals, keyed_intervals
from tests.ledger import OneAgreement, claim, closed, reference_bp, resolve


def test_state_at_each_change_point_is_the_projection_of_that_day(book: OneAgreement) -> None:
    """The single pass over the events gives exactly `project(events, d)` at each point."""
    book.apply(*closed(), *reference_bp(), claim("C1", "2003-06-01", "30000"), resolve("C1", "2004-03-01", "27500"))
    events = book.events()
    for day, state in change_points(events):
        assert state == project(events, day)


def test_installment_settlement_and_cancellation_dates_are_change_points(book: OneAgreement) -> None:
    """1.5(b)-(c): each installment date, M's due date and the cancellation (2004-03-30) change
    the figures with no event on those days, so each is a change point; so is 7.3's cut-off."""
    book.apply(*closed(), *reference_bp())
    days = {day for day, _ in change_points(book.events())}
    assert {date(2003, 5, 1), date(2003, 9, 1), date(2004, 3, 30), date(2005, 4, 10)} <= days
    october = next(state for day, state in change_points(book.events()) if day == date(2003, 10, 1))
    assert october.earnout.released_shares == 42857  # seen from before the BP Event, then no installment


def test_nothing_changes_between_change_points(book: OneAgreement) -> None:
    """Between two consecutive change points the state (bar its date) equals the earlier one."""
    book.apply(*closed(), *reference_bp())
    events = book.events()
    points = list(change_points(events))
    for (day, state), (after, _) in pairwise(points):
        middle = day + (after - day) // 2
        if middle > day:
            assert project(events, middle).model_copy(update={"as_of": day}) == state
    assert project(events, points[-1][0] + timedelta(days=4000)).earnout == points[-1][1].earnout


def test_intervals_collapse_equal_neighbours() -> None:
    """Consecutive equal values merge; valid_to is the next change (exclusive), last is open."""
    d = [date(2003, 1, i) for i in (1, 2, 3, 4)]
    assert intervals([(d[0], "a"), (d[1], "a"), (d[2], "b"), (d[3], "b")]) == [(d[0], d[2], "a"), (d[2], None, "b")]


def test_a_key_that_disappears_closes_its_interval() -> None:
    """7.1: the termination right leaves the calendar at Closing; its row ends there."""
    d = [date(2003, 6, i) for i in (1, 2, 3)]
    rows = keyed_intervals([(d[0], {"right": 1, "deadline": 1}), (d[1], {"deadline": 2}), (d[2], {"deadline": 2})])
    assert rows == [("deadline", d[0], d[1], 1), ("deadline", d[1], None, 2), ("right", d[0], d[1], 1)]

"""The Closing Date from its conditions ("Closing", 1.1; 6.1; 1.5(a)), as pure rules."""

from __future__ import annotations

from datetime import date

from domain.closing import CONDITIONS, agreed_other_date, closing_due, outstanding
from domain.events import ClosingConditionSatisfied
from domain.terms import DEFAULT_TERMS, Terms


def _all(on: date, last: str = "6.1(g)", last_on: date | None = None) -> dict[str, tuple[date, bool]]:
    conditions = {c: (on, False) for c in CONDITIONS}
    if last_on is not None:
        conditions[last] = (last_on, True)
    return conditions


def test_the_conditions_are_those_of_6_1_a_to_g() -> None:
    """6.1 lists seven conditions, (a) to (g); the event accepts exactly those."""
    assert ClosingConditionSatisfied.model_fields["condition"].annotation.__args__ == CONDITIONS


def test_no_closing_date_while_a_condition_is_outstanding() -> None:
    """ "Closing" (1.1): the count starts once "all of the items contemplated by Section 6.1"
    are obtained or waived."""
    conditions = _all(date(2003, 4, 1))
    del conditions["6.1(d)"]
    assert outstanding(conditions) == ["6.1(d)"]
    assert closing_due(DEFAULT_TERMS, conditions) is None


def test_three_business_days_after_the_last_condition() -> None:
    """The last condition (waived or not) on Friday 2003-05-23 gives Thursday 2003-05-29:
    the weekend and Memorial Day are not business days."""
    due = closing_due(DEFAULT_TERMS, _all(date(2003, 4, 1), "6.1(c)", date(2003, 5, 23)))
    assert due is not None
    assert (due.last_conditions, due.conditions_met_on, due.closing_date) == (
        ("6.1(c)",),
        date(2003, 5, 23),
        date(2003, 5, 29),
    )
    assert [d for d, _ in due.count.skipped] == [date(2003, 5, 24), date(2003, 5, 25), date(2003, 5, 26)]


def test_conditions_met_on_the_same_last_day_are_all_named() -> None:
    due = closing_due(DEFAULT_TERMS, _all(date(2003, 7, 24)))
    assert due is not None
    assert due.last_conditions == CONDITIONS
    assert due.closing_date == date(2003, 7, 29)  # Pioneer Day itself not counted; Fri, Mon, Tue


def test_the_terms_choose_the_count_and_the_calendar() -> None:
    """Terms are data: five business days on the federal calendar."""
    terms = Terms(closing_business_days=5, business_calendar="US")
    due = closing_due(terms, _all(date(2003, 7, 23)))
    assert due is not None and due.closing_date == date(2003, 7, 30)


def test_a_closing_on_another_day_is_a_date_the_parties_agreed() -> None:
    """1.5(a): "or on such other date as the Parties may mutually agree"."""
    due = closing_due(DEFAULT_TERMS, _all(date(2003, 5, 23)))
    assert not agreed_other_date(due, date(2003, 5, 29))
    assert agreed_other_date(due, date(2003, 5, 28))
    assert agreed_other_date(due, date(2003, 5, 30))
    assert agreed_other_date(None, date(2003, 4, 10))  # before 6.1 was met

"""When the Closing falls due: the definition of "Closing" (1.1) over the conditions of 6.1.

"Closing" (1.1): "'Closing Date' is the date of the Closing, which shall be the date that is
three business days following the date on which all of the items contemplated by Section
6.1 have been obtained or waived." 1.5(a): the Closing takes place "on the date specified
for the Closing, or on such other date as the Parties may mutually agree".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from domain.business_days import BusinessDayCount, business_days_after
from domain.terms import Terms

CLAUSE = "Closing (1.1), 1.5(a)"
"""The clauses the Closing Date obligation cites: the definition and the day 1.5(a) sets."""

CONDITIONS = ("6.1(a)", "6.1(b)", "6.1(c)", "6.1(d)", "6.1(e)", "6.1(f)", "6.1(g)")
"""6.1(a)-(g): the items contemplated by Section 6.1."""

Conditions = Mapping[str, tuple[date, bool]]
"""Each condition obtained or waived so far: condition -> (date, waived)."""


def refused_condition(conditions: Conditions, closed_on: date | None, condition: str) -> str | None:
    """6.1: "The obligations of the Parties to effect the Closing shall be subject to the
    following conditions unless waived": each is obtained or waived once, and before the
    Closing (after it there is nothing left for it to condition). Why ``condition`` cannot
    be recorded now, or None if it can."""
    if closed_on is not None:
        return f"Closing already occurred on {closed_on}; a condition of 6.1 is obtained or waived before the Closing"
    if condition in conditions:
        on, waived = conditions[condition]
        return f"condition {condition} was already {'waived' if waived else 'obtained'} on {on}"
    return None


def outstanding(conditions: Conditions) -> list[str]:
    """6.1: the conditions neither obtained nor waived yet, in the order of 6.1."""
    return [c for c in CONDITIONS if c not in conditions]


@dataclass(frozen=True, slots=True)
class ClosingDue:
    """The Closing Date the definition gives: the last condition(s) of 6.1 and the count of
    business days from the day the last was obtained or waived."""

    last_conditions: tuple[str, ...]  # those obtained or waived on the last day (usually one)
    count: BusinessDayCount

    @property
    def conditions_met_on(self) -> date:
        return self.count.start

    @property
    def closing_date(self) -> date:
        return self.count.end


def closing_due(terms: Terms, conditions: Conditions) -> ClosingDue | None:
    """ "Closing" (1.1): three business days (``terms.closing_business_days``, in the terms'
    ``business_calendar``) following the date on which the last item of 6.1 was obtained
    or waived; None while any is outstanding."""
    if outstanding(conditions):
        return None
    met_on = max(on for on, _ in conditions.values())
    last = tuple(c for c in CONDITIONS if conditions[c][0] == met_on)
    return ClosingDue(last, business_days_after(terms.business_calendar, met_on, terms.closing_business_days))


def agreed_other_date(due: ClosingDue | None, closed_on: date) -> bool:
    """1.5(a): a Closing on a day other than the one the definition specifies took place on
    "such other date as the Parties may mutually agree" (so does one before 6.1 is met)."""
    return due is None or due.closing_date != closed_on


def agreed_closing(conditions: Conditions, due: ClosingDue | None, closed_on: date | None) -> bool | None:
    """1.5(a) for the state: whether the Closing took place on a date the Parties agreed
    rather than the one the definition of "Closing" gives; None before the Closing, and for
    a ledger that records no condition of 6.1 at all (it cannot tell)."""
    if closed_on is None or not conditions:
        return None
    return agreed_other_date(due, closed_on)

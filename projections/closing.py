"""The Closing Date in the state: the definition of "Closing" (1.1) over the conditions of 6.1.

One rule (``domain.closing.closing_due``) gives the date; the state's ``closing`` section,
the calendar's Closing Date obligation (``projections.obligations``) and ``explain``
(``projections.explain_dated``) all read it through ``closing_of`` (readings 13).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.closing import ClosingDue, agreed_closing, closing_due, outstanding
from projections.facts import Facts
from projections.models import ClosingState, ConditionState


@dataclass(frozen=True, slots=True)
class Closing:
    """What the facts say of the Closing Date: the definition's date once every condition of
    6.1 is obtained or waived (``due``), and the conditions still outstanding."""

    due: ClosingDue | None
    outstanding: tuple[str, ...]
    agreed_other_date: bool | None


def closing_of(facts: Facts) -> Closing:
    """ "Closing" (1.1), 1.5(a): the Closing Date from the conditions recorded so far."""
    due = closing_due(facts.terms, facts.conditions)
    agreed = agreed_closing(facts.conditions, due, facts.closing_date)
    return Closing(due, tuple(outstanding(facts.conditions)), agreed)


def last_conditions_named(facts: Facts, due: ClosingDue) -> str:
    """ "6.1(c) (waived)": the condition(s) of 6.1 obtained or waived last."""
    return " and ".join(f"{c} (waived)" if facts.conditions[c][1] else c for c in due.last_conditions)


def last_conditions_text(facts: Facts, due: ClosingDue) -> str:
    """ "6.1(c) (waived) on 2003-05-23": the condition(s) of 6.1 obtained or waived last."""
    return f"{last_conditions_named(facts, due)} on {due.conditions_met_on}"


def closing_state(facts: Facts) -> ClosingState:
    """The ``closing`` section of ``state --json``."""
    closing = closing_of(facts)
    due, terms = closing.due, facts.terms
    return ClosingState(
        conditions={c: ConditionState(on=on, waived=waived) for c, (on, waived) in sorted(facts.conditions.items())},
        outstanding_conditions=list(closing.outstanding),
        conditions_met_on=None if due is None else due.conditions_met_on,
        last_conditions=[] if due is None else list(due.last_conditions),
        business_days=terms.closing_business_days,
        business_calendar=terms.business_calendar,
        skipped_days=[] if due is None else [f"{day} ({why})" for day, why in due.count.skipped],
        due_on=None if due is None else due.closing_date,
        agreed_other_date=closing.agreed_other_date,
    )

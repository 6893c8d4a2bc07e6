"""Explanations of the dated clauses: the Closing Date ("Closing", 1.1; 6.1; 1.5(a)) and
notices as 9.11 makes them effective.

Pure, like ``projections.explain``: it reads the facts and the state, and the rules
through ``projections.closing.closing_of`` (the one the state and the calendar use).
"""

from __future__ import annotations

from datetime import timedelta

from domain.business_days import BusinessDayCount
from domain.closing import CONDITIONS
from domain.notices import effect
from projections.closing import closing_of, last_conditions_named
from projections.diff import flatten
from projections.explain_base import Explanation, cite, explained
from projections.facts import Claim, Facts
from projections.models import AgreementState
from projections.obligations import CLOSING_DATE_REF

CLOSING_FIGURES = (
    "closing",
    "closing_date",
    "closing.due_on",
    "closing.conditions_met_on",
    "closing.last_conditions",
    "closing.skipped_days",
    "closing.outstanding_conditions",
)


def asserted_text(claim: Claim) -> str:
    """ "asserted 2005-04-09", and how a notice made it so (9.11) when one was recorded:
    both the day it was sent and the day it is effective."""
    given = f" by notice: {effect(claim.notice)}" if claim.notice is not None else ""
    return f"asserted {claim.asserted_on}{given}"


def counted_days(count: BusinessDayCount) -> list[str]:
    """The business days counted, in order (every day after the start that was not skipped)."""
    skipped = {day for day, _ in count.skipped}
    days, day = [], count.start
    while day < count.end:
        day += timedelta(days=1)
        if day not in skipped:
            days.append(day.isoformat())
    return days


def _conditions_text(facts: Facts) -> str:
    """Each condition of 6.1 with the day it was obtained or waived, or "outstanding"."""
    parts = []
    for c in CONDITIONS:
        held = facts.conditions.get(c)
        parts.append(f"{c} outstanding" if held is None else f"{c} {'waived' if held[1] else 'obtained'} {held[0]}")
    return "; ".join(parts)


def closing_formula(facts: Facts) -> str:
    """How the Closing Date follows from the conditions: which was last, the business days
    counted and the days passed over (weekends, named holidays), and how the Closing that
    took place compares (1.5(a))."""
    closing = closing_of(facts)
    due, terms, closed_on = closing.due, facts.terms, facts.closing_date
    if due is None:
        formula = (
            f"no Closing Date yet: 6.1 {', '.join(closing.outstanding)} neither obtained nor waived "
            f"({_conditions_text(facts)})"
        )
    else:
        count = due.count
        formula = (
            f"Closing Date = {count.days} business days following {due.conditions_met_on}, the day the last "
            f"of 6.1 was obtained or waived: {last_conditions_named(facts, due)} ({_conditions_text(facts)}); "
            f"counted on the {terms.business_calendar} calendar: {', '.join(counted_days(count)) or 'none'}; "
            f"passed over: {count.skipped_text()}; = {due.closing_date}"
        )
    if closed_on is not None:
        if closing.agreed_other_date is None:
            formula += f"; Closing took place on {closed_on}"
        elif closing.agreed_other_date:
            formula += f"; Closing took place on {closed_on}, a date the Parties agreed (1.5(a))"
        else:
            formula += f"; Closing took place on {closed_on}, the Closing Date"
    elif facts.terminated_on is not None:
        formula += f"; the agreement was terminated on {facts.terminated_on} (7.1)"
    if facts.deadline is not None and closed_on is None and facts.terminated_on is None:
        after = due is not None and due.closing_date > facts.deadline
        formula += f"; 7.1 deadline {facts.deadline}" + (" (the Closing Date falls after it)" if after else "")
    return formula


def closing_explanations(facts: Facts, state: AgreementState) -> list[Explanation]:
    """The Closing Date figures of the state, and the calendar's Closing Date row."""
    formula = closing_formula(facts)
    positions = cite(facts, "conditions", "closing_date", "deadline")
    agreed = closing_of(facts).agreed_other_date
    out = [explained(figure, formula, "Closing (1.1), 6.1", "Closing", positions) for figure in CLOSING_FIGURES]
    out.append(explained("closing.agreed_other_date", formula, "1.5(a)", "1.5(a)", positions))
    if agreed is not None and state.closing_date is not None:
        out[1] = explained("closing_date", formula, "1.5(a)", "1.5(a)" if agreed else "Closing", positions)
    rows = flatten({"obligations": [o.model_dump(mode="json") for o in state.obligations]})
    for key, obligation in zip(_row_keys(rows), state.obligations, strict=True):
        if obligation.ref == CLOSING_DATE_REF:
            out.append(explained(key, formula, obligation.clause, "Closing", positions))
    return out


def _row_keys(flat: dict[str, object]) -> list[str]:
    """The dotted key of each obligation row, in order (``obligations.DUE.CLAUSE``)."""
    return list(dict.fromkeys(key.rpartition(".")[0] for key in flat))

"""What every handler of the fold needs: a refusal naming the fact and clause, and the two
states of the agreement that most facts require (signed by all Parties, not terminated)."""

from __future__ import annotations

from collections.abc import Callable

from domain.errors import RuleViolation
from domain.events import LedgerEvent
from projections.facts import EFFECTIVE_DATE_MISSING, Facts

Handler = Callable[[Facts, LedgerEvent], None]
"""A handler of the fold: checks one fact against the facts so far (raising RuleViolation), then applies it."""


def reject(event: LedgerEvent, message: str, clause: str) -> RuleViolation:
    """The refusal of ``event``: its type and date, why, and the clause."""
    return RuleViolation(f"{event.type} on {event.occurred_on}: {message}", clause)


def require_effective(facts: Facts, event: LedgerEvent, clause: str) -> None:
    """1.4: a fact that needs the Effective Date, refused while none is recorded."""
    if facts.effective_date is None:
        raise reject(event, EFFECTIVE_DATE_MISSING, clause)


def require_open(facts: Facts, event: LedgerEvent, clause: str) -> None:
    """7.2: after a termination all further obligations terminate."""
    if facts.terminated_on is not None:
        cite = "" if clause == "7.2" else " (7.2)"
        raise reject(event, f"the agreement was terminated on {facts.terminated_on}{cite}", clause)

"""The fold: events in ``occurred_on`` order, each checked against the facts so far, then applied.

``Fold.apply`` is the single place where a fact meets the agreement's rules:
commands use it strictly (a violation rejects the command), queries use it
leniently (a stored event that no longer fits is skipped and reported as an
anomaly, never silently counted).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from operator import attrgetter

from domain.closing import refused_condition
from domain.errors import RuleViolation
from domain.events import (
    AgreementRegistered,
    AgreementTerminated,
    ClosingConditionSatisfied,
    ClosingDeadlineExtended,
    ClosingOccurred,
    EffectiveDateReached,
    EventRetracted,
    LedgerEvent,
    RedemptionExercised,
)
from projections.checks import reject, require_open
from projections.cited import Cited
from projections.earnout import EARNOUT_HANDLERS
from projections.escrow import ESCROW_HANDLERS
from projections.facts import EFFECTIVE_DATE_MISSING, Facts, Movement, ReadOnce
from projections.indemnity import CLAIM_HANDLERS
from projections.offset import OFFSET_HANDLERS
from projections.reimbursements import REIMBURSEMENT_HANDLERS
from projections.survival import SURVIVAL_HANDLERS

ORDER_KEY = attrgetter("occurred_on", "originator_version")  # order_key, read in C (one call per event folded)


def order_key(event: LedgerEvent) -> tuple[date, int]:
    """readings 9: fold in occurred_on order, ties broken by recording order (the position)."""
    return ORDER_KEY(event)  # type: ignore[no-any-return]


class Fold:
    """The fold's state: accumulates the Facts of one agreement, checking each event as it comes."""

    def __init__(self, registered: AgreementRegistered, remember: bool = True) -> None:
        kind = Facts if remember else ReadOnce  # asked for one state or its anomalies: nothing is recalled
        self.facts = kind(
            terms=registered.terms, agreement_id=registered.agreement_id, deadline=registered.terms.closing_deadline
        )
        if not remember:
            self.facts.memo = None
        self.facts.cite(Cited.TERMS, registered.position)
        self.anomalies: list[tuple[int, str]] = []
        self._handlers: dict[type[LedgerEvent], Callable[[Facts, LedgerEvent], None]] = HANDLERS

    def apply(self, event: LedgerEvent, strict: bool = True) -> None:
        """Check ``event`` against the facts so far and apply it; raise (strict) or record."""
        self.apply_all((event,), strict)

    def apply_all(self, events: Iterable[LedgerEvent], strict: bool = False) -> Fold:
        """``apply`` each of ``events`` in turn; the loop is here, not a call of ``apply`` an event,
        because a replay folds every event through it and a call costs as much as its body."""
        handlers, facts, anomalies = self._handlers, self.facts, self.anomalies
        for event in events:
            handler = handlers.get(type(event))
            if handler is None:
                continue
            try:
                handler(facts, event)
            except RuleViolation as violation:
                if strict:
                    raise
                anomalies.append((event.position, str(violation)))
                continue
            last, on = facts.last_date, event.occurred_on
            if last is None or on > last:
                facts.last_date = on
        return self


def _effective_date(facts: Facts, e: EffectiveDateReached) -> None:
    """1.4: the Effective Date is the date the agreement is signed by all Parties - once."""
    if facts.effective_date is not None:
        raise reject(e, f"the Effective Date was already reached on {facts.effective_date}", "1.4")
    facts.effective_date = e.occurred_on
    facts.cite(Cited.EFFECTIVE_DATE, e.position)


def _condition(facts: Facts, e: ClosingConditionSatisfied) -> None:
    """6.1: each closing condition is obtained or waived once, before Closing."""
    require_open(facts, e, "6.1")
    refused = refused_condition(facts.conditions, facts.closing_date, e.condition)
    if refused is not None:
        raise reject(e, refused, "6.1")
    facts.conditions[e.condition] = (e.occurred_on, e.waived)
    facts.cite(Cited.CONDITIONS, e.position)


def _deadline_extended(facts: Facts, e: ClosingDeadlineExtended) -> None:
    """7.1: the May 31, 2003 deadline may be extended by mutual written consent, before Closing."""
    require_open(facts, e, "7.1")
    if facts.closing_date is not None:
        raise reject(e, f"Closing already occurred on {facts.closing_date}", "7.1")
    if facts.deadline is not None and e.new_deadline <= facts.deadline:
        raise reject(e, f"new deadline {e.new_deadline} is not after the current {facts.deadline}", "7.1")
    facts.deadline = e.new_deadline
    facts.cite(Cited.DEADLINE, e.position)


def _closing(facts: Facts, e: ClosingOccurred) -> None:
    """1.5, 6: Closing happens once, on or after the Effective Date, unless terminated."""
    require_open(facts, e, "7.2")
    if facts.closing_date is not None:
        raise reject(e, f"Closing already occurred on {facts.closing_date}", "1.5")
    if facts.effective_date is None:
        raise reject(e, EFFECTIVE_DATE_MISSING, "1.4, 1.5")
    facts.closing_date = e.occurred_on
    facts.cite(Cited.CLOSING_DATE, e.position)


def _terminated(facts: Facts, e: AgreementTerminated) -> None:
    """7.1: termination is possible only before Closing - for a missed deadline once the
    close of business on the deadline has passed, or at any time by mutual consent."""
    if facts.terminated_on is not None:
        raise reject(e, f"the agreement was already terminated on {facts.terminated_on}", "7.1")
    if facts.closing_date is not None:
        raise reject(e, f"Closing occurred on {facts.closing_date}; 7.1 termination is only before Closing", "7.1")
    if e.reason == "deadline" and facts.deadline is not None and e.occurred_on <= facts.deadline:
        raise reject(e, f"the closing deadline {facts.deadline} has not passed", "7.1")
    facts.terminated_on = e.occurred_on
    facts.termination_reason = e.reason
    facts.cite(Cited.STATUS, e.position)


def _redemption(facts: Facts, e: RedemptionExercised) -> None:
    """5.6: Buyer will not redeem the Buyer Securities before December 6, 2007."""
    terms = facts.terms
    if e.occurred_on < terms.redemption_not_before:
        raise reject(e, f"no redemption before {terms.redemption_not_before}", "5.6")
    if facts.redeemed_shares + e.shares > terms.securities_shares:
        raise reject(e, f"only {terms.securities_shares} Buyer Securities were issued", "1.3, 5.6")
    facts.redeemed_shares += e.shares
    facts.redemptions.append(Movement(e.occurred_on, "redemption", e.shares, "", e.position))
    facts.cite(Cited.REDEMPTION, e.position)


def _ignore(facts: Facts, e: LedgerEvent) -> None:
    """Retractions are applied before the fold (they act from their recording on)."""


HANDLERS: dict[type[LedgerEvent], Callable[[Facts, LedgerEvent], None]] = {  # type: ignore[dict-item]
    EffectiveDateReached: _effective_date,
    ClosingConditionSatisfied: _condition,
    ClosingDeadlineExtended: _deadline_extended,
    ClosingOccurred: _closing,
    AgreementTerminated: _terminated,
    RedemptionExercised: _redemption,
    EventRetracted: _ignore,
    **EARNOUT_HANDLERS,  # 1.5(b)-(c): projections.earnout
    **ESCROW_HANDLERS,  # 8.1(c): projections.escrow
    **CLAIM_HANDLERS,  # 8.1-8.4, 7.3: projections.indemnity
    **OFFSET_HANDLERS,  # 8.6: projections.offset
    **SURVIVAL_HANDLERS,  # 7.3(ii): projections.survival
    **REIMBURSEMENT_HANDLERS,  # 4.7, 8.3(b)(i)-(ii): projections.reimbursements
}
"""Each fact's handler. The signing, the Closing, the termination and redemption are checked here;
each area's facts beside the rules of that area, so that a reader with a clause open finds its
checks in one module."""


def effective_events(
    events: Iterable[LedgerEvent], as_of: date | None = None, known_at: object = None
) -> tuple[AgreementRegistered, list[LedgerEvent]]:
    """readings 9: the events known at ``known_at`` (recorded at or before it),
    less those retracted by then, that occurred on or before ``as_of``, in fold order."""
    known = list(events) if known_at is None else [e for e in events if e.timestamp <= known_at]  # type: ignore[operator]
    if not known or not isinstance(known[0], AgreementRegistered):
        raise RuleViolation("the agreement is not registered at that time", "preamble")
    retracted = {e.event_id for e in known if type(e) is EventRetracted}
    if not retracted and as_of is None:
        chosen = known[1:]  # the common case of a replay: nothing to leave out
    else:
        chosen = [
            e
            for e in known[1:]
            if e.position not in retracted
            and type(e) is not EventRetracted
            and (as_of is None or e.occurred_on <= as_of)
        ]
    chosen.sort(key=ORDER_KEY)
    return known[0], chosen


def fold(
    events: Iterable[LedgerEvent], as_of: date | None = None, known_at: object = None, *, remember: bool = True
) -> Fold:
    """Fold an agreement's events up to (as_of, known_at), leniently; ``remember=False`` for a fold
    read once (one state, the anomalies), which the memo's bookkeeping would only slow."""
    registered, chosen = effective_events(events, as_of, known_at)
    return Fold(registered, remember).apply_all(chosen, strict=False)


__all__ = ["Fold", "effective_events", "fold", "order_key"]

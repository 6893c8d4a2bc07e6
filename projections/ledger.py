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

from domain import earnout as earnout_rules
from domain.closing import refused_condition
from domain.dates import first_of_next_month
from domain.errors import RuleViolation
from domain.events import (
    AgreementRegistered,
    AgreementTerminated,
    BPEventDeclared,
    CashIndemnityDue,
    ClaimAsserted,
    ClaimResolved,
    ClaimRevised,
    ClaimWithdrawn,
    ClosingConditionSatisfied,
    ClosingDeadlineExtended,
    ClosingOccurred,
    DeemedEventAgreed,
    EarnoutSharesDelivered,
    EffectiveDateReached,
    EscrowDeposited,
    EscrowReleased,
    EventRetracted,
    GrossMarginReported,
    LedgerEvent,
    PaymentDue,
    PaymentWithheld,
    RedemptionExercised,
    SharesSurrendered,
    TaxLimitationPeriodRecorded,
    WithheldPaymentReleased,
    base_section,
)
from domain.indemnity import payable_losses
from domain.notices import effect
from domain.offset import may_withhold, offset_interest
from projections.cited import Cited
from projections.earnout import release_schedule, released_by
from projections.escrow import reserved_shares
from projections.facts import EFFECTIVE_DATE_MISSING, ZERO, Claim, Facts, Movement, Payment
from projections.indemnity import settle_buyer_losses
from projections.reimbursements import REIMBURSEMENT_HANDLERS
from projections.survival import new_claim_refusal

ORDER_KEY = attrgetter("occurred_on", "originator_version")  # order_key, read in C (one call per event folded)


def order_key(event: LedgerEvent) -> tuple[date, int]:
    """readings 9: fold in occurred_on order, ties broken by recording order (the position)."""
    return ORDER_KEY(event)  # type: ignore[no-any-return]


class Fold:
    """The fold's state: accumulates the Facts of one agreement, checking each event as it comes."""

    def __init__(self, registered: AgreementRegistered) -> None:
        self.facts = Facts(
            terms=registered.terms, agreement_id=registered.agreement_id, deadline=registered.terms.closing_deadline
        )
        self.facts.cite(Cited.TERMS, registered.position)
        self.anomalies: list[tuple[int, str]] = []
        self._handlers: dict[type[LedgerEvent], Callable[[Facts, LedgerEvent], None]] = HANDLERS

    def apply(self, event: LedgerEvent, strict: bool = True) -> None:
        """Check ``event`` against the facts so far and apply it; raise (strict) or record."""
        handler = self._handlers.get(type(event))
        if handler is None:
            return
        try:
            handler(self.facts, event)
        except RuleViolation as violation:
            if strict:
                raise
            self.anomalies.append((event.position, str(violation)))
            return
        if self.facts.last_date is None or event.occurred_on > self.facts.last_date:
            self.facts.last_date = event.occurred_on

    def apply_all(self, events: Iterable[LedgerEvent], strict: bool = False) -> Fold:
        for event in events:
            self.apply(event, strict=strict)
        return self


def _reject(event: LedgerEvent, message: str, clause: str) -> RuleViolation:
    return RuleViolation(f"{event.type} on {event.occurred_on}: {message}", clause)


def _require_effective(facts: Facts, event: LedgerEvent, clause: str) -> None:
    if facts.effective_date is None:
        raise _reject(event, EFFECTIVE_DATE_MISSING, clause)


def _require_open(facts: Facts, event: LedgerEvent, clause: str) -> None:
    if facts.terminated_on is not None:
        cite = "" if clause == "7.2" else " (7.2)"
        raise _reject(event, f"the agreement was terminated on {facts.terminated_on}{cite}", clause)


def _effective_date(facts: Facts, e: EffectiveDateReached) -> None:
    """1.4: the Effective Date is the date the agreement is signed by all Parties - once."""
    if facts.effective_date is not None:
        raise _reject(e, f"the Effective Date was already reached on {facts.effective_date}", "1.4")
    facts.effective_date = e.occurred_on
    facts.cite(Cited.EFFECTIVE_DATE, e.position)


def _escrow_deposited(facts: Facts, e: EscrowDeposited) -> None:
    """8.1(c): Sellers deliver 25,000 shares to the escrow agent; never more."""
    _require_effective(facts, e, "8.1(c)")
    _require_open(facts, e, "8.1(c)")
    limit = facts.terms.escrow_shares
    if facts.escrow_deposited + e.shares > limit:
        raise _reject(
            e, f"deposits would total {facts.escrow_deposited + e.shares}, above the {limit} escrow shares", "8.1(c)"
        )
    facts.escrow_deposited += e.shares
    facts.escrow_movements.append(Movement(e.occurred_on, "deposit", e.shares, "", e.position))
    facts.cite(Cited.ESCROW, e.position)


def _condition(facts: Facts, e: ClosingConditionSatisfied) -> None:
    """6.1: each closing condition is obtained or waived once, before Closing."""
    _require_open(facts, e, "6.1")
    refused = refused_condition(facts.conditions, facts.closing_date, e.condition)
    if refused is not None:
        raise _reject(e, refused, "6.1")
    facts.conditions[e.condition] = (e.occurred_on, e.waived)
    facts.cite(Cited.CONDITIONS, e.position)


def _deadline_extended(facts: Facts, e: ClosingDeadlineExtended) -> None:
    """7.1: the May 31, 2003 deadline may be extended by mutual written consent, before Closing."""
    _require_open(facts, e, "7.1")
    if facts.closing_date is not None:
        raise _reject(e, f"Closing already occurred on {facts.closing_date}", "7.1")
    if facts.deadline is not None and e.new_deadline <= facts.deadline:
        raise _reject(e, f"new deadline {e.new_deadline} is not after the current {facts.deadline}", "7.1")
    facts.deadline = e.new_deadline
    facts.cite(Cited.DEADLINE, e.position)


def _closing(facts: Facts, e: ClosingOccurred) -> None:
    """1.5, 6: Closing happens once, on or after the Effective Date, unless terminated."""
    _require_open(facts, e, "7.2")
    if facts.closing_date is not None:
        raise _reject(e, f"Closing already occurred on {facts.closing_date}", "1.5")
    if facts.effective_date is None:
        raise _reject(e, EFFECTIVE_DATE_MISSING, "1.4, 1.5")
    facts.closing_date = e.occurred_on
    facts.cite(Cited.CLOSING_DATE, e.position)


def _terminated(facts: Facts, e: AgreementTerminated) -> None:
    """7.1: termination is possible only before Closing - for a missed deadline once the
    close of business on the deadline has passed, or at any time by mutual consent."""
    if facts.terminated_on is not None:
        raise _reject(e, f"the agreement was already terminated on {facts.terminated_on}", "7.1")
    if facts.closing_date is not None:
        raise _reject(e, f"Closing occurred on {facts.closing_date}; 7.1 termination is only before Closing", "7.1")
    if e.reason == "deadline" and facts.deadline is not None and e.occurred_on <= facts.deadline:
        raise _reject(e, f"the closing deadline {facts.deadline} has not passed", "7.1")
    facts.terminated_on = e.occurred_on
    facts.termination_reason = e.reason
    facts.cite(Cited.STATUS, e.position)


def _margin(facts: Facts, e: GrossMarginReported) -> None:
    """Gross Margin, 1.5(b): a month's figure is reported after the month ends; a later
    recorded report for the same month supersedes the earlier one (from its recording on,
    whatever date it bears)."""
    earliest, last = facts.margin_months
    if not earliest <= e.month <= last:
        raise _reject(
            e, f"month {e.month} plays no part in 1.5(b) (Gross Margin is used for {earliest} through {last})", "1.5(b)"
        )
    if e.occurred_on < first_of_next_month(e.month):
        raise _reject(e, f"month {e.month} has not ended yet", "Gross Margin, 1.5(b)")
    held = facts.sources.get(Cited.MARGIN.of(e.month))
    if held and held[0] > e.position:
        return  # a report recorded later already governs this month, even if dated earlier
    facts.margins[e.month] = e.amount
    facts.cite(Cited.MARGIN.of(e.month), e.position, replace=True)


def _check_bp_window(facts: Facts, e: LedgerEvent, day: date, what: str) -> None:
    terms = facts.terms
    if not earnout_rules.in_bp_window(terms, day):
        raise _reject(
            e,
            f"{what} {day} is outside the BP Event period {terms.bp_window_start} to {terms.bp_window_end}",
            "BP Event, 1.5(b)",
        )


def _bp_declared(facts: Facts, e: BPEventDeclared) -> None:
    """BP Event (a)-(c): one BP Event, during the 14-month period commencing January 1, 2003."""
    _require_open(facts, e, "7.2")
    _check_bp_window(facts, e, e.occurred_on, "the BP Event date")
    if facts.bp_declared_on is not None:
        raise _reject(e, f"a BP Event already occurred on {facts.bp_declared_on}", "BP Event, 1.5(b)")
    if facts.deemed_on is not None and (e.bp_clause == "c" or e.occurred_on >= facts.deemed_on):
        # readings 3: only the first BP Event counts - a clause (a) or (b) event before the agreed
        # Deemed Event date is the first, and governs (the Deemed Event is then moot)
        raise _reject(
            e,
            f"a BP Event is deemed to have occurred on {facts.deemed_on} (agreed on {facts.deemed_agreed_on}); "
            "only a clause (a) or (b) event dated before it could come first",
            "BP Event, 1.5(b)",
        )
    facts.bp_declared_on = e.occurred_on
    facts.bp_clause = e.bp_clause
    facts.cite(Cited.BP_EVENT, e.position)


def _deemed(facts: Facts, e: DeemedEventAgreed) -> None:
    """BP Event (c): if Buyer accedes and Big Planet promotes, the parties agree a Deemed
    Event date not less than four nor more than seven months after the promotion."""
    _require_open(facts, e, "7.2")
    if facts.deemed_on is not None:
        raise _reject(e, f"a Deemed Event was already agreed for {facts.deemed_on}", "BP Event (c)")
    if facts.bp_declared_on is not None and facts.bp_clause != "c":
        raise _reject(
            e, f"a clause ({facts.bp_clause}) BP Event already occurred on {facts.bp_declared_on}", "BP Event (c)"
        )
    low, high = earnout_rules.deemed_event_bounds(facts.terms, e.promotion_implemented_on)
    if not low <= e.deemed_on <= high:
        raise _reject(
            e,
            f"deemed date {e.deemed_on} must be 4 to 7 months after the promotion of "
            f"{e.promotion_implemented_on}, i.e. {low} to {high}",
            "BP Event (c)",
        )
    _check_bp_window(facts, e, e.deemed_on, "the deemed date")
    if e.deemed_on < e.occurred_on:  # installments released meanwhile would be taken back; 1.5 has no clawback
        raise _reject(e, f"deemed date {e.deemed_on} precedes the agreement on it; it cannot be in the past", "1.5(b)")
    facts.deemed_agreed_on = e.occurred_on
    facts.promotion_implemented_on = e.promotion_implemented_on
    facts.deemed_on = e.deemed_on
    facts.bp_clause = "c"
    facts.cite(Cited.BP_EVENT, e.position)


def _delivered(facts: Facts, e: EarnoutSharesDelivered) -> None:
    """1.5(b): CRS delivers Earnout Shares; never more than have been released by then."""
    released = released_by(release_schedule(facts)[0], e.occurred_on)
    if facts.delivered_shares + e.shares > released:
        raise _reject(
            e,
            f"deliveries would total {facts.delivered_shares + e.shares} but only {released} Earnout Shares "
            "are released by this date",
            "1.5(b)",
        )
    facts.delivered_shares += e.shares
    facts.deliveries.append(Movement(e.occurred_on, "delivery", e.shares, "", e.position))
    facts.cite(Cited.DELIVERED, e.position)


def _asserted(facts: Facts, e: ClaimAsserted) -> None:
    """8.1-8.3 with 7.3: a claim cites sections that have not expired on the day it is asserted."""
    terms = facts.terms
    _require_effective(facts, e, "8.3")
    if e.claim_id in facts.claims:
        raise _reject(e, f"claim {e.claim_id} was already asserted on {facts.claims[e.claim_id].asserted_on}", "8.3")
    known = facts.claimable
    for cited in e.sections:
        section = base_section(cited)
        if section not in known:
            raise _reject(e, f"section {cited} is not a section of the agreement", "8.1, 8.2")
        article = section.split(".")[0]
        if e.claimant == "buyer" and article == "3":
            raise _reject(e, f"Buyer cannot claim under its own representation {section}", "8.1(a)")
        if e.claimant == "sellers" and article == "2":
            raise _reject(e, f"Sellers cannot claim under their own representation {section}", "8.2(a)")
        late = new_claim_refusal(facts, section, e.occurred_on)
        if late is not None:
            given = f"; the claim's notice is effective on {e.occurred_on}: {effect(e.notice)}" if e.notice else ""
            clause = "7.3(ii)" if section == terms.tax_section else "7.3"
            raise _reject(e, f"{late}{given}", f"{clause}, 9.11" if given else clause)
    facts.claims[e.claim_id] = Claim(
        claim_id=e.claim_id,
        claimant=e.claimant,
        sections=tuple(e.sections),
        basis=e.basis,
        asserted_on=e.occurred_on,
        amount=e.amount,
        positions=[e.position],
        notice=e.notice,
    )
    facts.cite(Cited.CLAIM.of(e.claim_id), e.position)


def _pending_claim(facts: Facts, e: ClaimRevised | ClaimResolved | ClaimWithdrawn) -> Claim:
    claim = facts.claims.get(e.claim_id)
    if claim is None:
        raise _reject(e, f"no claim {e.claim_id} has been asserted by this date", "8.3")
    if claim.status != "pending":
        raise _reject(e, f"claim {e.claim_id} was already {claim.status} on {claim.closed_on}", "8.3, 8.4")
    return claim


def _revised(facts: Facts, e: ClaimRevised) -> None:
    """8.3: the amount of a pending claim may be revised."""
    claim = _pending_claim(facts, e)
    claim.amount = e.amount
    claim.positions.append(e.position)
    facts.cite(Cited.CLAIM.of(e.claim_id), e.position)


def _resolved(facts: Facts, e: ClaimResolved) -> None:
    """8.3, 8.4: a claim is finally resolved at an amount of Losses. For Buyer's claims, what
    becomes payable is satisfied once, in the order of readings 5 (``settle_buyer_losses``):
    offset (8.6), escrow shares, Buyer Securities outside the escrow, cash (8.1(c))."""
    terms = facts.terms
    claim = _pending_claim(facts, e)
    before_payable = payable_losses(terms, facts.resolved_losses(claim.claimant))
    claim.status, claim.resolved_amount, claim.closed_on = "resolved", e.amount, e.occurred_on
    claim.positions.append(e.position)
    facts.cite(Cited.CLAIM.of(e.claim_id), e.position)
    facts.cite(Cited.LOSSES.of(claim.claimant), e.position)
    if claim.claimant != "buyer":
        claim.cash_due = payable_losses(terms, facts.resolved_losses("sellers")) - before_payable
        return
    surrendered = facts.escrow_surrendered
    settle_buyer_losses(facts, claim)
    if facts.escrow_surrendered != surrendered:
        facts.escrow_movements.append(
            Movement(e.occurred_on, "surrender", facts.escrow_surrendered - surrendered, e.claim_id, e.position)
        )
        facts.cite(Cited.ESCROW, e.position)
    if claim.offset:
        facts.cite(Cited.OFFSET, e.position)


def _withdrawn(facts: Facts, e: ClaimWithdrawn) -> None:
    """8.3: a pending claim may be withdrawn; it then reserves nothing and extends nothing."""
    claim = _pending_claim(facts, e)
    claim.status, claim.closed_on = "withdrawn", e.occurred_on
    claim.positions.append(e.position)
    facts.cite(Cited.CLAIM.of(e.claim_id), e.position)


def _derived(facts: Facts, e: SharesSurrendered | CashIndemnityDue) -> None:
    """Derived records of a resolution: the fold recomputes them from ClaimResolved."""
    facts.cite(Cited.DERIVED.of(e.claim_id), e.position)


def _released(facts: Facts, e: EscrowReleased) -> None:
    """Escrow Agreement, 8.1(c): only unreserved shares in the escrow can be released."""
    reserved = reserved_shares(facts)
    available = facts.escrow_balance - reserved
    if e.shares > available:
        raise _reject(
            e,
            f"only {available} escrow shares are available (balance {facts.escrow_balance}, "
            f"{reserved} reserved for pending claims)",
            "8.1(c)",
        )
    facts.escrow_released += e.shares
    facts.escrow_movements.append(Movement(e.occurred_on, "release", e.shares, "", e.position))
    facts.cite(Cited.ESCROW, e.position)


def _statute(facts: Facts, e: TaxLimitationPeriodRecorded) -> None:
    """7.3(ii): 2.11 survives through the applicable statute of limitations "as the same may
    be extended"; the latest recorded date governs."""
    facts.tax_statute = e.expires_on
    facts.cite(Cited.SURVIVAL.of("2.11"), e.position, replace=True)


def _payment_due(facts: Facts, e: PaymentDue) -> None:
    """8.6: a payment due from Buyer to Sellers on the Buyer Securities."""
    if e.payment_id in facts.payments:
        raise _reject(e, f"payment {e.payment_id} is already recorded", "8.6")
    facts.payments[e.payment_id] = Payment(e.payment_id, e.occurred_on, e.amount, positions=[e.position])
    facts.cite(Cited.OFFSET, e.position)


def _payment(facts: Facts, e: PaymentWithheld | WithheldPaymentReleased) -> Payment:
    payment = facts.payments.get(e.payment_id)
    if payment is None:
        raise _reject(e, f"no payment {e.payment_id} is due by this date", "8.6")
    return payment


def _withheld(facts: Facts, e: PaymentWithheld) -> None:
    """8.6, readings 7: Buyer may withhold, up to the total of its pending claims, once its potential
    claims - resolved and pending Losses together - exceed the Allowance of 8.1(b)."""
    terms = facts.terms
    payment = _payment(facts, e)
    resolved, pending = facts.resolved_losses("buyer"), facts.pending_losses("buyer")
    if not may_withhold(terms, resolved, pending):
        raise _reject(
            e,
            f"the Buyer's potential claims total {resolved + pending} ({resolved} resolved, {pending} pending), "
            f"not above the {terms.allowance} Allowance of 8.1(b)"
            if pending
            else "no buyer claim is pending",
            "8.6",
        )
    if payment.withheld + e.amount > payment.amount:
        raise _reject(e, f"cannot withhold more than the {payment.amount} payment", "8.6")
    outstanding = sum((p.held for p in facts.payments.values()), ZERO)
    if outstanding + e.amount > pending:
        raise _reject(e, f"withholding would total {outstanding + e.amount}, above the {pending} pending claims", "8.6")
    payment.withheld += e.amount
    payment.withheld_on = payment.withheld_on or e.occurred_on
    payment.covers.update(c.claim_id for c in facts.claims_of("buyer", "pending"))
    payment.positions.append(e.position)
    facts.cite(Cited.OFFSET, e.position)


def _withheld_released(facts: Facts, e: WithheldPaymentReleased) -> None:
    """8.6: the part not offset ("the remainder") is paid with 6% simple interest from withholding
    to payment; what was offset against a resolved claim satisfied it and is not paid back."""
    payment = _payment(facts, e)
    if e.amount > payment.held:
        offset = f" ({payment.offset} was offset against resolved claims)" if payment.offset else ""
        raise _reject(e, f"only {payment.held} of payment {e.payment_id} is withheld{offset}", "8.6")
    payment.released += e.amount
    payment.released_on = e.occurred_on
    if payment.withheld_on is not None:
        payment.interest += offset_interest(facts.terms, e.amount, payment.withheld_on, e.occurred_on)
    payment.positions.append(e.position)
    facts.cite(Cited.OFFSET, e.position)


def _redemption(facts: Facts, e: RedemptionExercised) -> None:
    """5.6: Buyer will not redeem the Buyer Securities before December 6, 2007."""
    terms = facts.terms
    if e.occurred_on < terms.redemption_not_before:
        raise _reject(e, f"no redemption before {terms.redemption_not_before}", "5.6")
    if facts.redeemed_shares + e.shares > terms.securities_shares:
        raise _reject(e, f"only {terms.securities_shares} Buyer Securities were issued", "1.3, 5.6")
    facts.redeemed_shares += e.shares
    facts.redemptions.append(Movement(e.occurred_on, "redemption", e.shares, "", e.position))
    facts.cite(Cited.REDEMPTION, e.position)


def _ignore(facts: Facts, e: LedgerEvent) -> None:
    """Retractions are applied before the fold (they act from their recording on)."""


HANDLERS: dict[type[LedgerEvent], Callable[[Facts, LedgerEvent], None]] = {  # type: ignore[dict-item]
    EffectiveDateReached: _effective_date,
    EscrowDeposited: _escrow_deposited,
    ClosingConditionSatisfied: _condition,
    ClosingDeadlineExtended: _deadline_extended,
    ClosingOccurred: _closing,
    AgreementTerminated: _terminated,
    GrossMarginReported: _margin,
    BPEventDeclared: _bp_declared,
    DeemedEventAgreed: _deemed,
    EarnoutSharesDelivered: _delivered,
    ClaimAsserted: _asserted,
    ClaimRevised: _revised,
    ClaimResolved: _resolved,
    ClaimWithdrawn: _withdrawn,
    SharesSurrendered: _derived,
    CashIndemnityDue: _derived,
    EscrowReleased: _released,
    TaxLimitationPeriodRecorded: _statute,
    PaymentDue: _payment_due,
    PaymentWithheld: _withheld,
    WithheldPaymentReleased: _withheld_released,
    RedemptionExercised: _redemption,
    EventRetracted: _ignore,
    **REIMBURSEMENT_HANDLERS,  # 4.7, 8.3(b)(i)-(ii)
}


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


def fold(events: Iterable[LedgerEvent], as_of: date | None = None, known_at: object = None) -> Fold:
    """Fold an agreement's events up to (as_of, known_at), leniently."""
    registered, chosen = effective_events(events, as_of, known_at)
    return Fold(registered).apply_all(chosen, strict=False)


__all__ = ["Fold", "effective_events", "fold", "order_key"]

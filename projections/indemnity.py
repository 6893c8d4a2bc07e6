"""8.1-8.2: each side's Losses, the Allowance, and how the payable amount is satisfied."""

from __future__ import annotations

from decimal import Decimal

from domain.events import trusted_model
from domain.indemnity import Satisfaction, allowance_exceeded, escrow_part, payable_losses, satisfaction
from domain.offset import offsets
from projections.facts import ZERO, Claim, Facts, Losses
from projections.models import ClaimState, IndemnitySide, IndemnityState


def buyer_satisfaction(
    facts: Facts, hypothetical: list[tuple[str, Decimal]] | None = None
) -> tuple[Satisfaction, list[Decimal]]:
    """8.1(c), 8.6, readings 5: how the Buyer's payable Losses are satisfied, each dollar once -
    offset against the payments withheld for them, then Buyer Securities, then cash - with what
    each payment gives to the offset beyond what it gave already.

    As the facts stand, the resolved claims not yet counted (all of them once the Allowance is
    first exceeded) are offset now; with ``hypothetical`` (claim id, amount) pairs - the pending
    claims at their claimed amounts, for the escrow reserve - as if those were resolved too."""
    terms = facts.terms
    resolved = facts.resolved_losses("buyer")
    unsettled = [c for c in facts.claims_of("buyer", "resolved") if not c.settled]
    unsettled.sort(key=lambda c: (c.closed_on, c.positions[-1]))
    claims = [(c.claim_id, c.resolved_amount or ZERO) for c in unsettled]
    if hypothetical is not None:
        claims += hypothetical
        resolved += sum((amount for _, amount in hypothetical), ZERO)
    payable = payable_losses(terms, resolved)
    payments = list(facts.payments.values())
    taken = offsets(claims, [(p.held, frozenset(p.covers)) for p in payments]) if payable > 0 else []
    offset = sum((p.offset for p in payments), ZERO) + sum(taken, ZERO)
    return satisfaction(terms, payable, offset), taken


def settle_buyer_losses(facts: Facts, claim: Claim) -> None:
    """8.1(c), 8.6, readings 5: at the resolution of the Buyer's ``claim``, what became payable
    is satisfied in order - offset against the withheld payments, then escrow shares at $10,
    then Buyer Securities due outside the escrow when it holds too few, then cash - and the
    change is the claim's (what its derived SharesSurrendered and CashIndemnityDue record).
    Nothing is satisfied twice: the figures only grow, from what earlier resolutions took."""
    before = _current(facts)
    now, taken = buyer_satisfaction(facts)
    if not allowance_exceeded(facts.terms, facts.resolved_losses("buyer")):
        return  # 8.1(b): nothing is payable yet
    for payment, amount in zip(facts.payments.values(), taken, strict=True):
        payment.offset += amount
    for c in facts.claims_of("buyer", "resolved"):
        c.settled = True
    from_escrow, outside = escrow_part(now.shares - before.shares, facts.escrow_balance)
    facts.escrow_surrendered += from_escrow
    facts.outside_shares += outside
    claim.surrendered_shares, claim.outside_shares = from_escrow, outside
    claim.offset = now.offset - before.offset
    claim.cash_due = now.cash - before.cash


def _current(facts: Facts) -> Satisfaction:
    """What the earlier resolutions satisfied: the offset taken, the shares surrendered in and
    outside the escrow, and the cash that leaves of the payable amount they counted."""
    terms = facts.terms
    counted = sum((c.resolved_amount or ZERO for c in facts.claims_of("buyer", "resolved") if c.settled), ZERO)
    payable = payable_losses(terms, counted)
    offset = sum((p.offset for p in facts.payments.values()), ZERO)
    shares = facts.escrow_surrendered + facts.outside_shares
    return Satisfaction(offset, shares, payable - offset - shares * terms.liquidation_value)


def indemnity_side(facts: Facts, claimant: str, losses: Losses | None = None) -> IndemnitySide:
    """8.1(b)/8.2(b): tipping Allowance. 8.1(c), 8.6, readings 5: the Buyer's payable Losses are
    satisfied by offset, then in Buyer Securities at $10 (in the escrow, or due outside it), then
    in cash; payable = offset + satisfied_in_shares + cash_due. Sellers' claims against Buyer
    under 8.2 are paid in cash. ``losses``: ``facts.losses()``, if already summed."""
    terms = facts.terms
    resolved = losses[claimant, "resolved"] if losses is not None else facts.resolved_losses(claimant)
    pending = losses[claimant, "pending"] if losses is not None else facts.pending_losses(claimant)
    payable = payable_losses(terms, resolved)
    offset, outside, in_shares = ZERO, 0, ZERO
    if claimant == "buyer":
        offset = sum((p.offset for p in facts.payments.values()), ZERO)
        outside = facts.outside_shares
        in_shares = (facts.escrow_surrendered + outside) * terms.liquidation_value
    return trusted_model(
        IndemnitySide,
        dict(
            allowance=terms.allowance,
            resolved_losses=resolved,
            pending_losses=pending,
            allowance_exceeded=allowance_exceeded(terms, resolved),
            payable=payable,
            offset=offset,
            satisfied_in_shares=in_shares,
            shares_due_outside_escrow=outside,
            cash_due=payable - offset - in_shares,
        ),
    )


def indemnity_state(facts: Facts) -> IndemnityState:
    return trusted_model(
        IndemnityState, dict(buyer=indemnity_side(facts, "buyer"), sellers=indemnity_side(facts, "sellers"))
    )


def claims_key(facts: Facts) -> tuple[object, ...]:
    """Every field of every claim the state reads (amounts by their text, so an equal amount
    written differently is never shared): a memo key for what depends on the claims only."""
    return tuple(_claim_key(c) for c in facts.claims.values())


def claims_state(facts: Facts, key: tuple[object, ...] | None = None) -> list[ClaimState]:
    """Every claim asserted by the date, in order of assertion (memoised per fold on ``claims_key``)."""
    key = claims_key(facts) if key is None else key
    return list(facts.recall("claims", key, lambda: tuple(_claims_state(facts))))


def _claim_key(c: Claim) -> tuple[object, ...]:
    amounts = (str(c.amount), str(c.resolved_amount))
    return (c.claim_id, c.claimant, c.sections, c.asserted_on, c.positions[0], c.status, *amounts, *_closed(c))


def _closed(c: Claim) -> tuple[object, ...]:
    return (c.closed_on, c.surrendered_shares, c.outside_shares, str(c.offset))


def _claims_state(facts: Facts) -> list[ClaimState]:
    return [claim_state(c) for c in sorted(facts.claims.values(), key=lambda c: (c.asserted_on, c.positions[0]))]


def claim_state(c: Claim) -> ClaimState:
    """One claim as ``state --json`` shows it (8.3-8.4), built from the checked facts without
    validating them again (``trusted_model``: the read model asks for every claim at every point where
    it changes, and validation was the larger part of the call)."""
    return trusted_model(
        ClaimState,
        {
            "claim_id": c.claim_id,
            "claimant": c.claimant,
            "sections": list(c.sections),
            "asserted_on": c.asserted_on,
            "status": c.status,
            "amount": c.amount,
            "resolved_amount": c.resolved_amount,
            "resolved_on": c.closed_on if c.status == "resolved" else None,
            "surrendered_shares": c.surrendered_shares,
        },
    )

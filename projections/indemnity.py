"""8.1-8.2: each side's Losses, the Allowance, and how the payable amount is satisfied."""

from __future__ import annotations

from domain.events import trusted_model
from domain.indemnity import allowance_exceeded, payable_losses
from projections.facts import Claim, Facts, Losses
from projections.models import ClaimState, IndemnitySide, IndemnityState


def indemnity_side(facts: Facts, claimant: str, losses: Losses | None = None) -> IndemnitySide:
    """8.1(b)/8.2(b): tipping Allowance; 8.1(c): Buyer's payable Losses are satisfied in
    escrow shares at $10 (up to $250,000), the rest in cash. Sellers' claims against
    Buyer under 8.2 are paid in cash. ``losses``: ``facts.losses()``, if already summed."""
    terms = facts.terms
    resolved = losses[claimant, "resolved"] if losses is not None else facts.resolved_losses(claimant)
    pending = losses[claimant, "pending"] if losses is not None else facts.pending_losses(claimant)
    payable = payable_losses(terms, resolved)
    in_shares = facts.escrow_surrendered * terms.liquidation_value if claimant == "buyer" else 0 * payable
    return trusted_model(
        IndemnitySide,
        dict(
            allowance=terms.allowance,
            resolved_losses=resolved,
            pending_losses=pending,
            allowance_exceeded=allowance_exceeded(terms, resolved),
            payable=payable,
            satisfied_in_shares=in_shares,
            cash_due=payable - in_shares,
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
    return (c.closed_on, c.surrendered_shares)


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

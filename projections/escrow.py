"""8.1(c) and the Escrow Agreement: the 25,000 escrow shares as of a date."""

from __future__ import annotations

from domain.events import trusted_model
from projections.facts import Facts, Losses
from projections.indemnity import buyer_satisfaction
from projections.models import EscrowState


def reserved_shares(facts: Facts, losses: Losses | None = None) -> int:
    """readings 5: pending buyer claims reserve the escrow shares they would take if resolved at
    their claimed amount (8.1(b) Allowance and 8.1(c) cap applied to the aggregate), less what the
    payments withheld for them would cover by offset (8.6); reserved shares cannot be released.
    ``losses``: ``facts.losses()``, if already summed (the pending claims are read from the facts)."""
    del losses  # the same rule as a resolution's (buyer_satisfaction) reads the claims one by one
    pending = [(c.claim_id, c.amount) for c in facts.claims_of("buyer", "pending")]
    if not pending:
        return 0
    if_resolved, _ = buyer_satisfaction(facts, pending)
    would_take = if_resolved.shares - facts.escrow_surrendered - facts.outside_shares
    return max(0, min(facts.escrow_balance, would_take))


def escrow_state(facts: Facts, losses: Losses | None = None) -> EscrowState:
    """8.1(c): deposited - surrendered - released = balance; balance - reserved = available."""
    reserved = reserved_shares(facts, losses)
    return trusted_model(
        EscrowState,
        dict(
            deposited_shares=facts.escrow_deposited,
            surrendered_shares=facts.escrow_surrendered,
            released_shares=facts.escrow_released,
            balance_shares=facts.escrow_balance,
            reserved_shares=reserved,
            available_shares=facts.escrow_balance - reserved,
            liquidation_value_per_share=facts.terms.liquidation_value,
        ),
    )

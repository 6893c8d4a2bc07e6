"""8.1(c) and the Escrow Agreement: the 25,000 escrow shares as of a date."""

from __future__ import annotations

from domain.events import trusted_model
from domain.indemnity import escrow_shares_for, payable_losses
from projections.facts import Facts, Losses
from projections.models import EscrowState


def reserved_shares(facts: Facts, losses: Losses | None = None) -> int:
    """readings 5: pending buyer claims reserve the escrow shares they would take if resolved
    at their claimed amount (8.1(b) Allowance and 8.1(c) cap applied to the aggregate);
    reserved shares cannot be released. ``losses``: ``facts.losses()``, if already summed."""
    terms = facts.terms
    resolved, pending = (
        (losses["buyer", "resolved"], losses["buyer", "pending"])
        if losses is not None
        else (facts.resolved_losses("buyer"), facts.pending_losses("buyer"))
    )
    if_resolved = payable_losses(terms, resolved + pending)
    would_take = escrow_shares_for(terms, if_resolved) - facts.escrow_surrendered
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

"""8.1(c) and the Escrow Agreement: the 25,000 escrow shares as of a date."""

from __future__ import annotations

from domain.events import EscrowDeposited, EscrowReleased, LedgerEvent, trusted_model
from projections.checks import Handler, reject, require_effective, require_open
from projections.cited import Cited
from projections.facts import Facts, Losses, Movement
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


# The fold's handlers of these facts (``projections.ledger`` dispatches to them).


def _escrow_deposited(facts: Facts, e: EscrowDeposited) -> None:
    """8.1(c): Sellers deliver 25,000 shares to the escrow agent; never more."""
    require_effective(facts, e, "8.1(c)")
    require_open(facts, e, "8.1(c)")
    limit = facts.terms.escrow_shares
    if facts.escrow_deposited + e.shares > limit:
        raise reject(
            e, f"deposits would total {facts.escrow_deposited + e.shares}, above the {limit} escrow shares", "8.1(c)"
        )
    facts.escrow_deposited += e.shares
    facts.escrow_movements.append(Movement(e.occurred_on, "deposit", e.shares, "", e.position))
    facts.cite(Cited.ESCROW, e.position)


def _released(facts: Facts, e: EscrowReleased) -> None:
    """Escrow Agreement, 8.1(c): only unreserved shares in the escrow can be released."""
    reserved = reserved_shares(facts)
    available = facts.escrow_balance - reserved
    if e.shares > available:
        raise reject(
            e,
            f"only {available} escrow shares are available (balance {facts.escrow_balance}, "
            f"{reserved} reserved for pending claims)",
            "8.1(c)",
        )
    facts.escrow_released += e.shares
    facts.escrow_movements.append(Movement(e.occurred_on, "release", e.shares, "", e.position))
    facts.cite(Cited.ESCROW, e.position)


ESCROW_HANDLERS: dict[type[LedgerEvent], Handler] = {  # type: ignore[dict-item]
    EscrowDeposited: _escrow_deposited,
    EscrowReleased: _released,
}
"""The fold's checks of 8.1(c) and the Escrow Agreement, each fact checked then applied (``projections.ledger``)."""

"""8.1-8.2: the Allowance and how Losses are satisfied (readings 4 and 5)."""

from __future__ import annotations

from decimal import Decimal

from domain.terms import Terms


def allowance_exceeded(terms: Terms, resolved_losses: Decimal) -> bool:
    """8.1(b), 8.2(b): no liability "until the aggregate amount of all Losses ... exceeds
    $25,000" - strictly more than the Allowance."""
    return resolved_losses > terms.allowance


def payable_losses(terms: Terms, resolved_losses: Decimal) -> Decimal:
    """8.1(b), 8.2(b): a tipping basket - once the Allowance is exceeded, "the entire
    amount of the Allowance and any additional Losses" is payable; before, nothing."""
    return resolved_losses if allowance_exceeded(terms, resolved_losses) else Decimal(0)


def escrow_shares_for(terms: Terms, payable: Decimal) -> int:
    """8.1(c): Buyer's payable Losses are satisfied by surrender of Buyer Securities at
    their $10 liquidation value up to $250,000 in aggregate, in whole shares (floor);
    the remainder, the fraction of a share included, is due in cash."""
    in_shares = min(payable, terms.escrow_cap)
    if in_shares <= 0:
        return 0
    return int(in_shares // terms.liquidation_value)

"""8.1-8.2: the Allowance and how Losses are satisfied (readings 4 and 5)."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

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


class Satisfaction(NamedTuple):
    """How a payable amount of the Buyer's Losses is satisfied, each dollar once (readings 5).
    A named tuple (immutable, built at a fraction of a frozen dataclass's cost): each Buyer's
    resolution builds two."""

    offset: Decimal  # 8.6: against payments withheld for the claims
    shares: int  # 8.1(c): Buyer Securities surrendered at their liquidation value (escrow or not)
    cash: Decimal  # 8.1(c): Losses above $250,000, and the fraction of a share


def satisfaction(terms: Terms, payable: Decimal, offset: Decimal) -> Satisfaction:
    """8.1(c), 8.6, readings 5: the payable amount is satisfied first by ``offset`` against the
    withheld payments (8.6: "the amount of such claims may be offset against the retained
    payments"), what is left "exclusively by surrender ... of Buyer Securities up to a
    liquidation value of $250,000" in whole shares, and the rest - "Losses in excess of
    $250,000" and the fraction of a share - in cash. So payable = offset + $10 x shares + cash."""
    offset = min(offset, payable)
    shares = escrow_shares_for(terms, payable - offset)
    return Satisfaction(offset, shares, payable - offset - shares * terms.liquidation_value)


def escrow_part(shares_due: int, escrow_balance: int) -> tuple[int, int]:
    """8.1(c), readings 5: Buyer Securities due for Losses are taken from the escrow while it holds
    them; what it cannot cover (after a release, or with no deposit recorded) the Sellers must
    surrender outside the escrow - "exclusively by surrender ... of Buyer Securities", never cash.
    Returns (from the escrow, outside it)."""
    from_escrow = max(0, min(shares_due, escrow_balance))
    return from_escrow, max(0, shares_due - from_escrow)

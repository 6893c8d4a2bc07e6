"""8.6: withholding payments on the Buyer Securities against pending claims (readings 7)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from domain.terms import Terms
from domain.values import CENT


def may_withhold(terms: Terms, pending_buyer_claims: Decimal) -> bool:
    """8.6: no withholding "unless and until the amount of its potential claims exceeds"
    the $25,000 of 8.1(b)."""
    return pending_buyer_claims > terms.allowance


def offset_interest(terms: Terms, principal: Decimal, withheld_on: date, paid_on: date) -> Decimal:
    """8.6: the remainder is paid "together with interest ... from the date such remainder
    was withheld until paid at the rate of 6% per annum" - simple interest, actual/365,
    rounded half-up to the cent once, here, because it is an amount actually paid."""
    days = max(0, (paid_on - withheld_on).days)
    with localcontext() as ctx:
        ctx.prec = 50
        exact = principal * terms.offset_interest_rate * days / terms.offset_day_count
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)

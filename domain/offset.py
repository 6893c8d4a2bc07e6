"""8.6: withholding payments on the Buyer Securities against pending claims (readings 7)."""

from __future__ import annotations

from collections.abc import Sequence, Set
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from domain.terms import Terms
from domain.values import CENT


def may_withhold(terms: Terms, resolved_buyer_losses: Decimal, pending_buyer_claims: Decimal) -> bool:
    """8.6, readings 7: no withholding "unless and until the amount of its potential claims exceeds
    the dollar amounts of the liability limitation set forth in Section 8.1(b)" - the Allowance,
    which counts all of the Buyer's Losses together: resolved and pending above $25,000, with
    something still pending to withhold for."""
    return pending_buyer_claims > 0 and resolved_buyer_losses + pending_buyer_claims > terms.allowance


def offset_interest(terms: Terms, principal: Decimal, withheld_on: date, paid_on: date) -> Decimal:
    """8.6: the remainder is paid "together with interest ... from the date such remainder
    was withheld until paid at the rate of 6% per annum" - simple interest, actual/365,
    rounded half-up to the cent once, here, because it is an amount actually paid."""
    days = max(0, (paid_on - withheld_on).days)
    with localcontext() as ctx:
        ctx.prec = 50
        exact = principal * terms.offset_interest_rate * days / terms.offset_day_count
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)


def offsets(claims: Sequence[tuple[str, Decimal]], payments: Sequence[tuple[Decimal, Set[str]]]) -> list[Decimal]:
    """8.6, readings 5 and 7: how much of each payable claim is offset, and so satisfied, against
    the payments withheld "until such matters are resolved". ``claims``: (claim id, amount) in the
    order they became payable; ``payments``: (what is still withheld and not yet offset, the
    claims pending when it was withheld), in order. Each claim takes, payment by payment, from
    what was withheld while it was pending, up to its amount: a withheld dollar is offset once,
    and a claim is offset at most its amount. Returns what each payment gives, in order."""
    left = [amount for amount, _ in payments]
    if not any(covers for _, covers in payments):  # nothing withheld for any claim: nothing to take
        return [amount - amount for amount in left]
    for claim_id, amount in claims:
        for i, (_, covers) in enumerate(payments):
            if amount <= 0:
                break
            if claim_id in covers and left[i] > 0:
                taken = min(left[i], amount)
                left[i] -= taken
                amount -= taken
    return [payments[i][0] - left[i] for i in range(len(payments))]

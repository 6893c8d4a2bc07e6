"""1.5(b)-(c): the Earnout Shares, their installments, the BP Event and the M = A x N / D settlement.

Readings 2 and 3 (docs/readings.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

from domain.dates import (
    add_days,
    add_months,
    month_end,
    month_of,
    month_sequence,
    month_start,
    months_through,
    next_month,
)
from domain.terms import Terms

EXACT_PRECISION = 80  # digits; 0.97**14 times a two-place margin needs about 40


def installment_months(terms: Terms) -> list[str]:
    """1.5(b): one installment for each month January 2003 - February 2004 (fourteen)."""
    return month_sequence(terms.earnout_first_month, terms.earnout_installments)


def catch_up_installments(terms: Terms, closing_date: date) -> int:
    """1.5(b), readings 2: the installments delivered at Closing, k = "the number of full calendar
    months that have elapsed from and including January 2003 through the calendar month ending
    immediately preceding the calendar month in which the Closing occurs" (0 for a Closing in
    2002 or in January 2003; never more than the fourteen)."""
    return _catch_up(terms.earnout_first_month, terms.earnout_installments, closing_date)


@lru_cache(maxsize=4096)
def _catch_up(first_month: str, installments: int, closing_date: date) -> int:
    """``catch_up_installments``, keyed by exactly the terms it reads: every installment's due
    date asks for it (``installment_due_on``)."""
    before_closing = next_month(month_of(closing_date), -1)
    return min(installments, months_through(first_month, before_closing))


def installment_due_on(terms: Terms, installment: int, closing_date: date) -> date:
    """1.5(b), readings 2: the day installment number ``installment`` (1 to 14) is delivered: at
    Closing for the first k (``catch_up_installments``), then "on the first day of each calendar
    month beginning with the month immediately following the month in which the Closing occurs"
    (Closing 2003-04-10: the fourth on 2003-05-01; Closing 2002-12-20: the first on 2003-01-01)."""
    at_closing = catch_up_installments(terms, closing_date)
    if installment <= at_closing:
        return closing_date
    return month_start(next_month(month_of(closing_date), installment - at_closing))


def cumulative_installment_shares(terms: Terms, installments: int) -> int:
    """1.5(b), readings 2: after k installments the cumulative release is
    floor(75,000 x k / 14), so that the fourteenth brings it to exactly 75,000."""
    return terms.earnout_shares * installments // terms.earnout_installments


def installments_due(terms: Terms, closing_date: date | None, on_or_before: date) -> int:
    """1.5(b): how many installments have fallen due on or before a date."""
    if closing_date is None:
        return 0
    count = terms.earnout_installments
    return sum(1 for k in range(1, count + 1) if installment_due_on(terms, k, closing_date) <= on_or_before)


def in_bp_window(terms: Terms, day: date) -> bool:
    """ "BP Event": one of (a)-(c) occurring during the 14-month period commencing
    January 1, 2003, i.e. 2003-01-01 through 2004-02-29 (readings 3)."""
    return terms.bp_window_start <= day <= terms.bp_window_end


def deemed_event_bounds(terms: Terms, promotion_implemented_on: date) -> tuple[date, date]:
    """BP Event (c): the Deemed Event "shall not be less than four nor more than seven
    months following the date Big Planet implements the action to promote"."""
    return (
        add_months(promotion_implemented_on, terms.deemed_event_min_months),
        add_months(promotion_implemented_on, terms.deemed_event_max_months),
    )


def measurement_months(terms: Terms, governing_date: date) -> list[str]:
    """1.5(b) "N": the Measurement Period begins on the first day of the governing month
    and lasts n full months, n = months from that month through February 2004 inclusive."""
    first = month_of(governing_date)
    return month_sequence(first, months_through(first, terms.measurement_last_month))


def margin_base_months(terms: Terms, governing_date: date) -> tuple[str, str]:
    """1.5(b) "D": the first assumed margin is based on the lower of January 2003's
    Gross Margin and that of the month immediately preceding the governing month."""
    return terms.margin_base_month, next_month(month_of(governing_date), -1)


def assumed_margins(terms: Terms, base: Decimal, months: int) -> list[Decimal]:
    """1.5(b) "D": the first month's assumed margin is the base reduced by three percent,
    each later one three percent less than the previous. Exact: no rounding."""
    return list(_assumed(str(terms.margin_decay), str(base), months))


def assumed_margin_total(terms: Terms, base: Decimal, months: int) -> Decimal:
    """1.5(b) "D": the sum of the n assumed margins, exact."""
    return _assumed_total(str(terms.margin_decay), str(base), months)


# Pure, and asked again at every Gross Margin report of a BP Event's months; keyed by the
# decimals' exact text, so that 1E+5 and 100000.00 (equal, but written differently) stay apart.
@lru_cache(maxsize=4096)
def _assumed(decay: str, base: str, months: int) -> tuple[Decimal, ...]:
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        margins: list[Decimal] = []
        current = Decimal(base)
        for _ in range(months):
            current = current * Decimal(decay)
            margins.append(current)
        return tuple(margins)


@lru_cache(maxsize=4096)
def _assumed_total(decay: str, base: str, months: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = EXACT_PRECISION
        return sum(_assumed(decay, base, months), Decimal(0))


def capped_margin(actual_total: Decimal, assumed_total: Decimal) -> Decimal:
    """1.5(b) "N" is the lesser of the actual cumulative Gross Margin and D."""
    return min(actual_total, assumed_total)


def settlement_shares(undelivered: int, capped: Decimal, assumed_total: Decimal) -> int:
    """1.5(b): M = A x N / D, computed in exact rationals, rounded down once to whole
    shares (readings 3). A non-positive N or D gives no settlement shares."""
    if assumed_total <= 0 or capped <= 0:
        return 0
    exact = Fraction(undelivered) * Fraction(capped) / Fraction(assumed_total)
    return min(undelivered, int(exact))  # int() floors a non-negative Fraction


def measurement_period_end(terms: Terms) -> date:
    """1.5(b): the Measurement Period always runs through February 2004."""
    return month_end(terms.measurement_last_month)


def settlement_due_by(terms: Terms) -> date:
    """1.5(b): M is delivered "within 30 days following the end of the Measurement Period"."""
    return add_days(measurement_period_end(terms), terms.settlement_days)


def settlement_delivered_on(terms: Terms, closing_date: date | None) -> date | None:
    """1.5(b): M is delivered within 30 days after the Measurement Period - but never before
    Closing, when the Buyer Securities are first delivered (1.5(a)); a Closing after that date
    delivers M at Closing, like the installments' catch-up (readings 2). Without a Closing,
    nothing is delivered (None)."""
    if closing_date is None:
        return None
    return max(settlement_due_by(terms), closing_date)


def cancellation_on(terms: Terms) -> date:
    """1.5(c): undelivered Earnout Shares are cancelled on "the later of March 1, 2004
    and 30 days following the end of the Measurement Period"."""
    return max(terms.cancellation_not_before, settlement_due_by(terms))


def purchase_price_reduction(terms: Terms, cancelled_shares: int) -> Decimal:
    """1.5(c): cancelled Earnout Shares are "treated for all purposes as a reduction of the
    Purchase Price", each at the liquidation value of a share."""
    return cancelled_shares * terms.liquidation_value

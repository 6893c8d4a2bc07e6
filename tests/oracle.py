"""A deliberately naive reference calculator, written from the agreement's text alone.

It imports nothing from ``domain/`` or ``projections/``: it reads the same JSON facts a
user would import and works out the figures of 1.5(b)-(c) and 8.1(b)-(c) directly, with
exact fractions, following readings 2-5 (docs/readings.md). Tests compare it key by key
with the ledger's ``state --json``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

EARNOUT = 75_000  # 1.5: the Earnout Shares
INSTALLMENTS = 14  # 1.5(b): "the denominator of which is 14"
PRICE = Fraction(10)  # 1.3, 3.2: $10 liquidation value per Buyer Security
ALLOWANCE = Fraction(25_000)  # 8.1(b)
CAP = Fraction(250_000)  # 8.1(c)
DECAY = Fraction(97, 100)  # 1.5(b) D: "reduced by three percent"
WINDOW = (date(2003, 1, 1), date(2004, 2, 29))  # "BP Event": 14 months from January 1, 2003
SETTLEMENT_DUE = date(2004, 2, 29) + timedelta(days=30)  # 1.5(b): 30 days after February 2004
CANCELLATION = max(date(2004, 3, 1), SETTLEMENT_DUE)  # 1.5(c): the later of the two


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _month(year: int, month: int) -> tuple[int, int]:
    """Normalise (year, month) with month possibly outside 1..12."""
    return year + (month - 1) // 12, (month - 1) % 12 + 1


def _label(ym: tuple[int, int]) -> str:
    return f"{ym[0]:04d}-{ym[1]:02d}"


def _first_of_month_after(ym: tuple[int, int]) -> date:
    y, m = _month(ym[0], ym[1] + 1)
    return date(y, m, 1)


def _installment_dates(closing: date) -> list[date]:
    """1.5(b): "at the Closing ... the number of full calendar months that have elapsed from and
    including January 2003 through the calendar month ending immediately preceding the calendar
    month in which the Closing occurs" (none before 2003), then one "on the first day of each
    calendar month beginning with the month immediately following the month in which the
    Closing occurs" until fourteen."""
    elapsed = (closing.year - 2003) * 12 + closing.month - 1  # Jan 2003 .. the month before Closing's
    at_closing = min(INSTALLMENTS, max(0, elapsed))
    later = [_first_of_month_after(_month(closing.year, closing.month + i)) for i in range(INSTALLMENTS - at_closing)]
    return [closing] * at_closing + later


def _money(value: Fraction) -> str:
    """Two places, half-up (the ledger's one display rounding)."""
    cents = value * 100
    whole = int(cents)  # toward zero
    if abs(cents - whole) >= Fraction(1, 2):
        whole += 1 if cents > 0 else -1
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    return f"{sign}{whole // 100}.{whole % 100:02d}"


def _known(facts: list[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """What has occurred by ``as_of``, in date order (stable for ties)."""
    return sorted((f for f in facts if _day(f["occurred_on"]) <= as_of), key=lambda f: f["occurred_on"])


def earnout(facts: list[dict[str, Any]], as_of: date) -> dict[str, Any]:
    """1.5(b)-(c), readings 2-3, by hand."""
    known = _known(facts, as_of)
    closing = next((_day(f["occurred_on"]) for f in known if f["type"] == "ClosingOccurred"), None)
    margins: dict[str, Fraction] = {}
    bp_on = bp_clause = deemed = None
    for f in known:
        if f["type"] == "GrossMarginReported":
            margins[f["month"]] = Fraction(Decimal(f["amount"]))  # the later report supersedes
        elif f["type"] == "BPEventDeclared":
            bp_on, bp_clause = _day(f["occurred_on"]), f["clause"]
        elif f["type"] == "DeemedEventAgreed":
            deemed = _day(f["deemed_on"])
    # "BP Event" (c): the Deemed Event date governs a clause (c) event; otherwise only the first
    # BP Event counts - a clause (a) or (b) event before the agreed deemed date comes first.
    governing = bp_on
    if deemed is not None and bp_clause in (None, "c"):
        governing, bp_clause = deemed, "c"

    def installments_by(day: date) -> int:
        if closing is None:
            return 0
        count = 0
        for k, due in enumerate(_installment_dates(closing), start=1):
            if due <= day and (governing is None or due <= governing):
                count = k
        return count

    released = EARNOUT * installments_by(as_of) // INSTALLMENTS
    cancelled = 0
    bp: dict[str, Any] | None = None
    if governing is not None:
        a = EARNOUT - EARNOUT * installments_by(governing) // INSTALLMENTS
        first = (governing.year, governing.month)
        n = (2004 - first[0]) * 12 + (2 - first[1]) + 1
        period = [_label(_month(first[0], first[1] + i)) for i in range(n)]
        base_months = ["2003-01", _label(_month(first[0], first[1] - 1))]
        missing = sorted({m for m in [*base_months, *period] if m not in margins})
        d = None
        if all(m in margins for m in base_months):
            base = min(margins[m] for m in base_months)
            d = sum((base * DECAY**i for i in range(1, n + 1)), Fraction(0))
        actual = sum((margins[m] for m in period if m in margins), Fraction(0))
        cap = m_shares = None
        if not missing and d is not None:
            cap = min(actual, d)
            m_shares = int(Fraction(a) * cap / d) if d > 0 and cap > 0 else 0
            m_shares = min(m_shares, a)
            # M is delivered 30 days after February 2004, or at a later Closing; never without one.
            if closing is not None and as_of >= max(SETTLEMENT_DUE, closing):
                released += m_shares
            if as_of >= CANCELLATION:
                cancelled = a - m_shares
        bp = {
            "clause": bp_clause,
            "governing_date": governing.isoformat(),
            "undelivered_shares": a,
            "months": n,
            "measurement_start": date(first[0], first[1], 1).isoformat(),
            "assumed_margin_total": None if d is None else _money(d),
            "actual_margin_total": _money(actual),
            "capped_margin": None if cap is None else _money(cap),
            "settlement_shares": m_shares,
            "missing_months": missing,
        }
    # 7.2: after a termination under 7.1 "all further obligations of the Parties ... shall terminate"
    terminated = any(f["type"] == "AgreementTerminated" for f in known)
    rest = EARNOUT - released - cancelled
    return {
        "released_shares": released,
        "cancelled_shares": cancelled,
        "pending_shares": 0 if terminated else rest,
        "terminated_shares": rest if terminated else 0,
        "bp_event": bp,
        "reduction": _money(cancelled * PRICE),
    }


def indemnity(facts: list[dict[str, Any]], as_of: date) -> dict[str, Any]:
    """8.1(b)-(c), 8.6, readings 4-5 and 7, by hand, walking the facts in date order.

    8.1(b): nothing until "the aggregate amount of all Losses ... exceeds $25,000", then all.
    8.6: a payment "withheld ... until such matters are resolved"; "the amount of such claims may
    be offset against the retained payments and the remainder ... delivered to Sellers". 8.1(c):
    the rest "satisfied exclusively by surrender ... of Buyer Securities up to a liquidation value
    of $250,000" - out of the escrow while it holds them, else by the Sellers outside it - and
    "any Losses in excess of $250,000 ... in cash", with the fraction of a $10 share."""
    known = _known(facts, as_of)
    side_of = {f["claim_id"]: f["claimant"] for f in known if f["type"] == "ClaimAsserted"}
    pending: dict[str, Fraction] = {}
    resolved = {"buyer": Fraction(0), "sellers": Fraction(0)}
    not_yet_payable: list[tuple[str, Fraction]] = []  # the Buyer's resolved claims within the Allowance
    withheld: dict[str, list[Any]] = {}  # payment -> [still held, offset so far, the claims it was withheld for]
    balance = surrendered = outside = 0
    offset = Fraction(0)
    for f in known:
        kind = f["type"]
        if kind == "EscrowDeposited":
            balance += f["shares"]
        elif kind == "EscrowReleased":
            balance -= f["shares"]
        elif kind == "ClaimAsserted" or kind == "ClaimRevised":
            pending[f["claim_id"]] = Fraction(Decimal(f["amount"]))
        elif kind == "ClaimWithdrawn":
            pending.pop(f["claim_id"], None)
        elif kind == "PaymentWithheld":
            held = withheld.setdefault(f["payment_id"], [Fraction(0), Fraction(0), set()])
            held[0] += Fraction(Decimal(f["amount"]))
            held[2] |= {c for c in pending if side_of[c] == "buyer"}
        elif kind == "WithheldPaymentReleased":
            withheld[f["payment_id"]][0] -= Fraction(Decimal(f["amount"]))
        elif kind == "ClaimResolved":
            claim_id, amount = f["claim_id"], Fraction(Decimal(f["amount"]))
            pending.pop(claim_id, None)
            side = side_of[claim_id]
            resolved[side] += amount
            if side != "buyer":
                continue
            not_yet_payable.append((claim_id, amount))
            if resolved["buyer"] <= ALLOWANCE:
                continue
            for paid_for, left in not_yet_payable:  # 8.6 first: offset against what was withheld for it
                for held in withheld.values():
                    if paid_for in held[2] and left > 0 and held[0] > 0:
                        take = min(held[0], left)
                        held[0] -= take
                        held[1] += take
                        left -= take
                        offset += take
            not_yet_payable = []
            shares_due = int(min(resolved["buyer"] - offset, CAP) / PRICE)
            new = shares_due - surrendered - outside
            from_escrow = min(new, balance)
            surrendered, outside, balance = (
                surrendered + from_escrow,
                outside + new - from_escrow,
                balance - from_escrow,
            )
    out: dict[str, Any] = {}
    for side in ("buyer", "sellers"):
        total = resolved[side]
        payable = total if total > ALLOWANCE else Fraction(0)
        side_offset = offset if side == "buyer" else Fraction(0)
        shares = surrendered + outside if side == "buyer" else 0
        out[side] = {
            "resolved_losses": _money(total),
            "allowance_exceeded": total > ALLOWANCE,
            "payable": _money(payable),
            "offset": _money(side_offset),
            "satisfied_in_shares": _money(shares * PRICE),
            "shares_due_outside_escrow": outside if side == "buyer" else 0,
            "cash_due": _money(payable - side_offset - shares * PRICE),
        }
    out["escrow"] = {"surrendered_shares": surrendered, "balance_shares": balance}
    return out


def _three_months_after(day: date) -> date:
    y, m = _month(day.year, day.month + 3)
    last = (date(*_month(y, m + 1), 1) - timedelta(days=1)).day
    return date(y, m, min(day.day, last))


def taxes(facts: list[dict[str, Any]], as_of: date) -> dict[str, Any]:
    """7.3(ii), readings 6, by hand: 2.11 "shall continue through the expiration of the applicable
    statute of limitations as the same may be extended (or, if a claim has been asserted prior to
    such expiration, until three months after the date of its final resolution)"."""
    known = _known(facts, as_of)
    statutes = [f for f in known if f["type"] == "TaxLimitationPeriodRecorded"]
    if not statutes:
        return {"status": "until-statute-of-limitations", "expires_on": None}
    statute = _day(statutes[-1]["expires_on"])
    asserted = {
        f["claim_id"]: _day(f["occurred_on"]) for f in known if f["type"] == "ClaimAsserted" and "2.11" in f["sections"]
    }
    closed = {
        f["claim_id"]: _day(f["occurred_on"])
        for f in known
        if f["type"] in ("ClaimResolved", "ClaimWithdrawn") and f["claim_id"] in asserted
    }
    alive_through = statute  # the last day on which 2.11 survives; None: until a claim is resolved
    for claim_id, on in sorted(asserted.items(), key=lambda kv: kv[1]):
        if alive_through is None or on > alive_through:
            continue
        if claim_id not in closed:
            alive_through = None
            continue
        alive_through = max(alive_through, _three_months_after(closed[claim_id]) - timedelta(days=1))
    if as_of <= statute:
        return {"status": "surviving", "expires_on": statute.isoformat()}
    if alive_through is None:
        return {"status": "extended", "expires_on": None}
    shown = statute if alive_through == statute else alive_through + timedelta(days=1)
    return {"status": "extended" if as_of <= alive_through else "expired", "expires_on": shown.isoformat()}


def figures(facts: list[dict[str, Any]], as_of: date) -> dict[str, Any]:
    """Every figure the oracle knows, shaped like the matching keys of ``state --json``."""
    return {"earnout": earnout(facts, as_of), **indemnity(facts, as_of), "survival_2_11": taxes(facts, as_of)}


# The Closing Date ("Closing", 1.1) and notices (9.11), by hand. The holidays are written out
# here from the statutes (5 U.S.C. 6103 for the federal ones, Utah Code 63G-1-301 for Utah's,
# 9.4 making Utah law govern) so that the oracle does not share the ``holidays`` package with
# the ledger: the two agreeing is evidence that both are right.

CLOSING_CONDITIONS = tuple(f"6.1({c})" for c in "abcdefg")  # 6.1(a)-(g)
CLOSING_BUSINESS_DAYS = 3  # "Closing" (1.1): "three business days following"
MAIL_DAYS = 3  # 9.11(ii): "three days after such communication is deposited in the mails"


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (Monday 0) of the month; n = -1 for the last."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A fixed-date holiday on a Saturday is observed the Friday before, on a Sunday the Monday after."""
    return day + timedelta(days={5: -1, 6: 1}.get(day.weekday(), 0))


def utah_holidays(year: int) -> set[date]:
    """The public holidays of the United States and of Utah falling in ``year`` (the days
    themselves and the days they are observed), for 2002-2020: Juneteenth came later."""
    if not 2002 <= year <= 2020:
        raise ValueError("the oracle knows the holidays of 2002-2020 only")
    days: set[date] = set()
    for y in (year - 1, year, year + 1):  # New Year's Day of the next year may be observed on December 31
        fixed = [date(y, 1, 1), date(y, 7, 4), date(y, 7, 24), date(y, 11, 11), date(y, 12, 25)]  # 7-24: Pioneer Day
        days |= set(fixed) | {_observed(d) for d in fixed}
        days |= {
            _nth_weekday(y, 1, 0, 3),  # Martin Luther King Jr. Day / Human Rights Day
            _nth_weekday(y, 2, 0, 3),  # Washington and Lincoln Day
            _nth_weekday(y, 5, 0, -1),  # Memorial Day
            _nth_weekday(y, 9, 0, 1),  # Labor Day
            _nth_weekday(y, 10, 0, 2),  # Columbus Day
            _nth_weekday(y, 11, 3, 4),  # Thanksgiving Day
        }
    return {d for d in days if d.year == year}


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in utah_holidays(day.year)


def closing_date(facts: list[dict[str, Any]]) -> date | None:
    """ "Closing" (1.1): "the date that is three business days following the date on which all
    of the items contemplated by Section 6.1 have been obtained or waived"; None while any of
    6.1(a)-(g) is neither."""
    met = {f["condition"]: _day(f["occurred_on"]) for f in facts if f["type"] == "ClosingConditionSatisfied"}
    if set(met) != set(CLOSING_CONDITIONS):
        return None
    day, counted = max(met.values()), 0
    while counted < CLOSING_BUSINESS_DAYS:
        day += timedelta(days=1)
        counted += is_business_day(day)
    return day


def notice_effective(notice: dict[str, str]) -> date:
    """9.11: "(i) if given by facsimile, when transmitted ... (ii) if given by mail, three days
    after such communication is deposited in the mails ... or (iii) if given by any other
    means, when actually received"."""
    if notice["by"] == "fax":
        return _day(notice["sent_on"])
    if notice["by"] == "mail":
        return _day(notice["sent_on"]) + timedelta(days=MAIL_DAYS)
    return _day(notice["received_on"])

"""Value types shared by terms and events: money, share counts, dates, months.

Money is ``Decimal`` with at most two places (never float); shares are ``int``.
JSON floats are refused outright: an amount must be a decimal string (or an
integer), so that "0.1" never becomes 0.1000000000000000055.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

CENT = Decimal("0.01")
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)
MONTH_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")
MONEY_RE = re.compile(r"-?([0-9]{1,15})(\.[0-9]{1,2})?")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_MONEY = Decimal("1000000000000")  # a trillion: far above any deal of this kind


class JsonFloat(str):
    """A JSON number with a fraction or exponent, kept as its source text so it can be refused."""


def parse_money(value: Any) -> Decimal:
    """Read an amount of money: a decimal string or an integer, at most two places."""
    if type(value) is str:  # the usual case, read from JSON: the pattern bounds digits and places
        text = value.strip()
        match = MONEY_RE.fullmatch(text)
        if not match:
            raise ValueError(f'amount must be a decimal with at most two places, got "{value[:40]}"')
        amount = Decimal(text)
        if match.end(1) - match.start(1) > 12:  # 13 digits or more before the point: maybe a trillion
            _bounded(amount)
        return amount if match.end(2) - match.start(2) == 3 else amount.quantize(CENT)  # ".dd": already cents
    if isinstance(value, bool | float | JsonFloat):
        raise ValueError(f'amount must be a decimal string such as "27500.00", not the number {value}')
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        return parse_money(str(value))
    else:
        raise ValueError(f"amount must be a decimal string, got {type(value).__name__}")
    if not amount.is_finite():
        raise ValueError("amount must be finite")
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError(f"amount {amount} has more than two decimal places")
    return _bounded(amount).quantize(CENT)


def _bounded(amount: Decimal) -> Decimal:
    if abs(amount) >= MAX_MONEY:
        raise ValueError(f"amount {amount} is out of range")
    return amount


def format_money(amount: Decimal) -> str:
    """Money out: a string with exactly two places.

    This is the single display rounding (half-up); figures are exact inside. An amount
    already in cents (every amount read in, and most sums of them) prints as it is.
    """
    text = str(amount)
    if text[-3:-2] == "." and "E" not in text:  # exponent -2: "d.dd" exactly, nothing to round
        return text
    return str(amount.quantize(CENT, rounding="ROUND_HALF_UP"))


def money_cents(amount: Decimal | str) -> int:
    """Money as whole cents, for SQL to compare, sort and sum exactly (the read model): the
    two-place figure ``format_money`` writes (or ``state --json`` holds), without its point."""
    text = amount if isinstance(amount, str) else format_money(amount)
    return int(text.replace(".", "", 1))


def parse_shares(value: Any) -> int:
    """A count of shares: a whole, non-negative integer (JSON integer or digits)."""
    if isinstance(value, bool | float | JsonFloat):
        raise ValueError(f"shares must be a whole number, not {value}")
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int):
        raise ValueError(f"shares must be a whole number, got {str(value)[:40]!r}")
    if value < 0 or value > 10**12:
        raise ValueError(f"shares {value} out of range")
    return value


def parse_share_change(value: Any) -> int:
    """A change in a count of shares: a whole integer, negative for a change that gives shares back."""
    if isinstance(value, str) and re.fullmatch(r"-[0-9]{1,12}", value.strip()):
        return -parse_shares(value.strip()[1:])
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return -parse_shares(-value)
    return parse_shares(value)


def parse_date(value: Any) -> date:
    """A calendar date, ISO 8601 (YYYY-MM-DD), between 1900 and 2199."""
    if isinstance(value, str):
        return _date_text(value)
    if isinstance(value, datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a timestamp")
    if not isinstance(value, date):
        raise ValueError(f"expected a date YYYY-MM-DD, got {str(value)[:40]!r}")
    return _in_range(value)


@lru_cache(maxsize=8192)  # pure; a portfolio repeats the same dates (an error is never cached)
def _date_text(value: str) -> date:
    text = value.strip()
    if not DATE_RE.fullmatch(text):
        raise ValueError(f"expected a date YYYY-MM-DD, got {str(value)[:40]!r}")
    try:
        parsed = date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f'"{value}" is not a calendar date') from exc
    return _in_range(parsed)


def _in_range(parsed: date) -> date:
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise ValueError(f"date {parsed} is out of range ({MIN_DATE} to {MAX_DATE})")
    return parsed


def parse_month(value: Any) -> str:
    """A calendar month "YYYY-MM"."""
    if not isinstance(value, str):
        raise ValueError(f'month must be "YYYY-MM", got {str(value)[:40]!r}')
    return _month_text(value)


@lru_cache(maxsize=4096)  # pure; every Gross Margin report names one of a few months (errors are not cached)
def _month_text(value: str) -> str:
    if not (m := MONTH_RE.fullmatch(value.strip())):
        raise ValueError(f'month must be "YYYY-MM", got {str(value)[:40]!r}')
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or not MIN_DATE.year <= year <= MAX_DATE.year:
        raise ValueError(f'"{value}" is not a calendar month')
    return f"{year:04d}-{month:02d}"


def _positive(shares: int) -> int:
    if shares <= 0:
        raise ValueError("shares must be at least 1")
    return shares


def _nonzero(shares: int) -> int:
    if shares == 0:
        raise ValueError("a change in shares cannot be zero")
    return shares


def _non_negative(amount: Decimal) -> Decimal:
    if amount < 0:
        raise ValueError("amount must not be negative")
    return amount


Money = Annotated[Decimal, BeforeValidator(parse_money), PlainSerializer(format_money, return_type=str)]
"""Any amount of money; may be negative (a month's Gross Margin can be)."""
NonNegativeMoney = Annotated[Money, AfterValidator(_non_negative)]
Shares = Annotated[int, BeforeValidator(parse_shares)]
PositiveShares = Annotated[Shares, AfterValidator(_positive)]
ShareChange = Annotated[int, BeforeValidator(parse_share_change), AfterValidator(_nonzero)]
"""A non-zero change in shares (a derived re-balancing may be negative)."""
LedgerDate = Annotated[date, BeforeValidator(parse_date)]
Month = Annotated[str, BeforeValidator(parse_month)]

Figure = Annotated[Decimal, PlainSerializer(format_money, return_type=str)]
"""A money figure of the state: exact inside, two places when shown (the one display rounding)."""

"""Calendar arithmetic used by the contract rules (months, years, days)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta


@lru_cache(maxsize=8192)  # pure; every Gross Margin report of every fold asks for it
def month_start(month: str) -> date:
    """The first day of a "YYYY-MM" month."""
    return date(int(month[:4]), int(month[5:7]), 1)


def month_of(day: date) -> str:
    """The "YYYY-MM" month a date falls in (the start of its ISO text, written in C)."""
    return day.isoformat()[:7]


@lru_cache(maxsize=8192)  # pure, and called for every installment of every fold
def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    return day + relativedelta(months=months)


@lru_cache(maxsize=8192)
def add_years(day: date, years: int) -> date:
    """The same day ``years`` later; Feb 29 falls back to Feb 28."""
    return day + relativedelta(years=years)


def add_days(day: date, days: int) -> date:
    return day + timedelta(days=days)


@lru_cache(maxsize=8192)
def next_month(month: str, step: int = 1) -> str:
    return month_of(add_months(month_start(month), step))


@lru_cache(maxsize=8192)
def first_of_next_month(month: str) -> date:
    """The first day of the month after ``month``."""
    return add_months(month_start(month), 1)


def month_end(month: str) -> date:
    """The last day of ``month``."""
    return first_of_next_month(month) - timedelta(days=1)


def months_through(first: str, last: str) -> int:
    """How many months from ``first`` through ``last``, both included (0 if last < first)."""
    a, b = month_start(first), month_start(last)
    return max(0, (b.year - a.year) * 12 + (b.month - a.month) + 1)


def month_sequence(first: str, count: int) -> list[str]:
    """``count`` consecutive months starting with ``first``."""
    return [next_month(first, i) for i in range(count)]

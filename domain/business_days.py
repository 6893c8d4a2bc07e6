"""Business days: the days that are neither a weekend nor a public holiday of a calendar.

"Closing" (1.1): the Closing Date is "the date that is three business days following the
date on which all of the items contemplated by Section 6.1 have been obtained or waived".
The agreement does not define business days; it is governed by the laws of Utah (9.4),
so a business day is a weekday that is not a public holiday of the United States or of
Utah. The holidays come from the ``holidays`` package (federal holidays and Utah's, with
the days on which they are observed when they fall on a weekend), never from a list kept
here. The calendar is named in the terms (``Terms.business_calendar``): "US-UT" is the
country and the subdivision as ``holidays`` names them; "US" alone is the federal calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

DEFAULT_CALENDAR = "US-UT"  # 9.4: Utah law; federal and Utah public holidays
CALENDAR_RE = re.compile(r"([A-Z]{2,3})(?:-([A-Z0-9]{1,4}))?")
WEEKEND = {5: "Saturday", 6: "Sunday"}
ONE_DAY = timedelta(days=1)


def _parts(calendar: str) -> tuple[str, str | None]:
    match = CALENDAR_RE.fullmatch(calendar)
    if not match:
        raise ValueError(f'a business calendar is a country code and optional subdivision ("US-UT"), not {calendar!r}')
    return match.group(1), match.group(2)


def check_calendar(calendar: str) -> str:
    """``calendar`` if the ``holidays`` package knows its country and subdivision, else ValueError."""
    country, subdiv = _parts(calendar)
    import holidays  # deferred: a large package, loaded only where a calendar other than the default is named

    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(f"business calendar {calendar!r}: no holiday calendar for country {country!r}")
    if subdiv is not None and subdiv not in supported[country]:
        raise ValueError(f"business calendar {calendar!r}: {country} has no subdivision {subdiv!r}")
    return calendar


@lru_cache(maxsize=256)
def _holidays(calendar: str, year: int) -> dict[date, str]:
    """The public holidays of ``calendar`` in ``year``, each with its name (observed days included)."""
    import holidays  # deferred: only a fold that counts business days pays for the import

    country, subdiv = _parts(calendar)
    return dict(holidays.country_holidays(country, subdiv=subdiv, years=year))


def holiday_name(calendar: str, day: date) -> str | None:
    """The public holiday of ``calendar`` on ``day`` (e.g. "Pioneer Day"), or None."""
    return _holidays(calendar, day.year).get(day)


def closed_because(calendar: str, day: date) -> str | None:
    """Why ``day`` is not a business day ("Saturday", "Memorial Day", "Saturday, Pioneer Day"),
    or None if it is one."""
    reasons = [r for r in (WEEKEND.get(day.weekday()), holiday_name(calendar, day)) if r]
    return ", ".join(reasons) or None


def is_business_day(calendar: str, day: date) -> bool:
    return closed_because(calendar, day) is None


@dataclass(frozen=True, slots=True)
class BusinessDayCount:
    """``days`` business days following ``start``: the day reached, and every day passed over
    on the way (with the reason it is not a business day)."""

    start: date
    days: int
    end: date
    skipped: tuple[tuple[date, str], ...]

    def skipped_text(self) -> str:
        """ "2003-05-24 (Saturday), 2003-05-26 (Memorial Day)", or "none"."""
        return ", ".join(f"{day} ({why})" for day, why in self.skipped) or "none"


@lru_cache(maxsize=4096)  # pure; a fold asks for the same count at every change point
def business_days_after(calendar: str, start: date, days: int) -> BusinessDayCount:
    """The date that is ``days`` business days following ``start``: ``start`` itself is not
    counted (whether or not it is a business day); each following weekday that is not a
    public holiday counts one."""
    if days < 0:
        raise ValueError("a count of business days is not negative")
    day, counted, skipped = start, 0, []
    while counted < days:
        day += ONE_DAY
        why = closed_because(calendar, day)
        if why is None:
            counted += 1
        else:
            skipped.append((day, why))
    return BusinessDayCount(start, days, day, tuple(skipped))

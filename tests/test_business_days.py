"""Business days ("Closing", 1.1; 9.4): weekdays that are not public holidays of the United
States or of Utah, from the ``holidays`` package, counted after the day that starts them."""

from __future__ import annotations

from datetime import date

import pytest

from domain.business_days import (
    DEFAULT_CALENDAR,
    business_days_after,
    check_calendar,
    closed_because,
    holiday_name,
    is_business_day,
)

UT = DEFAULT_CALENDAR


def test_the_default_calendar_is_the_united_states_and_utah() -> None:
    """9.4: the agreement is governed by the laws of Utah; federal holidays and Utah's."""
    assert UT == "US-UT"
    assert holiday_name(UT, date(2003, 5, 26)) == "Memorial Day"
    assert holiday_name(UT, date(2003, 7, 24)) == "Pioneer Day"  # Utah's own holiday
    assert holiday_name("US", date(2003, 7, 24)) is None  # not a federal one


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2003, 5, 23), None),  # Friday before Memorial Day
        (date(2003, 5, 24), "Saturday"),
        (date(2003, 5, 25), "Sunday"),
        (date(2003, 5, 26), "Memorial Day"),
        (date(2003, 5, 27), None),
        (date(2003, 7, 23), None),
        (date(2003, 7, 24), "Pioneer Day"),  # a Thursday
        (date(2004, 7, 24), "Saturday, Pioneer Day"),
        (date(2004, 7, 23), "Pioneer Day (observed)"),  # the Friday before a Saturday holiday
    ],
)
def test_why_a_day_is_not_a_business_day(day: date, reason: str | None) -> None:
    """A day is closed for a weekend, a holiday, or both (the reason names them)."""
    assert closed_because(UT, day) == reason
    assert is_business_day(UT, day) is (reason is None)


def test_three_business_days_after_the_friday_before_memorial_day() -> None:
    """Friday 2003-05-23: Saturday, Sunday and Memorial Day are passed over; Tue, Wed, Thu count."""
    count = business_days_after(UT, date(2003, 5, 23), 3)
    assert count.end == date(2003, 5, 29)
    assert count.skipped == (
        (date(2003, 5, 24), "Saturday"),
        (date(2003, 5, 25), "Sunday"),
        (date(2003, 5, 26), "Memorial Day"),
    )
    assert count.skipped_text() == "2003-05-24 (Saturday), 2003-05-25 (Sunday), 2003-05-26 (Memorial Day)"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2003, 7, 22), date(2003, 7, 28)),  # Wed 23, (Thu 24 Pioneer Day), Fri 25, (weekend), Mon 28
        (date(2003, 7, 23), date(2003, 7, 29)),  # the day before Pioneer Day
        (date(2003, 7, 24), date(2003, 7, 29)),  # on Pioneer Day: the day itself is not counted
        (date(2003, 7, 25), date(2003, 7, 30)),  # the day after
    ],
)
def test_three_business_days_around_pioneer_day(start: date, end: date) -> None:
    """Pioneer Day (July 24, a Utah holiday) is not a business day in Utah."""
    assert business_days_after(UT, start, 3).end == end


def test_a_federal_calendar_counts_pioneer_day() -> None:
    """Another agreement may name another calendar: under "US" July 24 is a business day."""
    assert business_days_after("US", date(2003, 7, 23), 3).end == date(2003, 7, 28)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2003, 4, 3), date(2003, 4, 8)),  # Thursday: Fri, (Sat, Sun), Mon, Tue
        (date(2003, 4, 4), date(2003, 4, 9)),  # Friday
        (date(2003, 4, 5), date(2003, 4, 9)),  # Saturday: Mon, Tue, Wed
        (date(2003, 4, 6), date(2003, 4, 9)),  # Sunday
        (date(2003, 4, 7), date(2003, 4, 10)),  # Monday: Tue, Wed, Thu
    ],
)
def test_three_business_days_over_a_weekend(start: date, end: date) -> None:
    """A weekend is passed over, and a start on the weekend counts from the Monday."""
    assert business_days_after(UT, start, 3).end == end


def test_zero_business_days_is_the_day_itself() -> None:
    assert business_days_after(UT, date(2003, 5, 24), 0).end == date(2003, 5, 24)


def test_an_unknown_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="no holiday calendar for country"):
        check_calendar("XX")
    with pytest.raises(ValueError, match="no subdivision"):
        check_calendar("US-ZZ")
    with pytest.raises(ValueError, match="country code and optional subdivision"):
        check_calendar("utah")
    assert check_calendar("US-NY") == "US-NY"

"""Dates as a person reads them: words from the catalogue, the clock of the person's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from flows.dates import human_date, human_day, readable_date


def test_a_moment_is_written_on_the_owners_clock_either_side_of_the_clock_change() -> None:
    # Clocks go back on 25 October 2026: 09:00 UTC is 10:00 BST before, 09:00 GMT after.
    assert human_date(datetime(2026, 10, 19, 9, tzinfo=UTC), "Europe/London") == "Monday 19 October at 10:00"
    assert human_date(datetime(2026, 10, 26, 10, tzinfo=UTC), "Europe/London") == "Monday 26 October at 10:00"
    assert human_date(datetime(2026, 11, 30, 15, tzinfo=UTC), "America/New_York") == (
        "Monday 30 November at 10:00"
    )


def test_a_moment_late_in_the_day_falls_on_the_local_date() -> None:
    assert human_date(datetime(2026, 12, 1, 23, 30, tzinfo=UTC), "Asia/Tokyo") == (
        "Wednesday 2 December at 08:30"
    )


def test_an_unknown_zone_is_read_in_the_fallback_zone() -> None:
    moment = datetime(2026, 7, 1, 9, tzinfo=UTC)
    assert human_date(moment, None) == human_date(moment, "Not/AZone") == "Wednesday 1 July at 10:00"
    assert human_date(moment, None, fallback="Asia/Tokyo") == "Wednesday 1 July at 18:00"
    assert human_date(moment, "Europe/London", fallback="Asia/Tokyo") == "Wednesday 1 July at 10:00"


def test_a_day_has_its_weekday_and_year() -> None:
    assert human_day(date(2026, 12, 1)) == "Tuesday 1 December 2026"
    assert human_day(date(2027, 1, 4)) == "Monday 4 January 2027"


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_reads_as_weekday_day_month_year(day: date) -> None:
    assert human_day(day).split() == [f"{day:%A}", str(day.day), f"{day:%B}", str(day.year)]


def test_days_and_months_follow_the_readers_language() -> None:
    moment = datetime(2026, 12, 8, 10, tzinfo=UTC)
    assert human_day(moment.date(), "cy") == "dydd Mawrth 8 Rhagfyr 2026"
    assert human_date(moment, "Europe/London", "cy").startswith("dydd Mawrth 8 Rhagfyr ")
    assert human_date(moment, "Europe/London", "cy").endswith(" 10:00")
    assert readable_date("2026-12-08", "cy") == "8 Rhagfyr 2026"

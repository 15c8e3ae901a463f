"""Check-in timing: working days, UK bank holidays by nation, local 10:00 across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.calendar import (
    Nation,
    WorkingCalendar,
    checkin_moment,
    holiday_in,
    holiday_key,
    idle_at,
    is_idle,
    local_today,
    next_due_date,
    resolve_tz,
    snooze_moment,
)
from flows.i18n import message_keys

ENGLAND_AND_WALES = WorkingCalendar("england-and-wales")
SCOTLAND = WorkingCalendar("scotland")
NORTHERN_IRELAND = WorkingCalendar("northern-ireland")
LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- bank holidays by nation ----------------------------------------------------------------------


def test_unknown_nation_is_refused() -> None:
    with pytest.raises(ValueError, match="england-and-wales, scotland, northern-ireland"):
        WorkingCalendar("wales")  # type: ignore[arg-type]


def test_christmas_2026_and_the_boxing_day_substitute() -> None:
    # Christmas Day is a Friday, Boxing Day a Saturday, so Monday 28 December is the substitute day.
    assert ENGLAND_AND_WALES.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert ENGLAND_AND_WALES.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert not ENGLAND_AND_WALES.is_working_day(date(2026, 12, 28))
    assert ENGLAND_AND_WALES.next_working_day(date(2026, 12, 25)) == date(2026, 12, 29)


def test_scotland_has_its_own_bank_holidays() -> None:
    assert SCOTLAND.holiday_name(date(2026, 1, 2)) == "New Year Holiday"
    assert SCOTLAND.holiday_name(date(2026, 11, 30)) == "Saint Andrew's Day"
    assert ENGLAND_AND_WALES.is_working_day(date(2026, 1, 2))
    assert ENGLAND_AND_WALES.is_working_day(date(2026, 11, 30))
    # Easter Monday (6 April 2026) is not a bank holiday in Scotland.
    assert SCOTLAND.is_working_day(date(2026, 4, 6))
    assert not ENGLAND_AND_WALES.is_working_day(date(2026, 4, 6))


def test_northern_ireland_has_its_own_bank_holidays() -> None:
    assert NORTHERN_IRELAND.holiday_name(date(2026, 3, 17)) == "Saint Patrick's Day"
    assert ENGLAND_AND_WALES.is_working_day(date(2026, 3, 17))
    # 12 July 2026 is a Sunday; the Battle of the Boyne holiday moves to Monday 13 July.
    assert NORTHERN_IRELAND.holiday_name(date(2026, 7, 13)) == "Battle of the Boyne (observed)"
    assert ENGLAND_AND_WALES.is_working_day(date(2026, 7, 13))


def test_an_ordinary_weekday_has_no_holiday_name() -> None:
    assert ENGLAND_AND_WALES.holiday_name(date(2026, 6, 10)) is None
    assert ENGLAND_AND_WALES.is_working_day(date(2026, 6, 10))


def test_weekends_are_not_working_days() -> None:
    assert not ENGLAND_AND_WALES.is_working_day(date(2026, 6, 13))  # Saturday
    assert not ENGLAND_AND_WALES.is_working_day(date(2026, 6, 14))  # Sunday
    assert ENGLAND_AND_WALES.next_working_day(date(2026, 6, 13)) == date(2026, 6, 15)
    assert ENGLAND_AND_WALES.next_working_day(date(2026, 6, 15)) == date(2026, 6, 15)


def test_add_working_days_skips_weekends_and_bank_holidays() -> None:
    # Thursday 24 December 2026: Friday, the weekend and Monday are all off in England and Wales.
    assert ENGLAND_AND_WALES.add_working_days(date(2026, 12, 24), 0) == date(2026, 12, 24)
    assert ENGLAND_AND_WALES.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert ENGLAND_AND_WALES.add_working_days(date(2026, 12, 24), 3) == date(2026, 12, 31)
    # ...and 1 January 2027 is New Year's Day everywhere.
    assert ENGLAND_AND_WALES.add_working_days(date(2026, 12, 24), 4) == date(2027, 1, 4)
    with pytest.raises(ValueError, match="negative"):
        ENGLAND_AND_WALES.add_working_days(date(2026, 12, 24), -1)


def test_working_days_between_counts_after_start_up_to_and_including_end() -> None:
    assert ENGLAND_AND_WALES.working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3
    assert ENGLAND_AND_WALES.working_days_between(date(2026, 6, 15), date(2026, 6, 15)) == 0
    assert ENGLAND_AND_WALES.working_days_between(date(2026, 6, 15), date(2026, 6, 16)) == 1
    assert ENGLAND_AND_WALES.working_days_between(date(2026, 6, 16), date(2026, 6, 15)) == 0


# --- time zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [None, "", "Mars/Olympus_Mons", "europe/london", "../etc/passwd", "zone.tab"]
)
def test_a_missing_or_invalid_time_zone_falls_back_to_london(name: str | None) -> None:
    assert resolve_tz(name) == LONDON


def test_resolve_tz_takes_a_configured_fallback() -> None:
    assert resolve_tz("nonsense", fallback="Europe/Dublin") == ZoneInfo("Europe/Dublin")
    assert resolve_tz("America/New_York", fallback="Europe/Dublin") == NEW_YORK


@given(st.text(max_size=40))
def test_resolve_tz_never_fails(name: str) -> None:
    assert isinstance(resolve_tz(name), ZoneInfo)


def test_local_today_uses_the_owners_time_zone() -> None:
    # 23:30 UTC on 30 June is already 1 July in London (BST) but still 30 June in New York.
    now = utc(2026, 6, 30, 23, 30)
    assert local_today(now, "Europe/London") == date(2026, 7, 1)
    assert local_today(now, "America/New_York") == date(2026, 6, 30)
    with pytest.raises(ValueError, match="timezone-aware"):
        local_today(datetime(2026, 6, 30, 23, 30), "Europe/London")


# --- check-in moments -----------------------------------------------------------------------------


def test_weekly_checkin_across_the_october_clock_change_stays_at_ten_local() -> None:
    # BST ends on Sunday 25 October 2026.
    first_due = date(2026, 10, 19)
    second_due = next_due_date(first_due, "weekly")
    assert second_due == date(2026, 10, 26)
    first = checkin_moment(first_due, tz="Europe/London", calendar=ENGLAND_AND_WALES)
    second = checkin_moment(second_due, tz="Europe/London", calendar=ENGLAND_AND_WALES)
    assert first == utc(2026, 10, 19, 9, 0)
    assert second == utc(2026, 10, 26, 10, 0)
    assert first.astimezone(LONDON).time() == second.astimezone(LONDON).time() == time(10, 0)


def test_weekly_checkin_across_the_march_clock_change_stays_at_ten_local() -> None:
    # BST starts on Sunday 29 March 2026.
    first_due = date(2026, 3, 25)
    second_due = next_due_date(first_due, "weekly")
    assert checkin_moment(first_due, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 3, 25, 10)
    assert checkin_moment(second_due, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 4, 1, 9)


def test_checkin_moves_past_easter_monday_only_where_it_is_a_bank_holiday() -> None:
    # Monday 29 March 2027, the day after the clocks go forward, is Easter Monday.
    due = date(2027, 3, 29)
    assert checkin_moment(due, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2027, 3, 30, 9)
    assert checkin_moment(due, tz="Europe/London", calendar=SCOTLAND) == utc(2027, 3, 29, 9)


def test_checkin_due_on_christmas_day_2026_is_sent_on_tuesday_29_december() -> None:
    moment = checkin_moment(date(2026, 12, 25), tz="Europe/London", calendar=ENGLAND_AND_WALES)
    assert moment == utc(2026, 12, 29, 10)


def test_checkin_due_on_scottish_bank_holidays() -> None:
    assert checkin_moment(date(2026, 1, 2), tz="Europe/London", calendar=SCOTLAND) == utc(2026, 1, 5, 10)
    assert checkin_moment(date(2026, 1, 2), tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(
        2026, 1, 2, 10
    )
    assert checkin_moment(date(2026, 11, 30), tz="Europe/London", calendar=SCOTLAND) == utc(2026, 12, 1, 10)


def test_checkin_due_on_northern_irish_bank_holidays() -> None:
    assert checkin_moment(date(2026, 3, 17), tz="Europe/London", calendar=NORTHERN_IRELAND) == utc(
        2026, 3, 18, 10
    )
    # Due Sunday 12 July 2026: Monday 13th is the substitute holiday, so Tuesday 14th (BST).
    assert checkin_moment(date(2026, 7, 12), tz="Europe/London", calendar=NORTHERN_IRELAND) == utc(
        2026, 7, 14, 9
    )
    assert checkin_moment(date(2026, 7, 12), tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(
        2026, 7, 13, 9
    )


def test_checkin_due_on_a_saturday_is_sent_on_monday() -> None:
    moment = checkin_moment(date(2026, 6, 13), tz="Europe/London", calendar=ENGLAND_AND_WALES)
    assert moment == utc(2026, 6, 15, 9)


def test_owner_in_new_york_gets_ten_oclock_new_york_time() -> None:
    # 28 October 2026 falls in the week when London is back on GMT but New York is still on EDT.
    moment = checkin_moment(date(2026, 10, 28), tz="America/New_York", calendar=ENGLAND_AND_WALES)
    assert moment == utc(2026, 10, 28, 14)
    assert moment.astimezone(NEW_YORK) == datetime(2026, 10, 28, 10, tzinfo=NEW_YORK)
    # The workspace's UK bank holidays still apply.
    moment = checkin_moment(date(2026, 12, 25), tz="America/New_York", calendar=ENGLAND_AND_WALES)
    assert moment == utc(2026, 12, 29, 15)


def test_checkin_with_an_invalid_time_zone_uses_london() -> None:
    moment = checkin_moment(date(2026, 6, 15), tz="Not/A_Zone", calendar=ENGLAND_AND_WALES)
    assert moment == utc(2026, 6, 15, 9)
    assert checkin_moment(date(2026, 6, 15), tz=None, calendar=ENGLAND_AND_WALES) == moment


def test_checkin_hour_can_be_changed() -> None:
    moment = checkin_moment(date(2026, 6, 15), tz="Europe/London", calendar=ENGLAND_AND_WALES, hour=14)
    assert moment == utc(2026, 6, 15, 13)


# --- cadence --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "cadence", "expected"),
    [
        (date(2026, 6, 15), "weekly", date(2026, 6, 22)),
        (date(2026, 6, 15), "fortnightly", date(2026, 6, 29)),
        (date(2026, 6, 15), "monthly", date(2026, 7, 15)),
        (date(2026, 12, 15), "monthly", date(2027, 1, 15)),
        (date(2026, 1, 31), "monthly", date(2026, 2, 28)),
        (date(2028, 1, 31), "monthly", date(2028, 2, 29)),
        (date(2026, 3, 31), "monthly", date(2026, 4, 30)),
        # Counted from the nominal date: the Christmas check-in was sent on 29 December.
        (date(2026, 12, 25), "weekly", date(2027, 1, 1)),
    ],
)
def test_next_due_date(previous: date, cadence: str, expected: date) -> None:
    assert next_due_date(previous, cadence) == expected  # type: ignore[arg-type]


def test_monthly_cadence_does_not_drift_after_a_short_month() -> None:
    assert next_due_date(date(2026, 2, 28), "monthly", day_of_month=31) == date(2026, 3, 31)
    assert next_due_date(date(2026, 3, 31), "monthly", day_of_month=31) == date(2026, 4, 30)
    with pytest.raises(ValueError, match="between 1 and 31"):
        next_due_date(date(2026, 2, 28), "monthly", day_of_month=32)


def test_unknown_cadence_is_refused() -> None:
    with pytest.raises(ValueError, match="weekly, fortnightly, monthly"):
        next_due_date(date(2026, 2, 28), "daily")  # type: ignore[arg-type]


# --- snooze ---------------------------------------------------------------------------------------


def test_snooze_one_day_goes_to_the_next_working_day() -> None:
    now = utc(2026, 12, 24, 15)
    assert snooze_moment(now, days=1, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 12, 29, 10)
    friday = utc(2026, 6, 12, 11)
    assert snooze_moment(friday, days=1, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(
        2026, 6, 15, 9
    )


def test_snooze_one_week_moves_to_a_working_day() -> None:
    now = utc(2026, 12, 24, 15)
    assert snooze_moment(now, days=7, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 12, 31, 10)
    # A week after Friday 18 December is Christmas Day.
    now = utc(2026, 12, 18, 15)
    assert snooze_moment(now, days=7, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 12, 29, 10)


def test_snooze_counts_from_the_owners_local_today() -> None:
    # 23:30 UTC on Tuesday 30 June is Wednesday in London but still Tuesday in New York.
    now = utc(2026, 6, 30, 23, 30)
    assert snooze_moment(now, days=1, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 7, 2, 9)
    assert snooze_moment(now, days=1, tz="America/New_York", calendar=ENGLAND_AND_WALES) == utc(
        2026, 7, 1, 14
    )


def test_snooze_must_be_at_least_a_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        snooze_moment(utc(2026, 6, 15, 9), days=0, tz="Europe/London", calendar=ENGLAND_AND_WALES)


# --- idle sessions --------------------------------------------------------------------------------


def test_idle_after_exactly_three_working_days_across_christmas() -> None:
    # Thursday 24 December 2026 at 15:00 (GMT); then Christmas, the weekend and the Boxing Day substitute.
    last = utc(2026, 12, 24, 15)
    assert idle_at(last, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 12, 31, 15)
    assert not is_idle(last, utc(2026, 12, 31, 14, 59, 59), tz="Europe/London", calendar=ENGLAND_AND_WALES)
    assert is_idle(last, utc(2026, 12, 31, 15), tz="Europe/London", calendar=ENGLAND_AND_WALES)


def test_idle_across_a_weekend_and_a_bank_holiday_depends_on_the_nation() -> None:
    # Friday 28 August 2026 at 14:00 BST. Monday 31 August is a bank holiday in England and Wales only.
    last = datetime(2026, 8, 28, 14, tzinfo=LONDON)
    assert idle_at(last, tz="Europe/London", calendar=ENGLAND_AND_WALES) == utc(2026, 9, 3, 13)
    assert idle_at(last, tz="Europe/London", calendar=SCOTLAND) == utc(2026, 9, 2, 13)
    now = utc(2026, 9, 2, 13)
    assert is_idle(last, now, tz="Europe/London", calendar=SCOTLAND)
    assert not is_idle(last, now, tz="Europe/London", calendar=ENGLAND_AND_WALES)


def test_activity_on_a_non_working_day_counts_from_the_next_working_day() -> None:
    # Saturday 29 August 2026; Monday is a bank holiday, so Tuesday, Wednesday and Thursday must pass.
    last = datetime(2026, 8, 29, 11, tzinfo=LONDON)
    assert idle_at(last, tz="Europe/London", calendar=ENGLAND_AND_WALES) == datetime(
        2026, 9, 4, 0, tzinfo=LONDON
    )


def test_idle_threshold_can_be_changed_and_must_be_positive() -> None:
    last = utc(2026, 6, 15, 9)
    assert idle_at(last, tz="Europe/London", calendar=ENGLAND_AND_WALES, working_days=1) == utc(
        2026, 6, 16, 9
    )
    with pytest.raises(ValueError, match="at least 1"):
        idle_at(last, tz="Europe/London", calendar=ENGLAND_AND_WALES, working_days=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_idle(last, datetime(2026, 6, 30), tz="Europe/London", calendar=ENGLAND_AND_WALES)


# --- properties -----------------------------------------------------------------------------------

# Zones with the awkward cases: the UK, US DST on different dates, half-hour offsets and half-hour DST.
ZONES = [
    "Europe/London",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/St_Johns",
    "Asia/Tokyo",
    "UTC",
]
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
calendars = st.sampled_from([WorkingCalendar(nation) for nation in get_args(Nation)])
zones = st.sampled_from(ZONES)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 1), timezones=st.just(UTC)
)


@given(due=dates, tz=zones, calendar=calendars)
def test_checkin_is_ten_local_on_the_first_working_day_on_or_after_due(
    due: date, tz: str, calendar: WorkingCalendar
) -> None:
    moment = checkin_moment(due, tz=tz, calendar=calendar)
    assert moment.utcoffset() == timedelta(0)
    local = moment.astimezone(ZoneInfo(tz))
    assert local.time() == time(10, 0)
    assert local.date() >= due
    assert calendar.is_working_day(local.date())
    assert calendar.working_days_between(due - timedelta(days=1), local.date() - timedelta(days=1)) == 0


@given(start=dates, n=st.integers(min_value=0, max_value=30), calendar=calendars)
def test_add_working_days_and_working_days_between_agree(
    start: date, n: int, calendar: WorkingCalendar
) -> None:
    end = calendar.add_working_days(start, n)
    assert calendar.working_days_between(start, end) == n
    if n:
        assert calendar.is_working_day(end)


@given(previous=dates, day_of_month=st.integers(min_value=1, max_value=31))
def test_monthly_is_next_month_on_the_wanted_day_or_its_last_day(previous: date, day_of_month: int) -> None:
    following = next_due_date(previous, "monthly", day_of_month=day_of_month)
    assert (following.year * 12 + following.month) - (previous.year * 12 + previous.month) == 1
    month_end = (following.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert following.day == min(day_of_month, month_end.day)


@given(now=instants, days=st.sampled_from([1, 7]), tz=zones, calendar=calendars)
def test_snooze_is_ten_local_on_a_working_day_at_least_days_after_today(
    now: datetime, days: int, tz: str, calendar: WorkingCalendar
) -> None:
    moment = snooze_moment(now, days=days, tz=tz, calendar=calendar)
    local = moment.astimezone(ZoneInfo(tz))
    assert local.time() == time(10, 0)
    assert calendar.is_working_day(local.date())
    assert local.date() == calendar.next_working_day(local_today(now, tz) + timedelta(days=days))
    assert moment > now


@given(last=instants, tz=zones, calendar=calendars)
def test_idle_once_three_working_days_have_passed(last: datetime, tz: str, calendar: WorkingCalendar) -> None:
    deadline = idle_at(last, tz=tz, calendar=calendar)
    assert is_idle(last, deadline, tz=tz, calendar=calendar)
    assert not is_idle(last, deadline - timedelta(seconds=1), tz=tz, calendar=calendar)
    zone = ZoneInfo(tz)
    local_last, local_deadline = last.astimezone(zone), deadline.astimezone(zone)
    assert calendar.is_working_day(local_deadline.date())
    between = calendar.working_days_between(local_last.date(), local_deadline.date())
    if calendar.is_working_day(local_last.date()):
        # Same time of day, three working days on.
        assert between == 3
        assert local_deadline.time() == local_last.time()
    else:
        # The next working day from its start, then three more.
        assert between == 4
        assert local_deadline.time() == time(0, 0)


def test_every_bank_holiday_has_a_welsh_name() -> None:
    """Every name the ``holidays`` package gives a UK nation's bank holidays (English only) has its
    catalogue key, so a Welsh reader never meets one in English; substitute days say so in Welsh."""
    names = {
        part.removesuffix(" (observed)")
        for calendar in (ENGLAND_AND_WALES, SCOTLAND, NORTHERN_IRELAND)
        for year in range(1995, 2061)
        for day in (date(year, 1, 1) + timedelta(days=n) for n in range(366))
        if day.year == year and (name := calendar.holiday_name(day)) is not None
        for part in name.split("; ")
    }
    assert "Boxing Day" in names and "Saint Andrew's Day" in names
    missing = sorted(name for name in names if holiday_key(name) not in message_keys())
    assert not missing
    for name in names:
        assert holiday_in(name, "cy") != name and holiday_in(name, "en") == name


def test_a_bank_holiday_is_named_in_the_readers_language() -> None:
    observed = date(2026, 12, 28)  # Boxing Day falls on a Saturday
    assert ENGLAND_AND_WALES.holiday_name(observed) == "Boxing Day (observed)"
    assert ENGLAND_AND_WALES.holiday_name(observed, "cy") == "Gŵyl San Steffan (diwrnod yn lle)"
    assert SCOTLAND.holiday_name(date(2026, 11, 30), "cy") == "Dydd Gŵyl Andreas"
    assert holiday_in("Christmas Day; Boxing Day", "cy") == "Dydd Nadolig; Gŵyl San Steffan"
    assert holiday_in("A holiday the package adds later", "cy") == "A holiday the package adds later"

"""Working days, UK bank holidays and local times for scheduled check-ins.

Pure time logic, no Slack and no database. The rules:

* A check-in is sent at 10:00 in the owner's own time zone (their Slack ``tz``; Europe/London when it
  is missing or not a real IANA name), on a working day: weekends and the bank holidays of the
  workspace's UK nation move it to the next working day.
* Cadences are weekly, fortnightly or monthly, counted from the nominal due date rather than the day it
  was moved to, so a check-in pushed back by a bank holiday does not drag every later one with it.
* A session nobody has touched for three working days is idle and gets a nudge.

Every aware ``datetime`` this module returns is in UTC, ready to store or to compare with a clock.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from flows.i18n import DEFAULT_LOCALE, language_of, message_keys, t

Nation = Literal["england-and-wales", "scotland", "northern-ireland"]
Cadence = Literal["weekly", "fortnightly", "monthly"]

DEFAULT_TZ = "Europe/London"
CHECKIN_HOUR = 10
IDLE_WORKING_DAYS = 3

# The `holidays` package's subdivision codes for the United Kingdom (ENG, NIR, SCT, WLS). England and
# Wales share one set of bank holidays, so "england-and-wales" uses England's.
_SUBDIVISION: dict[str, str] = {
    "england-and-wales": "ENG",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}
_WEEK = {"weekly": timedelta(weeks=1), "fortnightly": timedelta(weeks=2)}


@lru_cache(maxsize=256)
def _bank_holidays(subdivision: str, year: int) -> MappingProxyType[date, str]:
    """One nation's bank holidays for one year, computed once.

    Built eagerly per year and frozen, because a ``holidays`` object fills itself in lazily on lookup,
    which is not safe to share between the threads of one server process.
    """
    found = holidays.country_holidays("GB", subdiv=subdivision, years=year)
    return MappingProxyType(dict(found.items()))


_OBSERVED = " (observed)"


def holiday_key(name: str) -> str:
    """The catalogue key of one bank holiday's name as the ``holidays`` package writes it in English:
    ``"Saint Andrew's Day"`` → ``bank_holiday_saint_andrew_s_day``."""
    return "bank_holiday_" + "_".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def holiday_in(name: str, locale: str = DEFAULT_LOCALE) -> str:
    """A bank holiday's name (from the ``holidays`` package, English only) in ``locale``: from the
    catalogue's ``bank_holiday_*`` keys, a substitute day with its own words, two holidays on one day
    (``"A; B"``) each named. A name the catalogue lacks (one the package adds later) stays English."""
    language = language_of(locale)
    if language == DEFAULT_LOCALE:
        return name
    parts: list[str] = []
    for part in name.split("; "):
        observed = part.endswith(_OBSERVED)
        own = part.removesuffix(_OBSERVED)
        key = holiday_key(own)
        local = t(key, language) if key in message_keys() else own
        parts.append(t("bank_holiday_observed", language, name=local) if observed else local)
    return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Monday to Friday, less the bank holidays (including substitute days) of one UK nation."""

    nation: Nation

    def __post_init__(self) -> None:
        # The nation usually comes from settings or the database, where the Literal is not enforced.
        if self.nation not in _SUBDIVISION:
            expected = ", ".join(get_args(Nation))
            raise ValueError(f"Unknown UK nation {self.nation!r}: expected one of {expected}")

    def holiday_name(self, d: date, locale: str = DEFAULT_LOCALE) -> str | None:
        """The bank holiday's name, e.g. ``"Boxing Day (observed)"`` for a substitute day
        (``"Gŵyl San Steffan (diwrnod yn lle)"`` in Welsh), else None."""
        name = _bank_holidays(_SUBDIVISION[self.nation], d.year).get(d)
        return None if name is None else holiday_in(name, locale)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and _bank_holidays(_SUBDIVISION[self.nation], d.year).get(d) is None

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself is never counted; ``n == 0`` gives ``d``)."""
        if n < 0:
            raise ValueError(f"Cannot add a negative number of working days ({n})")
        for _ in range(n):
            d = self.next_working_day(d + timedelta(days=1))
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall strictly after ``start`` up to and including ``end`` (0 if none)."""
        days = (end - start).days
        return sum(1 for offset in range(1, days + 1) if self.is_working_day(start + timedelta(days=offset)))


def resolve_tz(name: str | None, *, fallback: str = DEFAULT_TZ) -> ZoneInfo:
    """The IANA zone called ``name``, or ``fallback`` when it is missing or not a zone we can load.

    Slack's ``users.info`` normally gives a valid name, but a profile can lack one, and a bad value
    must never stop a check-in from being scheduled.
    """
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return ZoneInfo(fallback)


def _require_aware(value: datetime, what: str) -> None:
    # A naive datetime would silently be read as the server's local time.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")


def _at_local(day: date, clock_time: time, zone: ZoneInfo) -> datetime:
    """Wall-clock ``clock_time`` on ``day`` in ``zone``, as an aware UTC datetime."""
    return datetime.combine(day, clock_time, tzinfo=zone).astimezone(UTC)


def _local_date(now: datetime, zone: ZoneInfo) -> date:
    _require_aware(now, "now")
    return now.astimezone(zone).date()


def local_today(now: datetime, tz: str | None) -> date:
    """The calendar date it is at ``now`` in time zone ``tz`` (with the fallback of :func:`resolve_tz`)."""
    return _local_date(now, resolve_tz(tz))


def checkin_moment(
    due: date, *, tz: str | None, calendar: WorkingCalendar, hour: int = CHECKIN_HOUR
) -> datetime:
    """When to send the check-in due on ``due``: ``hour``:00 local time on the first working day on or
    after it, in UTC. Daylight saving is the zone's business, so 10:00 in London is 09:00 UTC in summer
    and 10:00 UTC in winter."""
    return _at_local(calendar.next_working_day(due), time(hour), resolve_tz(tz))


def next_due_date(previous_due: date, cadence: Cadence, *, day_of_month: int | None = None) -> date:
    """The nominal due date after ``previous_due`` (pass the nominal date, not the working day it moved to).

    Monthly keeps the same day of the month, clamped to the month's last day (31 Jan → 28 or 29 Feb).
    To stop a clamped date drifting (31 Jan → 28 Feb → 28 Mar), pass ``day_of_month``, the day the
    cadence started on: with ``day_of_month=31``, 28 Feb is followed by 31 Mar.
    """
    if cadence == "monthly":
        wanted = previous_due.day if day_of_month is None else day_of_month
        if not 1 <= wanted <= 31:
            raise ValueError(f"day_of_month must be between 1 and 31, got {wanted}")
        if previous_due.month == 12:
            year, month = previous_due.year + 1, 1
        else:
            year, month = previous_due.year, previous_due.month + 1
        return date(year, month, min(wanted, _calendar.monthrange(year, month)[1]))
    if cadence in _WEEK:
        return previous_due + _WEEK[cadence]
    raise ValueError(f"Unknown cadence {cadence!r}: expected one of {', '.join(get_args(Cadence))}")


def snooze_moment(
    now: datetime, *, days: int, tz: str | None, calendar: WorkingCalendar, hour: int = CHECKIN_HOUR
) -> datetime:
    """When a check-in snoozed at ``now`` comes back: ``days`` calendar days after the owner's local
    today, moved to a working day, at ``hour``:00 local time (in UTC).

    ``days=1`` is the next working day after today; ``days=7`` is a week today, or the next working day
    after that.
    """
    if days < 1:
        raise ValueError(f"A snooze must be at least one day, got {days}")
    zone = resolve_tz(tz)
    target = _local_date(now, zone) + timedelta(days=days)
    return _at_local(calendar.next_working_day(target), time(hour), zone)


def idle_at(
    last_activity: datetime,
    *,
    tz: str | None,
    calendar: WorkingCalendar,
    working_days: int = IDLE_WORKING_DAYS,
) -> datetime:
    """The moment (UTC) a session last touched at ``last_activity`` becomes idle.

    That is the same local time of day ``working_days`` working days later: touched on Friday at 14:00,
    it is idle from Wednesday at 14:00 (Monday, Tuesday and Wednesday morning untouched). Activity on a
    weekend or bank holiday counts from the start of the next working day.
    """
    _require_aware(last_activity, "last_activity")
    if working_days < 1:
        raise ValueError(f"working_days must be at least 1, got {working_days}")
    zone = resolve_tz(tz)
    local = last_activity.astimezone(zone)
    day, clock_time = local.date(), local.time()
    if not calendar.is_working_day(day):
        day, clock_time = calendar.next_working_day(day), time(0)
    return _at_local(calendar.add_working_days(day, working_days), clock_time, zone)


def is_idle(
    last_activity: datetime,
    now: datetime,
    *,
    tz: str | None,
    calendar: WorkingCalendar,
    working_days: int = IDLE_WORKING_DAYS,
) -> bool:
    """Whether a session last touched at ``last_activity`` has been idle long enough at ``now`` to nudge."""
    _require_aware(now, "now")
    return now >= idle_at(last_activity, tz=tz, calendar=calendar, working_days=working_days)

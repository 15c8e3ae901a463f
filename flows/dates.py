"""Dates and times as people read them in messages, files and the Home tab: ``Monday 26 October at
10:00``. The names of days and months come from CLDR through :mod:`flows.formatting` (English or
Welsh), the sentence around them from the message catalogue. Pure.

A stored moment is UTC; a person reads it in their own time zone (an intervention owner's Slack
``tz``), falling back to the workspace's zone when Slack hasn't told us theirs.
"""

from __future__ import annotations

from datetime import date, datetime

from flows.calendar import DEFAULT_TZ, resolve_tz
from flows.formatting import format_date, format_day, format_day_month, format_time
from flows.i18n import DEFAULT_LOCALE, t


def readable_date(value: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """An ISO date as ``2 December 2026``; a dash when there is none, the text itself when it isn't
    a date."""
    if not value:
        return "—"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return format_date(day, locale)


def human_date(
    moment: datetime, tz: str | None, locale: str = DEFAULT_LOCALE, *, fallback: str = DEFAULT_TZ
) -> str:
    """``Monday 26 October at 10:00``: ``moment`` on the clock of zone ``tz`` (a person's own zone;
    ``fallback``, the workspace's, when it is missing or unknown)."""
    local = moment.astimezone(resolve_tz(tz, fallback=fallback))
    return t(
        "date_day_time", locale, day=format_day_month(local.date(), locale), time=format_time(local, locale)
    )


def human_day(day: date, locale: str = DEFAULT_LOCALE) -> str:
    """``Tuesday 1 December 2026``."""
    return format_day(day, locale)

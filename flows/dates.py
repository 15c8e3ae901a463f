"""Dates and times as people read them in messages, files and the Home tab (``Monday 26 October at
10:00``), with the weekday and month names from the message catalogue, so they follow the reader's
language. Pure.

A stored moment is UTC; a person reads it in their own time zone (an intervention owner's Slack
``tz``), falling back to the workspace's zone when Slack hasn't told us theirs.
"""

from __future__ import annotations

from datetime import date, datetime

from flows.calendar import DEFAULT_TZ, resolve_tz
from flows.i18n import DEFAULT_LOCALE, t


def _names(day: date, locale: str) -> dict[str, str]:
    return {
        "weekday": t(f"weekday_{day.weekday()}", locale),
        "day": str(day.day),
        "month": t(f"month_{day.month}", locale),
        "year": str(day.year),
    }


def readable_date(value: str | None, locale: str = DEFAULT_LOCALE) -> str:
    """An ISO date as ``2 December 2026``; a dash when there is none, the text itself when it isn't
    a date."""
    if not value:
        return "—"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return t("date_without_weekday", locale, **_names(day, locale))


def human_date(
    moment: datetime, tz: str | None, locale: str = DEFAULT_LOCALE, *, fallback: str = DEFAULT_TZ
) -> str:
    """``Monday 26 October at 10:00``: ``moment`` on the clock of zone ``tz`` (a person's own zone;
    ``fallback``, the workspace's, when it is missing or unknown)."""
    local = moment.astimezone(resolve_tz(tz, fallback=fallback))
    return t("date_day_time", locale, **_names(local.date(), locale), time=f"{local:%H:%M}")


def human_day(day: date, locale: str = DEFAULT_LOCALE) -> str:
    """``Tuesday 1 December 2026``."""
    return t("date_day", locale, **_names(day, locale))

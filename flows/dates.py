"""Dates and times as people read them in messages, files and the Home tab. Pure.

A stored moment is UTC; a person reads it in their own time zone (an intervention owner's Slack
``tz``), falling back to the workspace's zone when Slack hasn't told us theirs.
"""

from __future__ import annotations

from datetime import date, datetime

from flows.calendar import DEFAULT_TZ, resolve_tz
from flows.i18n import DEFAULT_LOCALE, t


def readable_date(value: str | None) -> str:
    """An ISO date as ``2 December 2026``; a dash when there is none, the text itself when it isn't
    a date."""
    if not value:
        return "—"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"


def human_date(
    moment: datetime, tz: str | None, locale: str = DEFAULT_LOCALE, *, fallback: str = DEFAULT_TZ
) -> str:
    """``Wednesday 2 December at 10:00`` in time zone ``tz`` (``fallback`` when it is missing or
    unknown)."""
    local = moment.astimezone(resolve_tz(tz, fallback=fallback))
    return t("date_at_time", locale, day=f"{local:%A} {local.day} {local:%B}", time=f"{local:%H:%M}")

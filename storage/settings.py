"""A workspace's own settings, read and written through one typed model.

Stored as JSON on the workspace row (the leads channel has its own column, kept for older rows).
Every value is optional: ``None`` means "not set here", and the caller falls back to the operator's
default from the environment. A stored value that no longer reads (an old format, a hand edit) is
treated as not set rather than failing the request that reads it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict

NATIONS = ("england-and-wales", "scotland", "northern-ireland")
DEFAULT_RETENTION_DAYS = 730
MIN_RETENTION_DAYS = 30
MAX_RETENTION_DAYS = 3650
# What ``/playbook rate`` and ``/playbook weeks`` accept (pounds an hour; working weeks in a year).
MIN_HOURLY_RATE, MAX_HOURLY_RATE = Decimal(1), Decimal(1000)
MIN_WEEKS_PER_YEAR, MAX_WEEKS_PER_YEAR = Decimal(1), Decimal(52)

# JSON keys in ``workspaces.settings`` (kept stable: existing rows use them).
_LEADS = "lead_user_ids"
_NATION = "nation"
_RETENTION = "retention_days"
_RATE = "hourly_rate"
_WEEKS = "weeks_per_year"
_LEADS_CHANNEL_BY_ADMIN = "leads_channel_by_admin"
_LANGUAGE = "language"
# A workspace's default language for people who have not chosen one: a locale, or both (Welsh first).
LANGUAGES = ("en", "cy", "bilingual")


class WorkspaceSettings(BaseModel):
    """What a workspace chose. ``None`` (or empty) means the environment's default applies."""

    model_config = ConfigDict(frozen=True)

    leads_channel: str | None = None
    # Whether a Slack workspace admin or owner chose the leads channel (not merely a lead): only then
    # do summaries of sessions run in private channels or DMs go there. Unknown (older rows): no.
    leads_channel_by_admin: bool = False
    lead_user_ids: tuple[str, ...] = ()
    nation: str | None = None
    retention_days: int | None = None
    hourly_rate: Decimal | None = None
    weeks_per_year: Decimal | None = None
    language: str | None = None

    @property
    def effective_retention_days(self) -> int:
        return self.retention_days if self.retention_days is not None else DEFAULT_RETENTION_DAYS

    @property
    def effective_nation(self) -> str:
        return self.nation if self.nation is not None else NATIONS[0]

    def is_lead(self, user_id: str) -> bool:
        return user_id in self.lead_user_ids


def _positive_decimal(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw)) if raw is not None else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() and value > 0 else None


def _retention(raw: Any) -> int | None:
    try:
        days = int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
    return None if days is None else min(max(days, MIN_RETENTION_DAYS), MAX_RETENTION_DAYS)


def read_settings(raw: dict[str, Any] | None, leads_channel: str | None) -> WorkspaceSettings:
    """The typed settings from a workspace row's JSON and its leads channel column."""
    data = raw or {}
    leads = data.get(_LEADS) or []
    nation = data.get(_NATION)
    language = data.get(_LANGUAGE)
    return WorkspaceSettings(
        leads_channel=leads_channel or None,
        leads_channel_by_admin=data.get(_LEADS_CHANNEL_BY_ADMIN) is True,
        lead_user_ids=tuple(str(u) for u in leads) if isinstance(leads, list | tuple) else (),
        nation=nation if nation in NATIONS else None,
        retention_days=_retention(data.get(_RETENTION)),
        hourly_rate=_positive_decimal(data.get(_RATE)),
        weeks_per_year=_positive_decimal(data.get(_WEEKS)),
        language=language if language in LANGUAGES else None,
    )


def write_settings(raw: dict[str, Any] | None, settings: WorkspaceSettings) -> dict[str, Any]:
    """The row's JSON with ``settings`` written over it (keys this model doesn't know are kept)."""
    data = dict(raw or {})
    values: dict[str, Any] = {
        _LEADS: list(settings.lead_user_ids) or None,
        _LEADS_CHANNEL_BY_ADMIN: settings.leads_channel_by_admin or None,
        _NATION: settings.nation,
        _RETENTION: settings.retention_days,
        _RATE: None if settings.hourly_rate is None else str(settings.hourly_rate),
        _WEEKS: None if settings.weeks_per_year is None else str(settings.weeks_per_year),
        _LANGUAGE: settings.language,
    }
    for key, value in values.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data

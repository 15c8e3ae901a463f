"""A workspace's settings as every feature uses them: the workspace's own choice where it made one,
else the operator's default from the environment. The one place where the two are combined, so a
figure (the hourly rate, weeks in a year) is the same in every output."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

from bot.deps import Deps
from bot.mrkdwn import escape, mention
from flows.calendar import Nation, WorkingCalendar, local_today
from flows.engine import ReplyContext
from flows.formatting import format_date
from storage.settings import WorkspaceSettings
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class EffectiveSettings:
    own: WorkspaceSettings
    leads_channel: str | None
    lead_ids: frozenset[str]
    hourly_rate: Decimal
    weeks_per_year: Decimal
    working_day_hours: Decimal
    nation: Nation
    timezone: str
    retention_days: int

    @property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.nation)

    def is_lead(self, user_id: str) -> bool:
        return user_id in self.lead_ids

    def today(self, now: datetime) -> date:
        return local_today(now, self.timezone)


def effective(deps: Deps, own: WorkspaceSettings) -> EffectiveSettings:
    env = deps.settings
    return EffectiveSettings(
        own=own,
        leads_channel=own.leads_channel or env.playbook_leads_channel or None,
        lead_ids=frozenset(own.lead_user_ids),
        hourly_rate=own.hourly_rate if own.hourly_rate is not None else env.playbook_hourly_rate,
        weeks_per_year=own.weeks_per_year if own.weeks_per_year is not None else env.playbook_weeks_per_year,
        working_day_hours=env.playbook_working_day_hours,
        nation=cast(Nation, own.effective_nation),
        timezone=env.playbook_timezone,
        retention_days=own.effective_retention_days,
    )


def settings_for(deps: Deps, uow: UnitOfWork, team_id: str) -> EffectiveSettings:
    return effective(deps, uow.workspaces.settings(team_id))


def reply_context(deps: Deps, settings: EffectiveSettings, locale: str) -> ReplyContext:
    """What parsing and costing need: today's date in the workspace's zone, the working day, weeks in
    a year and the hourly rate, and how user text and people are written into prompts."""
    return ReplyContext(
        today=settings.today(deps.clock.now()),
        locale=locale,
        working_day_hours=settings.working_day_hours,
        weeks_per_year=settings.weeks_per_year,
        hourly_rate=settings.hourly_rate,
        escape=escape,
        mention=mention,
    )


def local_time(settings: EffectiveSettings, when: datetime, locale: str = "en") -> str:
    """``25 November 2026, 10:00`` (``25 Tachwedd 2026, 10:00``) in the workspace's time zone."""
    local = when.astimezone(ZoneInfo(settings.timezone))
    return f"{format_date(local.date(), locale)}, {local:%H:%M}"

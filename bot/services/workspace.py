"""A workspace's settings as every feature uses them: the workspace's own choice where it made one,
else the operator's default from the environment. The one place where the two are combined, so a
figure (the hourly rate, weeks in a year) is the same in every output."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot.delivery import Shown
from bot.deps import Deps
from bot.errors import NotAllowed
from bot.mrkdwn import escape, mention
from bot.request import Caller
from bot.services import language
from flows import parsing, policy
from flows.calendar import Nation, WorkingCalendar, local_today
from flows.commands import plain_number
from flows.engine import ReplyContext
from flows.formatting import format_day_time, format_money, format_number
from flows.i18n import DEFAULT_LOCALE, language_of, t
from storage.settings import (
    MAX_HOURLY_RATE,
    MAX_WEEKS_PER_YEAR,
    MIN_HOURLY_RATE,
    MIN_WEEKS_PER_YEAR,
    WorkspaceSettings,
)
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.workspace")


@dataclass(frozen=True)
class EffectiveSettings:
    own: WorkspaceSettings
    leads_channel: str | None
    # Chosen by a Slack admin or owner (or the operator's default): summaries of sessions run in
    # private channels or DMs may go there. A channel a lead chose gets public sessions' only.
    leads_channel_for_private: bool
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


def council_timezone(deps: Deps) -> str:
    """The zone a workspace's dates are shown in: the app's (a workspace does not set its own), so
    known without reading the workspace."""
    return deps.settings.playbook_timezone


def effective(deps: Deps, own: WorkspaceSettings) -> EffectiveSettings:
    env = deps.settings
    return EffectiveSettings(
        own=own,
        leads_channel=own.leads_channel or env.playbook_leads_channel or None,
        leads_channel_for_private=own.leads_channel_by_admin if own.leads_channel else True,
        lead_ids=frozenset(own.lead_user_ids),
        hourly_rate=own.hourly_rate if own.hourly_rate is not None else env.playbook_hourly_rate,
        weeks_per_year=own.weeks_per_year if own.weeks_per_year is not None else env.playbook_weeks_per_year,
        working_day_hours=env.playbook_working_day_hours,
        nation=cast(Nation, own.effective_nation),
        timezone=council_timezone(deps),
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
        calendar=settings.calendar,
        escape=escape,
        mention=mention,
    )


def local_time(settings: EffectiveSettings, when: datetime, locale: str = "en") -> str:
    """``Wednesday 25 November 2026, 10:00`` (``dydd Mercher 25 Tachwedd 2026, 10:00``) in the
    workspace's time zone (the one way dates are written in summaries, posts and Home)."""
    local = when.astimezone(ZoneInfo(settings.timezone))
    return format_day_time(local, language_of(locale))


# --- changing settings ---------------------------------------------------------------------------------

# Each setting's audit action, and its value as the log records it (the value in force: a workspace
# that never chose a retention period keeps sessions for the default, and the log says so).
AUDITED_SETTINGS: dict[str, tuple[str, Callable[[WorkspaceSettings], object]]] = {
    "leads_channel": ("settings.leads_channel", lambda s: s.leads_channel),
    "leads_channel_by_admin": ("settings.leads_channel_by_admin", lambda s: s.leads_channel_by_admin),
    "lead_user_ids": ("settings.leads", lambda s: list(s.lead_user_ids)),
    "nation": ("settings.nation", lambda s: s.effective_nation),
    "retention_days": ("settings.retention", lambda s: s.effective_retention_days),
    "hourly_rate": ("settings.hourly_rate", lambda s: None if s.hourly_rate is None else str(s.hourly_rate)),
    "weeks_per_year": (
        "settings.weeks_per_year",
        lambda s: None if s.weeks_per_year is None else str(s.weeks_per_year),
    ),
}


def settings_refusal(settings: EffectiveSettings, locale: str = DEFAULT_LOCALE) -> str:
    """Who can change a setting, said in the refusal: admins and owners, and the leads by name."""
    if not settings.lead_ids:
        return t("settings_admins_only", locale)
    return t(
        "settings_admins_or_leads",
        locale,
        leads=", ".join(mention(u, locale) for u in sorted(settings.lead_ids)),
    )


def is_workspace_admin(deps: Deps, client: WebClient, team_id: str, user_id: str) -> bool:
    """Whether Slack says ``user_id`` is an admin or owner (``users.info``, kept briefly). Asked
    outside any transaction."""
    return deps.directory(client, team_id).is_workspace_admin(user_id)


def change_settings(
    deps: Deps,
    client: WebClient,
    caller: Caller,
    *,
    then: Callable[[UnitOfWork, WorkspaceSettings], None] | None = None,
    **changes: Any,
) -> tuple[WorkspaceSettings, WorkspaceSettings]:
    """Change settings that decide where data goes or how long it is kept, for a Slack workspace admin
    or owner or a named lead (``flows.policy.may_change_settings``); anyone else gets a refusal that
    says who can. Each changed setting is recorded in the audit log (before and after) in the same
    transaction; ``then`` runs in it too (re-timing check-ins for a new nation, say). Returns the
    settings before and after."""
    with deps.uow() as uow:
        is_lead = settings_for(deps, uow, caller.team_id).is_lead(caller.user_id)
        locale = language.person_locale(uow, caller.team_id, caller.user_id)
    # Asked of Slack outside any transaction, and only when being a lead isn't enough already (for
    # the leads channel it always is asked: whether an admin chose it decides what may go there).
    choosing_leads_channel = "leads_channel" in changes
    is_admin = (choosing_leads_channel or not is_lead) and is_workspace_admin(
        deps, client, caller.team_id, caller.user_id
    )
    if choosing_leads_channel:
        changes["leads_channel_by_admin"] = is_admin
    with deps.uow() as uow:
        settings = settings_for(deps, uow, caller.team_id)
        if not policy.may_change_settings(settings.lead_ids, caller.user_id, is_admin):
            log.warning(
                "refused settings change %s by %s in %s", sorted(changes), caller.user_id, caller.team_id
            )
            raise NotAllowed(settings_refusal(settings, locale))
        before, after = uow.workspaces.change_settings(caller.team_id, **changes)
        _audit(deps, uow, caller, before, after)
        if then is not None:
            then(uow, after)
        uow.commit()
    return before, after


def change_leads(
    deps: Deps, client: WebClient, caller: Caller, *, add: str | None = None, remove: str | None = None
) -> tuple[WorkspaceSettings, WorkspaceSettings]:
    """Name (``add``) or un-name (``remove``) a lead: Slack workspace admins and owners only."""
    if not policy.may_name_leads(is_workspace_admin(deps, client, caller.team_id, caller.user_id)):
        log.warning("refused leads change by %s in %s", caller.user_id, caller.team_id)
        raise NotAllowed(t("leads_admins_only", language.caller_locale(deps, caller)))
    with deps.uow() as uow:
        current = uow.workspaces.settings(caller.team_id).lead_user_ids
        leads = [u for u in current if u != remove]
        if add is not None and add not in leads:
            leads.append(add)
        before, after = uow.workspaces.change_settings(caller.team_id, lead_user_ids=tuple(leads))
        _audit(deps, uow, caller, before, after)
        uow.commit()
    return before, after


def lead_ids(deps: Deps, client: WebClient, caller: Caller) -> tuple[str, ...]:
    """The named leads, for an admin or owner (or a lead) to read."""
    with deps.uow() as uow:
        settings = settings_for(deps, uow, caller.team_id)
        locale = language.person_locale(uow, caller.team_id, caller.user_id)
    if not settings.is_lead(caller.user_id) and not policy.may_name_leads(
        is_workspace_admin(deps, client, caller.team_id, caller.user_id)
    ):
        raise NotAllowed(t("leads_admins_only", locale))
    return settings.own.lead_user_ids


def _audit(
    deps: Deps, uow: UnitOfWork, caller: Caller, before: WorkspaceSettings, after: WorkspaceSettings
) -> None:
    for name, (action, value_of) in AUDITED_SETTINGS.items():
        if getattr(before, name) == getattr(after, name):
            continue
        uow.audit.add(
            caller.team_id,
            caller.user_id,
            action,
            {"before": value_of(before), "after": value_of(after)},
            at=deps.clock.now(),
        )


# --- /playbook rate, /playbook weeks ------------------------------------------------------------------


def rate_command(deps: Deps, client: WebClient, caller: Caller, argument: str) -> Shown:
    """``/playbook rate``: the hourly rate staff time is costed at when an answer gives none;
    ``/playbook rate £35``: change it (a workspace admin or owner, or a lead), audited."""
    locale = language.caller_locale(deps, caller)
    money = language_of(locale)
    limits = {"min": format_money(MIN_HOURLY_RATE, money), "max": format_money(MAX_HOURLY_RATE, money)}
    if not argument.strip():
        with deps.uow() as uow:
            current = settings_for(deps, uow, caller.team_id).hourly_rate
        return Shown(ack=t("rate_show", locale, rate=format_money(current, money), **limits))
    amount = parsing.parse_money(argument)
    if isinstance(amount, parsing.ParseFailure) or not MIN_HOURLY_RATE <= amount <= MAX_HOURLY_RATE:
        return Shown(ack=t("rate_bad", locale, **limits))
    before, _after = change_settings(deps, client, caller, hourly_rate=amount)
    was = before.hourly_rate if before.hourly_rate is not None else deps.settings.playbook_hourly_rate
    return Shown(ack=t("rate_set", locale, rate=format_money(amount, money), before=format_money(was, money)))


def weeks_command(deps: Deps, client: WebClient, caller: Caller, argument: str) -> Shown:
    """``/playbook weeks``: how many working weeks a year costs count; ``/playbook weeks 46``: change it
    (a workspace admin or owner, or a lead), audited."""
    locale = language.caller_locale(deps, caller)
    numbers = language_of(locale)
    limits = {
        "min": format_number(MIN_WEEKS_PER_YEAR, numbers),
        "max": format_number(MAX_WEEKS_PER_YEAR, numbers),
    }
    if not argument.strip():
        with deps.uow() as uow:
            current = settings_for(deps, uow, caller.team_id).weeks_per_year
        return Shown(ack=t("weeks_show", locale, weeks=format_number(current, numbers), **limits))
    weeks = plain_number(argument)
    if weeks is None or not MIN_WEEKS_PER_YEAR <= weeks <= MAX_WEEKS_PER_YEAR:
        return Shown(ack=t("weeks_bad", locale, **limits))
    before, _after = change_settings(deps, client, caller, weeks_per_year=weeks)
    was = (
        before.weeks_per_year if before.weeks_per_year is not None else deps.settings.playbook_weeks_per_year
    )
    return Shown(
        ack=t("weeks_set", locale, weeks=format_number(weeks, numbers), before=format_number(was, numbers))
    )

"""The App Home tab: built on ``app_home_opened`` and published with ``views.publish``.

The page is the concatenation of :data:`HOME_SECTIONS`, each a function of a :class:`HomeContext`
returning blocks. Another feature adds or replaces a section by editing that list. Interventions come
from the check-ins tables (``storage/checkins.py``): what each is, its latest reported progress, and its
next check-in in the owner's own time zone. Slack allows 100 blocks in a Home tab: :func:`home_blocks`
keeps within it whatever the sections return.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View
from sqlalchemy import func, select

from bot import delivery, roles
from bot.checkins import human_date
from bot.deps import Deps
from bot.ids import ActionId
from bot.mrkdwn import escape
from bot.services import conversation
from bot.services.leads import latest_answers
from bot.services.workspace import local_time, settings_for
from bot.views import common as blocks
from bot.views.leads import classification_line, mention
from flows import engine
from flows.i18n import t
from flows.leads_summary import classification_of
from flows.schema import TemplateNotFound, get_template
from storage.checkins import (
    CheckIn,
    CheckInRepository,
    CheckInStatus,
    Intervention,
    InterventionStatus,
    ResponseKind,
)
from storage.models import Session, SessionStatus, Workspace
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.home")

HOME_BLOCK_LIMIT = 100
SHOWN_SESSIONS = 10
SHOWN_INTERVENTIONS = 15
SHOWN_SUMMARIES = 8
# Leads see at most this many open interventions, the soonest check-ins first.
SCANNED_INTERVENTIONS = 500


@dataclass
class HomeContext:
    deps: Deps
    uow: UnitOfWork
    team_id: str
    user_id: str
    workspace: Workspace | None
    is_lead: bool
    now: datetime
    locale: str = "en"


HomeSection = Callable[[HomeContext], list[Block]]


def _section(text: str) -> list[Block]:
    return blocks.sections(text)


def _template_title(template_id: str, locale: str) -> str:
    try:
        return get_template(template_id).title.get(locale)
    except TemplateNotFound:
        return template_id


def _where(session: Session) -> str:
    return "our DM" if session.is_dm else f"<#{session.channel_id}>"


class OpenStatus(StrEnum):
    """Where an open intervention stands, as leads see it; the groups are shown in this order."""

    BLOCKED = "blocked"
    NO_ANSWER = "no_answer"  # escalated: the last two check-ins went unanswered
    AWAITING_ANSWER = "awaiting_answer"
    ON_TRACK = "on_track"
    AWAITING_FIRST = "awaiting_first"


@dataclass(frozen=True)
class OpenIntervention:
    intervention: Intervention
    next_checkin_at: datetime | None
    checkins_sent: int

    @property
    def status(self) -> OpenStatus:
        item = self.intervention
        if item.escalated_at is not None:
            return OpenStatus.NO_ANSWER
        if item.progress == ResponseKind.BLOCKED:
            return OpenStatus.BLOCKED
        if item.progress == ResponseKind.ON_TRACK:
            return OpenStatus.ON_TRACK
        return OpenStatus.AWAITING_ANSWER if self.checkins_sent else OpenStatus.AWAITING_FIRST


def open_interventions(uow: UnitOfWork, team_id: str) -> list[OpenIntervention]:
    """The workspace's open interventions with their next check-in and how many were sent, soonest
    check-in first."""
    waiting = (
        select(CheckIn.intervention_id, func.min(CheckIn.due_at).label("due_at"))
        .where(CheckIn.workspace_id == team_id, CheckIn.status == CheckInStatus.PENDING)
        .group_by(CheckIn.intervention_id)
        .subquery()
    )
    sent = (
        select(CheckIn.intervention_id, func.count().label("sent"))
        .where(CheckIn.workspace_id == team_id, CheckIn.status == CheckInStatus.SENT)
        .group_by(CheckIn.intervention_id)
        .subquery()
    )
    rows = uow.orm.execute(
        select(Intervention, waiting.c.due_at, sent.c.sent)
        .outerjoin(waiting, waiting.c.intervention_id == Intervention.id)
        .outerjoin(sent, sent.c.intervention_id == Intervention.id)
        .where(Intervention.workspace_id == team_id, Intervention.status == InterventionStatus.OPEN)
        .order_by(waiting.c.due_at.is_(None), waiting.c.due_at, Intervention.id)
        .limit(SCANNED_INTERVENTIONS)
    ).all()
    return [OpenIntervention(row[0], row[1], int(row[2] or 0)) for row in rows]


def _next_checkin(moment: datetime | None, owner_tz: str | None) -> str:
    """The next check-in in the owner's own time zone (10:00 London until Slack has told us theirs)."""
    return human_date(moment, owner_tz) if moment is not None else "—"


def _progress(progress: str | None, reason: str | None, locale: str) -> str:
    if progress == ResponseKind.BLOCKED:
        return t("checkin_status_blocked", locale, reason=escape(reason or ""))
    if progress == ResponseKind.ON_TRACK:
        return t("checkin_status_on_track", locale)
    return t("home_progress_none", locale)


def header(context: HomeContext) -> list[Block]:
    return [
        HeaderBlock(text=PlainTextObject(text=t("home_title", context.locale))),
        ContextBlock(elements=[MarkdownTextObject(text=t("home_intro", context.locale))]),
    ]


def your_sessions(context: HomeContext) -> list[Block]:
    locale = context.locale
    sessions = [
        s
        for s in context.uow.sessions.for_user(context.team_id, context.user_id, limit=50)
        if s.status in (SessionStatus.ACTIVE, SessionStatus.PAUSED)
    ]
    out: list[Block] = [DividerBlock(), *_section(t("home_sessions", locale))]
    if not sessions:
        return out + _section(t("home_no_sessions", locale))
    for session in sessions[:SHOWN_SESSIONS]:
        template = get_template(session.template_id)
        position = engine.walk(template, latest_answers(context.uow, session.id)).current
        step = position.step.title(locale, position.item) if position else ""
        state_key = "state_paused" if session.status == SessionStatus.PAUSED else "state_active"
        line = t(
            "home_session_line",
            locale,
            session=session.id,
            title=escape(template.title.get(locale)),
            state=t(state_key, locale, step=escape(step)),
            where=_where(session),
        )
        out.append(
            SectionBlock(
                text=MarkdownTextObject(text=blocks.clip(line, 3000)),
                accessory=ButtonElement(
                    text=PlainTextObject(text=t("home_resume", locale)),
                    action_id=ActionId.RESUME,
                    value=str(session.id),
                ),
            )
        )
    if len(sessions) > SHOWN_SESSIONS:
        out += _section(t("home_more", locale, count=len(sessions) - SHOWN_SESSIONS))
    return out


def _intervention_text(what: str, session_id: int, cadence: str, next_checkin: str, locale: str) -> str:
    return t(
        "home_intervention_line",
        locale,
        what=escape(blocks.clip(what, 300)),
        session=session_id,
        next=next_checkin,
        cadence=f" · {t(f'cadence_{cadence}', locale)}",
    )


def your_interventions(context: HomeContext) -> list[Block]:
    """The open interventions this person owns: what, progress, and the next check-in in their time."""
    locale = context.locale
    mine = CheckInRepository(context.uow.orm).for_owner(context.team_id, context.user_id)
    out: list[Block] = [DividerBlock(), *_section(t("home_interventions", locale))]
    if not mine:
        return out + _section(t("home_no_interventions", locale))
    lines = [
        "• "
        + _intervention_text(
            item.what,
            item.session_id,
            item.cadence,
            _next_checkin(item.next_checkin_at, item.owner_tz),
            locale,
        )
        + " · "
        + _progress(item.progress, item.progress_reason, locale)
        for item in mine[:SHOWN_INTERVENTIONS]
    ]
    if len(mine) > SHOWN_INTERVENTIONS:
        lines.append(t("home_more", locale, count=len(mine) - SHOWN_INTERVENTIONS))
    return out + _section("\n".join(lines))


def leads_recent_summaries(context: HomeContext) -> list[Block]:
    if not context.is_lead:
        return []
    locale = context.locale
    completed = context.uow.orm.scalars(
        select(Session)
        .where(Session.workspace_id == context.team_id, Session.status == SessionStatus.COMPLETED)
        .order_by(Session.completed_at.desc(), Session.id.desc())
        .limit(SHOWN_SUMMARIES)
    ).all()
    out: list[Block] = [DividerBlock(), *_section(t("home_leads_summaries", locale))]
    if not completed:
        return out + _section(t("home_no_summaries", locale))
    lines = []
    for session in completed:
        answers = latest_answers(context.uow, session.id)
        problem = answers.get("problem")
        problem_text = " ".join(str(problem.value).split()) if problem is not None and problem.value else ""
        try:
            view = classification_of(get_template(session.template_id), answers)
        except TemplateNotFound:
            view = None
        lines.append(
            "• "
            + t(
                "home_summary_line",
                locale,
                session=session.id,
                title=escape(_template_title(session.template_id, locale)),
                problem=escape(blocks.clip(problem_text, 200)),
                classification=f" · {classification_line(view, locale)}" if view is not None else "",
                when=local_time(
                    settings_for(context.deps, context.uow, context.team_id),
                    session.completed_at or session.updated_at,
                ),
            )
        )
    return out + _section("\n".join(lines))


def _lead_line(entry: OpenIntervention, locale: str) -> str:
    item = entry.intervention
    line = _intervention_text(
        item.what,
        item.session_id,
        item.cadence,
        _next_checkin(entry.next_checkin_at, item.owner_tz),
        locale,
    )
    line += f" · {mention(item.owner_id)}"
    if item.progress == ResponseKind.BLOCKED and item.progress_reason:
        line += " · " + t(
            "checkin_status_blocked", locale, reason=escape(blocks.clip(item.progress_reason, 300))
        )
    return "• " + line


def leads_open_interventions(context: HomeContext) -> list[Block]:
    """Leads: every open intervention in the workspace, grouped by where its check-ins stand."""
    if not context.is_lead:
        return []
    locale = context.locale
    out: list[Block] = [DividerBlock(), *_section(t("home_leads_open", locale))]
    by_status: dict[OpenStatus, list[OpenIntervention]] = {}
    for entry in open_interventions(context.uow, context.team_id):
        by_status.setdefault(entry.status, []).append(entry)
    if not by_status:
        return out + _section(t("home_no_open", locale))
    for status in OpenStatus:
        entries = by_status.get(status, [])
        if not entries:
            continue
        label = t(f"home_status_{status.value}", locale)
        lines = [t("home_status_heading", locale, status=label, count=len(entries))]
        lines += [_lead_line(entry, locale) for entry in entries[:SHOWN_INTERVENTIONS]]
        if len(entries) > SHOWN_INTERVENTIONS:
            lines.append(t("home_more", locale, count=len(entries) - SHOWN_INTERVENTIONS))
        out += _section("\n".join(lines))
    return out


HOME_SECTIONS: list[HomeSection] = [
    header,
    your_sessions,
    your_interventions,
    leads_recent_summaries,
    leads_open_interventions,
]


def home_blocks(context: HomeContext, sections: Sequence[HomeSection] = HOME_SECTIONS) -> list[Block]:
    """All sections, cut to Slack's 100-block limit with a closing note if anything was left out."""
    out: list[Block] = []
    for build in sections:
        out += build(context)
    if len(out) > HOME_BLOCK_LIMIT:
        left = len(out) - (HOME_BLOCK_LIMIT - 1)
        out = out[: HOME_BLOCK_LIMIT - 1]
        out.append(
            ContextBlock(elements=[MarkdownTextObject(text=t("home_more", context.locale, count=left))])
        )
    return out


def publish_home(deps: Deps, client: WebClient, team_id: str, user_id: str) -> None:
    with deps.uow() as uow:
        workspace = uow.workspaces.get(team_id)
        context = HomeContext(
            deps=deps,
            uow=uow,
            team_id=team_id,
            user_id=user_id,
            workspace=workspace,
            is_lead=roles.is_lead(workspace, user_id),
            now=deps.clock.now(),
        )
        content = home_blocks(context)
    client.views_publish(user_id=user_id, view=View(type="home", blocks=content))


def handle_home_opened(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    if event.get("tab", "home") != "home" or not event.get("user"):
        return
    team_id = str(body.get("team_id") or event.get("team") or "")
    publish_home(context["deps"], client, team_id, str(event["user"]))


def handle_resume(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Resume from Home: a paused session carries on; an active one gets its question posted again."""
    deps: Deps = context["deps"]
    caller = context["caller"]
    try:
        session_id = int(action.get("value") or "")
    except ValueError:
        ack()
        return
    shown = conversation.show_current(deps, client, caller, session_id)
    ack()
    delivery.deliver(client, shown)
    publish_home(deps, client, caller.team_id, caller.user_id)


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)
    app.action(ActionId.RESUME)(handle_resume)

"""The App Home tab: built on ``app_home_opened`` and published with ``views.publish``.

The page is the concatenation of :data:`HOME_SECTIONS`, each a function of a :class:`HomeContext`
returning blocks. Another feature adds or replaces a section by editing that list (the check-ins work,
for instance, replaces :func:`your_interventions` with one showing the scheduled next check-in); until
then interventions are read from the sessions' answers. Slack allows 100 blocks in a Home tab:
:func:`home_blocks` keeps within it whatever the sections return.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
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
from sqlalchemy import select

from bot import blocks, conversation, roles
from bot.deps import Deps
from bot.errors import NotAllowed
from bot.ids import ActionId
from bot.leads import latest_answers, local_time
from bot.mrkdwn import escape
from bot.views.leads import classification_line, mention, readable_date
from flows import engine
from flows.i18n import t
from flows.leads_summary import InterventionView, classification_of, interventions_of
from flows.schema import TemplateNotFound, get_template
from storage.models import AnswerVersion, Session, SessionStatus, Workspace
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.home")

HOME_BLOCK_LIMIT = 100
SHOWN_SESSIONS = 10
SHOWN_INTERVENTIONS = 15
SHOWN_SUMMARIES = 8
# Interventions are looked for in this many of the workspace's most recently active sessions.
SCANNED_SESSIONS = 300


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
    _interventions: list[tuple[Session, InterventionView]] | None = None

    def interventions(self) -> list[tuple[Session, InterventionView]]:
        """Every intervention recorded in the workspace's recent sessions (read once per page)."""
        if self._interventions is None:
            self._interventions = _workspace_interventions(self.uow, self.team_id)
        return self._interventions


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


def _workspace_interventions(uow: UnitOfWork, team_id: str) -> list[tuple[Session, InterventionView]]:
    sessions = {
        s.id: s
        for s in uow.orm.scalars(
            select(Session)
            .where(Session.workspace_id == team_id, Session.status != SessionStatus.CANCELLED)
            .order_by(Session.updated_at.desc())
            .limit(SCANNED_SESSIONS)
        )
    }
    if not sessions:
        return []
    with_interventions = set(
        uow.orm.scalars(
            select(AnswerVersion.session_id)
            .where(AnswerVersion.session_id.in_(sessions), AnswerVersion.key.like("interventions.%"))
            .distinct()
        )
    )
    found: list[tuple[Session, InterventionView]] = []
    for session_id in sorted(with_interventions):
        for item in interventions_of(session_id, latest_answers(uow, session_id)):
            found.append((sessions[session_id], item))
    return found


def intervention_status(context: HomeContext, item: InterventionView) -> str:
    """The intervention's status as leads see it. Until check-ins record answers every recorded
    intervention is open and awaiting its first check-in."""
    return "Awaiting first check-in"


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


def _intervention_text(session: Session, item: InterventionView, locale: str) -> str:
    cadence = f" · {escape(item.cadence)}" if item.cadence else ""
    return t(
        "home_intervention_line",
        locale,
        what=escape(item.what),
        session=session.id,
        next=readable_date(item.first_checkin),
        cadence=cadence,
    )


def your_interventions(context: HomeContext) -> list[Block]:
    locale = context.locale
    mine = [(s, i) for s, i in context.interventions() if i.owner == context.user_id]
    mine.sort(key=lambda pair: pair[1].first_checkin or "9999")
    out: list[Block] = [DividerBlock(), *_section(t("home_interventions", locale))]
    if not mine:
        return out + _section(t("home_no_interventions", locale))
    lines = ["• " + _intervention_text(s, i, locale) for s, i in mine[:SHOWN_INTERVENTIONS]]
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
                when=local_time(context.deps, session.completed_at or session.updated_at),
            )
        )
    return out + _section("\n".join(lines))


def leads_open_interventions(context: HomeContext) -> list[Block]:
    if not context.is_lead:
        return []
    locale = context.locale
    out: list[Block] = [DividerBlock(), *_section(t("home_leads_open", locale))]
    by_status: dict[str, list[tuple[Session, InterventionView]]] = {}
    for session, item in context.interventions():
        by_status.setdefault(intervention_status(context, item), []).append((session, item))
    if not by_status:
        return out + _section(t("home_no_open", locale))
    for status, entries in sorted(by_status.items()):
        lines = [t("home_status_heading", locale, status=escape(status), count=len(entries))]
        lines += [
            f"• {_intervention_text(s, i, locale)} · {mention(i.owner)}"
            for s, i in entries[:SHOWN_INTERVENTIONS]
        ]
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
    team_id = str((body.get("team") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    try:
        session_id = int(action.get("value") or "")
    except ValueError:
        ack()
        return
    result = None
    prompt = None
    with deps.uow() as uow:
        session = conversation.load_session(uow, team_id, session_id)
        if not roles.is_participant(session, user_id):
            raise NotAllowed(t("only_participants", session.locale))
        place = conversation.Place.of(session)
        if session.status == SessionStatus.PAUSED:
            result = conversation.apply(deps, uow, session, conversation.Reply(team_id, user_id, "resume"))
            uow.commit()
        elif session.status == SessionStatus.ACTIVE:
            template = get_template(session.template_id)
            answers = latest_answers(uow, session.id)
            prompt = engine.current_prompt(template, answers, session.locale, escape)
    ack()
    if result is not None:
        conversation.deliver(client, result)
        prompt = result.outcome.next_prompt if result.outcome else None
    elif prompt is not None:
        conversation.post(
            client, place, blocks.prompt_fallback_text(prompt), blocks.prompt_blocks(prompt, session_id)
        )
    if result is not None or prompt is not None:
        conversation.mark_prompted(deps, team_id, session_id, prompt.key if prompt else None)
    publish_home(deps, client, team_id, user_id)


def register(app: App) -> None:
    app.event("app_home_opened")(handle_home_opened)
    app.action(ActionId.RESUME)(handle_resume)

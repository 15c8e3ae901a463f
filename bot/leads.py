"""Leads: who may steer a facilitator-only step, where summaries go, and posting them there.

When a session completes, :func:`prepare` (inside the reply's unit of work) builds the leads summary from
this session and every other session on the same problem; after the commit :func:`deliver` posts it to
the workspace's leads channel (``/playbook leads #channel``, else ``PLAYBOOK_LEADS_CHANNEL``), with a
permalink to the session's thread. If the bot is not in that channel the facilitator is told how to
invite it; any other failure is logged and never undoes the session.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot import roles
from bot.blocks import as_dicts, clip
from bot.deps import Deps
from bot.mrkdwn import escape
from bot.views.leads import leads_summary_blocks, split_for_leads
from flows import engine
from flows.engine import Answer
from flows.i18n import t
from flows.leads_summary import CostSettings, LeadsSummary, SessionAnswers, build_leads_summary
from flows.schema import Template, TemplateNotFound, get_template
from storage.models import Session, SessionStatus, Workspace
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.leads")

# Typed words that anyone may send at a facilitator-only step (they change nothing).
_ALWAYS_ALLOWED = frozenset({"help", "?", "pause"})
_CHANNEL_REF = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$|^([CG][A-Z0-9]{4,})$")
_NOT_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def steer_refusal(
    uow: UnitOfWork,
    session: Session,
    template: Template,
    answers: Mapping[str, Answer],
    user_id: str,
    text: str,
) -> str | None:
    """The refusal to show when ``user_id`` tries to answer a facilitator-only step without being the
    facilitator or a lead; None when the reply may go ahead."""
    position = engine.walk(template, answers).current
    if position is None or not position.step.facilitator_only:
        return None
    if engine.normalise_command(text) in _ALWAYS_ALLOWED:
        return None
    if roles.can_steer(session, uow.workspaces.get(session.workspace_id), user_id):
        return None
    return t("classification_only_steer", session.locale)


def leads_channel(workspace: Workspace | None, deps: Deps) -> str | None:
    """The workspace's own leads channel, else the operator's default from the environment."""
    if workspace is not None and workspace.leads_channel:
        return workspace.leads_channel
    return deps.settings.playbook_leads_channel or None


def _template(template_id: str) -> Template | None:
    try:
        return get_template(template_id)
    except TemplateNotFound:
        return None


def latest_answers(uow: UnitOfWork, session_id: int) -> dict[str, Answer]:
    return {
        key: Answer(row.value, row.skipped, row.author_id)
        for key, row in uow.answers.latest(session_id).items()
    }


def summary_for_session(
    deps: Deps, uow: UnitOfWork, session: Session, answers: Mapping[str, Answer] | None = None
) -> LeadsSummary:
    """The leads summary of ``session`` with every other session on its problem (newest first)."""
    template = get_template(session.template_id)
    main = SessionAnswers(
        session.id, template, answers if answers is not None else latest_answers(uow, session.id)
    )
    related: list[SessionAnswers] = []
    if session.problem_id is not None:
        others = uow.orm.scalars(
            select(Session)
            .where(
                Session.workspace_id == session.workspace_id,
                Session.problem_id == session.problem_id,
                Session.id != session.id,
                Session.status != SessionStatus.CANCELLED,
            )
            .order_by(Session.updated_at.desc(), Session.id.desc())
        ).all()
        for other in others:
            other_template = _template(other.template_id)
            if other_template is not None:
                related.append(SessionAnswers(other.id, other_template, latest_answers(uow, other.id)))
    settings = deps.settings
    return build_leads_summary(
        main,
        related,
        costs=CostSettings(
            hourly_rate_default=settings.playbook_hourly_rate,
            weeks_per_year=settings.playbook_weeks_per_year,
            working_day_hours=settings.playbook_working_day_hours,
        ),
        locale=session.locale,
    )


def local_time(deps: Deps, when: datetime) -> str:
    return when.astimezone(ZoneInfo(deps.settings.playbook_timezone)).strftime("%-d %B %Y, %H:%M")


@dataclass(frozen=True)
class LeadsPost:
    """Everything :func:`deliver` needs after the commit (no database access there)."""

    summary: LeadsSummary
    channel: str
    facilitator: str
    session_channel: str
    session_thread_ts: str | None
    is_dm: bool
    when: str
    locale: str = "en"


def prepare(
    deps: Deps, uow: UnitOfWork, session: Session, answers: Mapping[str, Answer], now: datetime
) -> LeadsPost | None:
    """The post for the leads channel, or None when no leads channel is set."""
    channel = leads_channel(uow.workspaces.get(session.workspace_id), deps)
    if channel is None:
        return None
    return LeadsPost(
        summary=summary_for_session(deps, uow, session, answers),
        channel=channel,
        facilitator=session.facilitator_id,
        session_channel=session.channel_id,
        session_thread_ts=session.thread_ts,
        is_dm=session.is_dm,
        when=local_time(deps, now),
        locale=session.locale,
    )


def thread_permalink(client: WebClient, channel: str, thread_ts: str | None, is_dm: bool) -> str | None:
    """A link to the session's thread; none for a DM session (leads could not open it anyway)."""
    if is_dm or thread_ts is None:
        return None
    try:
        link = client.chat_getPermalink(channel=channel, message_ts=thread_ts).get("permalink")
    except SlackApiError as error:
        log.warning("no permalink for %s/%s: %s", channel, thread_ts, error.response.get("error"))
        return None
    return str(link) if link else None


def deliver(client: WebClient, post: LeadsPost) -> None:
    """Post the summary to the leads channel: the first 50 blocks as a message, the rest in its thread."""
    permalink = thread_permalink(client, post.session_channel, post.session_thread_ts, post.is_dm)
    content = leads_summary_blocks(
        post.summary, facilitator=post.facilitator, when=post.when, permalink=permalink, locale=post.locale
    )
    fallback = clip(content_text(post.summary), 3000)
    thread_ts: str | None = None
    try:
        for message in split_for_leads(content, post.locale):
            response = client.chat_postMessage(
                channel=post.channel,
                thread_ts=thread_ts,
                text=fallback,
                blocks=as_dicts(message),
                unfurl_links=False,
                unfurl_media=False,
            )
            thread_ts = thread_ts or str(response["ts"])
    except SlackApiError as error:
        code = error.response.get("error")
        if code not in _NOT_THERE:
            log.error("could not post the leads summary of session %s: %s", post.summary.session_id, code)
            return
        tell_facilitator(
            client,
            post,
            t("leads_not_in_channel", post.locale, channel=post.channel, session=post.summary.session_id),
        )


def content_text(summary: LeadsSummary) -> str:
    """The notification text, escaped like mrkdwn (Slack parses the top-level text too)."""
    return escape(f"Summary for leads: {summary.problem or summary.title}")


def tell_facilitator(client: WebClient, post: LeadsPost, text: str) -> None:
    """Only the facilitator sees it in a channel (ephemeral, in the thread); in a DM it is a message."""
    try:
        if post.is_dm:
            client.chat_postMessage(channel=post.session_channel, text=text)
        else:
            client.chat_postEphemeral(
                channel=post.session_channel,
                user=post.facilitator,
                thread_ts=post.session_thread_ts,
                text=text,
            )
    except SlackApiError as error:
        log.warning(
            "could not tell %s about the leads channel: %s", post.facilitator, error.response.get("error")
        )


def set_leads_channel(deps: Deps, team_id: str, user_id: str, argument: str) -> str:
    """``/playbook leads [#channel]``: show or set where summaries go. Once leads are named in the
    workspace settings, only a lead may change it."""
    with deps.uow() as uow:
        workspace = uow.workspaces.get_or_create(team_id)
        if not argument:
            current = leads_channel(workspace, deps)
            uow.commit()
            return t("leads_channel_current", channel=current) if current else t("leads_channel_none")
        match = _CHANNEL_REF.match(argument.strip())
        if match is None:
            return t("leads_channel_expected")
        if roles.lead_ids(workspace) and not roles.is_lead(workspace, user_id):
            return t("leads_channel_only_leads")
        channel = match.group(1) or match.group(2)
        workspace.leads_channel = channel
        uow.commit()
    return t("leads_channel_set", channel=channel)

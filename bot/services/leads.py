"""Leads: the summary posted to the leads channel when a session completes, and where it goes.

:func:`prepare` runs inside the completing reply's unit of work and reads everything the post needs
(this session and every other session on the same problem); :func:`messages` turns it into posts
after the commit, with a permalink to the session's thread. If the bot is not in the leads channel the
facilitator is told how to invite it; any other failure is logged and never undoes the session.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import Ephemeral, Outgoing, Post, Shown
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import NotAllowed
from bot.mrkdwn import escape
from bot.request import Caller
from bot.services.language import person_locale
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.common import clip
from bot.views.leads import leads_summary_blocks, split_for_leads
from flows.commands import channel_ref
from flows.engine import Answer
from flows.i18n import t
from flows.leads_summary import CostSettings, LeadsSummary, SessionAnswers, build_leads_summary
from flows.schema import TemplateNotFound, get_template
from storage.models import Session
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.leads")


def latest_answers(uow: UnitOfWork, session_id: int) -> dict[str, Answer]:
    return {
        key: Answer(row.value, row.skipped, row.author_id)
        for key, row in uow.answers.latest(session_id).items()
    }


def cost_settings(settings: EffectiveSettings) -> CostSettings:
    return CostSettings(
        hourly_rate_default=settings.hourly_rate,
        weeks_per_year=settings.weeks_per_year,
        working_day_hours=settings.working_day_hours,
    )


def summary_for_session(
    uow: UnitOfWork,
    session: Session,
    settings: EffectiveSettings,
    answers: Mapping[str, Answer] | None = None,
) -> LeadsSummary:
    """The leads summary of ``session`` with every other session on its problem (newest first)."""
    template = get_template(session.template_id)
    main = SessionAnswers(
        session.id, template, answers if answers is not None else latest_answers(uow, session.id)
    )
    related: list[SessionAnswers] = []
    if session.problem_id is not None:
        for other in uow.sessions.on_problem(
            session.workspace_id, session.problem_id, newest_first=True, with_cancelled=False
        ):
            if other.id == session.id:
                continue
            try:
                other_template = get_template(other.template_id)
            except TemplateNotFound:
                continue
            related.append(SessionAnswers(other.id, other_template, latest_answers(uow, other.id)))
    return build_leads_summary(main, related, costs=cost_settings(settings), locale=session.locale)


@dataclass(frozen=True)
class LeadsPost:
    """Everything :func:`messages` needs after the commit (no database access there)."""

    summary: LeadsSummary
    channel: str
    facilitator: str
    session_channel: str
    session_thread_ts: str | None
    is_dm: bool
    when: str
    locale: str = "en"


def prepare(
    uow: UnitOfWork,
    session: Session,
    answers: Mapping[str, Answer],
    now: datetime,
    settings: EffectiveSettings,
) -> LeadsPost | None:
    """The post for the leads channel, or None when no leads channel is set."""
    if settings.leads_channel is None:
        return None
    return LeadsPost(
        summary=summary_for_session(uow, session, settings, answers),
        channel=settings.leads_channel,
        facilitator=session.facilitator_id,
        session_channel=session.channel_id,
        session_thread_ts=session.thread_ts,
        is_dm=session.is_dm,
        when=local_time(settings, now, session.locale),
        locale=session.locale,
    )


def messages(directory: Directory, post: LeadsPost) -> list[Outgoing]:
    """The leads posts: the first 50 blocks as a message, the rest in its thread. A link to the
    session's thread, except for a DM session (leads could not open it anyway)."""
    permalink = (
        None
        if post.is_dm or post.session_thread_ts is None
        else directory.permalink(post.session_channel, post.session_thread_ts)
    )
    content = leads_summary_blocks(
        post.summary, facilitator=post.facilitator, when=post.when, permalink=permalink, locale=post.locale
    )
    fallback = clip(
        escape(t("leads_fallback", post.locale, problem=post.summary.problem or post.summary.title)), 3000
    )
    not_there_text = t(
        "leads_not_in_channel", post.locale, channel=post.channel, session=post.summary.session_id
    )
    tell_facilitator: Ephemeral | Post
    if post.is_dm:
        tell_facilitator = Post(channel=post.session_channel, text=not_there_text, best_effort=True)
    else:
        tell_facilitator = Ephemeral(
            channel=post.session_channel,
            user=post.facilitator,
            thread_ts=post.session_thread_ts,
            text=not_there_text,
            best_effort=True,
        )
    posts: list[Outgoing] = []
    for number, message in enumerate(split_for_leads(content, post.locale)):
        posts.append(
            Post(
                channel=post.channel,
                text=fallback,
                blocks=delivery.as_dicts(message),
                reply_to_previous=number > 0,
                # The leads post never undoes the session: a failure is logged (or the facilitator told).
                best_effort=True,
                if_not_there=tell_facilitator if number == 0 else None,
            )
        )
    return posts


def leads_command(deps: Deps, client: WebClient, caller: Caller, argument: str) -> Shown:
    """``/playbook leads [#channel]``: show or set where summaries go. Once leads are named in the
    workspace settings, only a lead may change it."""
    with deps.uow() as uow:
        settings = settings_for(deps, uow, caller.team_id)
        locale = person_locale(uow, caller.team_id, caller.user_id)
        if not argument:
            current = settings.leads_channel
            return Shown(
                ack=t("leads_channel_current", locale, channel=current)
                if current
                else t("leads_channel_none", locale)
            )
        channel = channel_ref(argument)
        if channel is None:
            return Shown(ack=t("leads_channel_expected", locale))
        if settings.lead_ids and not settings.is_lead(caller.user_id):
            raise NotAllowed(t("leads_channel_only_leads", locale))
        uow.workspaces.change_settings(caller.team_id, leads_channel=channel)
        uow.commit()
    return Shown(ack=t("leads_channel_set", locale, channel=channel))

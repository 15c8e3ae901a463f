"""Leads: the summary posted to the leads channel when a session completes, and where it goes.

:func:`prepare` runs inside the completing reply's unit of work and reads everything the post needs
(this session and every other session on the same problem); :func:`messages` turns it into posts
after the commit, with a permalink to the session's thread. If the bot is not in the leads channel the
facilitator is told how to invite it; any other failure is logged and never undoes the session.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import Ephemeral, Outgoing, Post, Shown
from bot.deps import Deps
from bot.directory import Directory
from bot.mrkdwn import escape, mention
from bot.request import Caller
from bot.services import workspace
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.common import clip
from bot.views.leads import leads_summary_blocks, split_for_leads
from flows.commands import channel_ref, user_ref
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
    related_from: Collection[str] | None = None,
) -> LeadsSummary:
    """The leads summary of ``session`` with every other session on its problem (newest first); with
    ``related_from``, only the other sessions run in those channels (what may be shown where the
    summary goes)."""
    template = get_template(session.template_id)
    main = SessionAnswers(
        session.id, template, answers if answers is not None else latest_answers(uow, session.id)
    )
    related: list[SessionAnswers] = []
    if session.problem_id is not None:
        for other in uow.sessions.on_problem(
            session.workspace_id, session.problem_id, newest_first=True, with_cancelled=False
        ):
            if other.id == session.id or (related_from is not None and other.channel_id not in related_from):
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
    # False when a lead (not an admin) chose the leads channel: then a session run in a private
    # channel or a DM is not summarised there (checked with Slack after the commit).
    channel_for_private: bool = True


def prepare(
    uow: UnitOfWork,
    session: Session,
    answers: Mapping[str, Answer],
    now: datetime,
    settings: EffectiveSettings,
) -> LeadsPost | None:
    """The post for the leads channel, or None when no leads channel is set. To a leads channel a lead
    chose, the summary takes nothing from sessions in other conversations (they may be private)."""
    if settings.leads_channel is None:
        return None
    related_from = None if settings.leads_channel_for_private else {session.channel_id}
    return LeadsPost(
        summary=summary_for_session(uow, session, settings, answers, related_from=related_from),
        channel=settings.leads_channel,
        facilitator=session.facilitator_id,
        session_channel=session.channel_id,
        session_thread_ts=session.thread_ts,
        is_dm=session.is_dm,
        when=local_time(settings, now),
        locale=session.locale,
        channel_for_private=settings.leads_channel_for_private,
    )


def _private_to_that_channel(directory: Directory, post: LeadsPost) -> bool:
    """Whether the session ran somewhere its summary may not be taken to a leads channel that no admin
    chose: a DM, or a channel that is not public."""
    if post.channel_for_private:
        return False
    return post.is_dm or not directory.channel_access(post.session_channel).is_public


def messages(directory: Directory, post: LeadsPost) -> list[Outgoing]:
    """The leads posts: the first 50 blocks as a message, the rest in its thread. A link to the
    session's thread, except for a DM session (leads could not open it anyway). Nothing, and the
    facilitator is told why, for a private session when no admin chose the leads channel."""
    if _private_to_that_channel(directory, post):
        log.warning(
            "summary of session %s not posted: private, and no admin chose the leads channel",
            post.summary.session_id,
        )
        held = t("leads_private_held", post.locale, channel=post.channel, session=post.summary.session_id)
        return [_tell_facilitator(post, held)]
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
    tell_facilitator = _tell_facilitator(post, not_there_text)
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


def _tell_facilitator(post: LeadsPost, text: str) -> Ephemeral | Post:
    """A word for the facilitator about the leads post: in the DM it ran in, or privately in its thread."""
    if post.is_dm:
        return Post(channel=post.session_channel, text=text, best_effort=True)
    return Ephemeral(
        channel=post.session_channel,
        user=post.facilitator,
        thread_ts=post.session_thread_ts,
        text=text,
        best_effort=True,
    )


def leads_command(deps: Deps, client: WebClient, caller: Caller, argument: str) -> Shown:
    """``/playbook leads [#channel]``: show or set where summaries go (a workspace admin or owner, or a
    lead); ``leads add|remove @person`` and ``leads list``: name the leads (admins and owners)."""
    action, _, person = argument.partition(" ")
    if action.lower() in ("add", "remove"):
        user_id = user_ref(person)
        if user_id is None:
            return Shown(ack=t("leads_person_expected", action=action.lower()))
        if action.lower() == "add":
            before, after = workspace.change_leads(deps, client, caller, add=user_id)
            key = "leads_added" if after != before else "leads_already"
        else:
            before, after = workspace.change_leads(deps, client, caller, remove=user_id)
            key = "leads_removed" if after != before else "leads_not_a_lead"
        return Shown(ack=t(key, user=mention(user_id)))
    if action.lower() == "list" and not person:
        leads = workspace.lead_ids(deps, client, caller)
        if not leads:
            return Shown(ack=t("leads_list_none"))
        return Shown(ack=t("leads_list", leads=", ".join(mention(u) for u in leads)))
    if not argument:
        with deps.uow() as uow:
            current = settings_for(deps, uow, caller.team_id).leads_channel
        return Shown(ack=t("leads_channel_current", channel=current) if current else t("leads_channel_none"))
    channel = channel_ref(argument)
    if channel is None:
        return Shown(ack=t("leads_channel_expected"))
    workspace.change_settings(deps, client, caller, leads_channel=channel)
    return Shown(ack=t("leads_channel_set", channel=channel))

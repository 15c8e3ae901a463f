"""Leads: the summary posted to the leads channel when a session completes, where it goes, and keeping
it right afterwards.

:func:`prepare` runs inside the completing reply's unit of work and reads everything the post needs
(the problem's report: this session and every other session on the same problem, and every stored
intervention); :func:`messages` turns it into posts, queued in the outbox in that same transaction,
with a link to the session's thread resolved when the post is sent. Where the post landed is recorded
when Slack has it (the outbox's sender, for a post whose ``role`` is :data:`LEADS_ROLE`), so that a
change made after the session completed — a classification changed, an answer edited — updates the
posted message (:func:`refresh` inside the change's unit of work, :func:`updates` after it). If the
bot is not in the leads channel the facilitator is told how to invite it; any other failure is logged
and never undoes the session.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import LEADS_ROLE, Ephemeral, MessageRef, Outgoing, Post, Shown, Update
from bot.deps import Deps
from bot.directory import Directory
from bot.mrkdwn import escape, mention
from bot.request import Caller
from bot.services import workspace
from bot.services.language import person_locale
from bot.services.workspace import EffectiveSettings, local_time, settings_for
from bot.views.common import clip
from bot.views.leads import leads_summary_blocks, split_for_leads
from flows.commands import LEADS_ACTIONS, channel_ref, user_ref
from flows.engine import Answer
from flows.i18n import t
from flows.report import (
    FORMER_PARTICIPANT_ID,
    CostSettings,
    ProblemReport,
    ReportInputs,
    SessionAnswers,
    StoredIntervention,
    build_report,
)
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
    """The workspace's own hourly rate and weeks a year where it set them (else the environment's)."""
    return CostSettings(
        hourly_rate_default=settings.hourly_rate,
        weeks_per_year=settings.weeks_per_year,
        working_day_hours=settings.working_day_hours,
    )


def report_inputs(
    uow: UnitOfWork,
    session: Session,
    settings: EffectiveSettings,
    answers: Mapping[str, Answer] | None = None,
    related_from: Collection[str] | None = None,
) -> ReportInputs:
    """What the report of ``session``'s problem is built from: its answers (``answers`` when the caller
    holds newer ones than are stored), every other live session on the problem (newest first; with
    ``related_from``, only those run in these channels — what may be shown where the report goes),
    and the interventions stored for all of them. Names are added by the caller (see
    :func:`with_names`)."""
    main = SessionAnswers(
        session.id,
        get_template(session.template_id),
        answers if answers is not None else latest_answers(uow, session.id),
    )
    sessions = [main]
    if session.problem_id is not None:
        for other in uow.sessions.on_problem(
            session.workspace_id, session.problem_id, newest_first=True, with_cancelled=False
        ):
            if other.id == session.id or (related_from is not None and other.channel_id not in related_from):
                continue
            try:
                template = get_template(other.template_id)
            except TemplateNotFound:
                continue
            sessions.append(SessionAnswers(other.id, template, latest_answers(uow, other.id)))
    interventions = [
        StoredIntervention(
            session_id=item.session_id,
            what=item.what,
            owner_id=item.owner_id,
            first_checkin=item.first_due,
            cadence=item.cadence,
            source_item=item.source_item,
            status=item.status,
            progress=item.progress,
        )
        for one in sessions
        for item in uow.checkins.for_session(session.workspace_id, one.session_id)
    ]
    return ReportInputs(
        sessions=sessions,
        interventions=interventions,
        costs=cost_settings(settings),
        locale=session.locale,
        problem_id=session.problem_id,
    )


def report_for_session(
    uow: UnitOfWork,
    session: Session,
    settings: EffectiveSettings,
    answers: Mapping[str, Answer] | None = None,
    related_from: Collection[str] | None = None,
) -> ProblemReport:
    """The report of ``session``'s problem, for Slack (people shown as mentions, so no names needed);
    ``related_from`` as in :func:`report_inputs`."""
    return build_report(report_inputs(uow, session, settings, answers, related_from))


def display_names(directory: Directory, user_ids: Collection[str]) -> dict[str, str]:
    """Names for files (``users.info``), asked outside any transaction; someone Slack cannot name
    is left out (the report calls them someone no longer in the workspace)."""
    return {
        user_id: name
        for user_id in sorted(user_ids)
        if user_id != FORMER_PARTICIPANT_ID and (name := directory.display_name(user_id))
    }


@dataclass(frozen=True)
class LeadsPost:
    """Everything :func:`messages` needs after the commit (no database access there)."""

    report: ProblemReport
    team_id: str
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


def _post_for(
    uow: UnitOfWork,
    session: Session,
    settings: EffectiveSettings,
    when: str,
    channel: str,
    answers: Mapping[str, Answer] | None = None,
    *,
    channel_for_private: bool = True,
) -> LeadsPost:
    """The post about ``session`` for ``channel``. To a channel that may not take private sessions'
    summaries (a lead chose it), the report takes nothing from sessions in other conversations."""
    related_from = None if channel_for_private else {session.channel_id}
    return LeadsPost(
        report=report_for_session(uow, session, settings, answers, related_from),
        team_id=session.workspace_id,
        channel=channel,
        facilitator=session.facilitator_id,
        session_channel=session.channel_id,
        session_thread_ts=session.thread_ts,
        is_dm=session.is_dm,
        when=when,
        locale=session.locale,
        channel_for_private=channel_for_private,
    )


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
    return _post_for(
        uow,
        session,
        settings,
        local_time(settings, now, session.locale),
        settings.leads_channel,
        answers,
        channel_for_private=settings.leads_channel_for_private,
    )


@dataclass(frozen=True)
class _Rendered:
    """A leads post as Slack messages: the fallback text, the parts (the first 50 blocks, then the rest
    for its thread), and the session's thread the first part links to (resolved when it is sent)."""

    fallback: str
    parts: list[list[dict[str, object]]]
    link_of: MessageRef | None


def _rendered(post: LeadsPost) -> _Rendered:
    """The one builder of a leads post's content, for its first posting and every later update."""
    thread = _thread_of(post)
    content = leads_summary_blocks(
        post.report,
        facilitator=post.facilitator,
        when=post.when,
        permalink=delivery.PERMALINK_SLOT if thread is not None else None,
        locale=post.locale,
    )
    fallback = clip(
        escape(t("leads_fallback", post.locale, problem=post.report.problem or post.report.title)), 3000
    )
    parts = [delivery.as_dicts(message) for message in split_for_leads(content, post.locale)]
    return _Rendered(fallback, parts, thread)


def _link(rendered: _Rendered, blocks: list[dict[str, object]]) -> MessageRef | None:
    """The thread a part links to, if its blocks hold the link."""
    return rendered.link_of if delivery.PERMALINK_SLOT in json.dumps(blocks) else None


def _thread_of(post: LeadsPost) -> MessageRef | None:
    """The session's thread, which the post links to (not for a DM session: leads could not open it)."""
    if post.is_dm or post.session_thread_ts is None:
        return None
    return MessageRef(channel=post.session_channel, ts=post.session_thread_ts)


def messages(post: LeadsPost) -> list[Outgoing]:
    """The leads posts: the first 50 blocks as a message, the rest in its thread. A link to the
    session's thread, resolved when the post is sent (``Post.permalink_of``). To a leads channel no
    admin chose, a private session's summary is held and the facilitator told why: at once for a DM
    session; for a channel, when it is sent (``Post.only_if_public``: whether the channel is public is
    Slack's to say, and never asked while the answer's transaction is open)."""
    held = _tell_facilitator(
        post, t("leads_private_held", post.locale, channel=post.channel, session=post.report.session_id)
    )
    if not post.channel_for_private and post.is_dm:
        log.warning(
            "summary of session %s not posted: a DM session, and no admin chose the leads channel",
            post.report.session_id,
        )
        return [held]
    guard = None if post.channel_for_private else post.session_channel
    rendered = _rendered(post)
    not_there_text = t(
        "leads_not_in_channel", post.locale, channel=post.channel, session=post.report.session_id
    )
    tell_facilitator = _tell_facilitator(post, not_there_text)
    return [
        Post(
            channel=post.channel,
            text=rendered.fallback,
            blocks=blocks,
            reply_to_previous=number > 0,
            # The leads post never undoes the session: a failure is logged (or the facilitator told).
            best_effort=True,
            if_not_there=tell_facilitator if number == 0 else None,
            permalink_of=_link(rendered, blocks),
            # Where the first part lands is recorded, so that later changes update it.
            role=LEADS_ROLE if number == 0 else None,
            only_if_public=guard if number == 0 else None,
            if_private=held if number == 0 and guard is not None else None,
        )
        for number, blocks in enumerate(rendered.parts)
    ]


@dataclass(frozen=True)
class LeadsRefresh:
    """A posted leads message to bring up to date, read inside the change's unit of work."""

    post: LeadsPost
    ts: str


def refresh(
    uow: UnitOfWork, session: Session, settings: EffectiveSettings, now: datetime
) -> list[LeadsRefresh]:
    """Every posted leads message about ``session``'s problem, rebuilt from the answers as they are now
    (call after the change is added, before the commit)."""
    uow.flush()
    ids = [session.id]
    if session.problem_id is not None:
        ids = [s.id for s in uow.sessions.on_problem(session.workspace_id, session.problem_id)]
    found = []
    for posted in uow.leads_posts.for_sessions(session.workspace_id, ids):
        owner = (
            session
            if posted.session_id == session.id
            else uow.sessions.get(session.workspace_id, posted.session_id)
        )
        if owner is None:
            continue
        post = _post_for(
            uow,
            owner,
            settings,
            local_time(settings, now, owner.locale),
            posted.channel_id,
            channel_for_private=settings.leads_channel_for_private
            or posted.channel_id != settings.leads_channel,
        )
        found.append(LeadsRefresh(post=post, ts=posted.ts))
    return found


def updates(refreshes: Sequence[LeadsRefresh]) -> list[Update]:
    """``chat.update`` of each posted leads message (its first part) with the report as it is now, for
    the outbox in the change's transaction: its link to the session's thread is resolved when sent."""
    out: list[Update] = []
    for item in refreshes:
        rendered = _rendered(item.post)
        first = rendered.parts[0]
        out.append(
            Update(
                channel=item.post.channel,
                ts=item.ts,
                text=rendered.fallback,
                blocks=first,
                best_effort=True,
                permalink_of=_link(rendered, first),
            )
        )
    return out


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
    lead); ``leads add|remove @person`` and ``leads list``: name the leads (admins and owners). The
    Welsh words work too (``arweinwyr ychwanegu|tynnu @person``, ``arweinwyr rhestr``)."""
    with deps.uow() as uow:
        locale = person_locale(uow, caller.team_id, caller.user_id)
    word, _, person = argument.partition(" ")
    action = LEADS_ACTIONS.get(word.lower(), word.lower())
    if action in ("add", "remove"):
        user_id = user_ref(person)
        if user_id is None:
            return Shown(ack=t("leads_person_expected", locale, action=escape(word.lower()[:20])))
        if action == "add":
            before, after = workspace.change_leads(deps, client, caller, add=user_id)
            key = "leads_added" if after != before else "leads_already"
        else:
            before, after = workspace.change_leads(deps, client, caller, remove=user_id)
            key = "leads_removed" if after != before else "leads_not_a_lead"
        return Shown(ack=t(key, locale, user=mention(user_id, locale)))
    if action == "list" and not person:
        leads = workspace.lead_ids(deps, client, caller)
        if not leads:
            return Shown(ack=t("leads_list_none", locale))
        return Shown(ack=t("leads_list", locale, leads=", ".join(mention(u, locale) for u in leads)))
    if not argument:
        with deps.uow() as uow:
            current = settings_for(deps, uow, caller.team_id).leads_channel
        return Shown(
            ack=t("leads_channel_current", locale, channel=current)
            if current
            else t("leads_channel_none", locale)
        )
    channel = channel_ref(argument)
    if channel is None:
        return Shown(ack=t("leads_channel_expected", locale))
    workspace.change_settings(deps, client, caller, leads_channel=channel)
    return Shown(ack=t("leads_channel_set", locale, channel=channel))

"""Running a session: starting it, applying each reply (typed or clicked), pausing and resuming.

One unit of work per reply: load the session, derive its position once, apply the reply through the
flow engine, store the answer and what comes next (a notice, the next question, or the completion,
summary and leads post) in the outbox, commit; the queued ids are returned to be sent. Nothing is
posted for a change that did not commit, and nothing a committed change owes is lost: a retried event
finds its answer stored and only sends what the session still owes. Slack is never called while the
transaction is open: whether someone new is in the channel is asked first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import delivery
from bot.codec import AnswerValue
from bot.delivery import FileUpload, Outgoing, Post, Queue, Shown, Update, Upload
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import BotNotInChannel, NotAllowed, PlaybookError, SessionNotFound
from bot.request import Caller
from bot.services import access, answered, checkins, language, leads, learning, safeguards, similar
from bot.services.workspace import EffectiveSettings, local_time, reply_context, settings_for
from bot.views.anchor import Anchor, anchor_message
from bot.views.common import notice_blocks, split_messages
from bot.views.prompt import (
    answered_context,
    answered_fallback,
    prompt_blocks,
    prompt_fallback_text,
    replace_actions,
)
from bot.views.summary import summary_blocks
from flows import charts, engine, policy, team, words
from flows.engine import Answer, Outcome, Prompt, ReplyContext
from flows.i18n import DEFAULT_LOCALE, t
from flows.report import CostReport, ProblemReport
from flows.schema import Template, get_template
from flows.summary import build_summary
from flows.words import Command
from storage.models import Role, Session, SessionStatus, StoredAnswer
from storage.uow import DatabaseUnavailable, UnitOfWork

log = logging.getLogger("playbook.conversation")


def to_engine_answers(rows: Mapping[str, StoredAnswer]) -> dict[str, Answer]:
    return {key: Answer(row.value, row.skipped, row.author_id) for key, row in rows.items()}


def people_of(session: Session) -> policy.SessionPeople:
    return policy.SessionPeople(
        facilitator_id=session.facilitator_id,
        facilitators=frozenset(p.user_id for p in session.participants if p.role == Role.FACILITATOR),
        participants=frozenset(p.user_id for p in session.participants),
        is_dm=session.is_dm,
    )


@dataclass(frozen=True)
class Place:
    """Where a session's messages go."""

    channel: str
    thread_ts: str | None

    @classmethod
    def of(cls, session: Session) -> Place:
        return cls(session.channel_id, None if session.is_dm else session.thread_ts)

    def post(self, text: str, blocks: list[Block] | None = None, *, best_effort: bool = False) -> Post:
        return delivery.post(self.channel, text, blocks, thread_ts=self.thread_ts, best_effort=best_effort)


def load_session(uow: UnitOfWork, team_id: str, session_id: int, *, for_update: bool = True) -> Session:
    session = uow.sessions.get(team_id, session_id, for_update=for_update)
    if session is None:
        log.warning("refused: session %s is not in workspace %s", session_id, team_id)
        raise SessionNotFound(t("unknown_session", session=session_id))
    return session


def next_prompt_for(
    session: Session, template: Template, answers: Mapping[str, Answer], user_id: str, ctx: ReplyContext
) -> Prompt | None:
    """The next question: in a team thread with a collaborative list open, what ``user_id`` is asked
    (their own item, or the invitation to add one; see flows/team.py), else the session's next one."""
    if not session.is_dm:
        return team.prompt_for(template, answers, user_id, session.facilitator_id, ctx)
    return engine.current_prompt(
        template, answers, ctx.locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
    )


def summary_for(
    uow: UnitOfWork,
    session: Session,
    template: Template,
    answers: Mapping[str, Answer],
    now: datetime,
    ctx: ReplyContext,
    settings: EffectiveSettings,
) -> list[Block]:
    """The thread's summary; its figures come from the problem's report, as in every other output."""
    return _summary_and_report(uow, session, template, answers, now, ctx, settings)[0]


def _summary_and_report(
    uow: UnitOfWork,
    session: Session,
    template: Template,
    answers: Mapping[str, Answer],
    now: datetime,
    ctx: ReplyContext,
    settings: EffectiveSettings,
) -> tuple[list[Block], ProblemReport]:
    report = leads.report_for_session(uow, session, settings, answers)
    summary = build_summary(template, answers, session.locale, context=ctx, report=report)
    return summary_blocks(
        summary,
        session_id=session.id,
        facilitator=session.facilitator_id,
        when=local_time(settings, now, session.locale),
        locale=session.locale,
    ), report


# --- starting ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    session_id: int
    template: Template
    place: Place
    # The language of the person who started it (read with the rest): what they are answered in.
    starter_locale: str = DEFAULT_LOCALE


def start_session(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    user_id: str,
    channel_id: str,
    in_dm: bool,
    template_id: str,
    problem_statement: str | None,
    problem_id: int | None = None,
    source_link: str | None = None,
) -> Started:
    """Create the session and queue its anchor (in a channel), introduction and first question in
    the same transaction; after the commit send them. The anchor's ts becomes the session's thread when
    Slack has it (``delivery``); if Slack refuses it (the bot is not in the channel) the session is
    cancelled and the person told. With ``problem_id`` the session joins that problem and its statement
    answers the template's problem question."""
    template = get_template(template_id)
    if problem_id is not None:
        problem_statement = problem_statement_of(deps, team_id, problem_id)
    # A typed statement that looks like personal data is held for keep-or-redact (services/safeguards.py).
    held = problem_statement if problem_id is None and safeguards.looks_personal(problem_statement) else None
    if held is not None:
        problem_statement = None
    # Slack first (the app's DM is opened before the transaction, never while it holds the database).
    channel = delivery.open_dm(client, user_id) if in_dm else channel_id
    now = deps.clock.now()
    locale = DEFAULT_LOCALE  # until read with everything else: what a failure is told in if it comes first
    try:
        with deps.uow() as uow:
            # Held while the transaction lasts: the settings read below find it loaded (the ORM keeps
            # only objects something refers to).
            _held = uow.workspaces.get_or_create(team_id)
            starter_locale = language.person_locale(uow, team_id, user_id)
            locale = language.session_locale(
                uow, team_id, user_id, in_dm=in_dm, facilitator_locale=starter_locale
            )
            if problem_id is None and problem_statement:
                problem_id = uow.problems.add(team_id, problem_statement.strip()[:3000], user_id).id
            session = uow.sessions.add(
                Session(
                    workspace_id=team_id,
                    problem_id=problem_id,
                    template_id=template.id,
                    status=SessionStatus.ACTIVE,
                    facilitator_id=user_id,
                    channel_id=channel,
                    thread_ts=None,
                    is_dm=in_dm,
                    locale=locale,
                    created_at=now,
                    updated_at=now,
                    participants=[],  # a new session has nobody yet: nothing to load
                )
            )
            uow.sessions.add_participant(session, user_id, Role.FACILITATOR)
            notice = None
            if held is not None:
                notice = safeguards.hold_statement(
                    uow, session, template, user_id=user_id, statement=held, now=now
                )
            versions: dict[str, int] = {}  # a new session's answers: none yet
            prefilled = engine.prefill_changes(template, problem_statement)
            for change in prefilled:
                stored = uow.answers.add_version(
                    session.id,
                    change.key,
                    value=change.value,
                    author_id=user_id,
                    raw_text=str(change.value),
                    current_versions=versions,
                    versions_complete=True,
                )
                versions[change.key] = stored.version
            # What was just stored is all the new session has: its answers need no reading back.
            answers = engine.with_changes({}, prefilled, user_id)
            ctx = reply_context(deps, settings_for(deps, uow, team_id), locale)
            prompt = next_prompt_for(session, template, answers, user_id, ctx)
            queue = Queue(uow, team_id, now, hold=True)
            if not in_dm:
                anchor = Anchor(
                    template.title.get(locale), user_id, problem_statement, source_link=source_link
                )
                anchor_text, anchor_blocks = anchor_message(replace(anchor, session_id=session.id), locale)
                queue.anchor(
                    session, Post(channel=channel, text=anchor_text, blocks=delivery.as_dicts(anchor_blocks))
                )
            intro = template.intro.get(locale)
            content: list[Block] = notice_blocks(intro) + notice_blocks(t("privacy_reminder", locale))
            if notice is not None:
                content += notice_blocks(notice)
            if prompt is not None:
                content += prompt_blocks(prompt, session.id, locale=locale)
            queue.add(Place(channel, None).post(intro, content), session)
            uow.commit()
            session_id = session.id
    except DatabaseUnavailable as down:
        log.warning("session not started: the database did not answer (%s)", down)
        raise PlaybookError(t("start_failed_try_again", locale)) from down
    flushed = delivery.send_queued(deps, client, queue.ids, held=queue.held)
    if flushed.dead_anchors:
        raise BotNotInChannel(t("bot_not_in_channel", locale))
    return Started(session_id, template, Place(channel, None), starter_locale)


def problem_statement_of(deps: Deps, team_id: str, problem_id: int) -> str:
    with deps.uow() as uow:
        problem = uow.problems.get(team_id, problem_id)
        if problem is None:
            raise SessionNotFound(t("problem_not_found", problem=problem_id))
        return problem.statement


# --- replies -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Something a person said to a session: typed in the thread/DM or clicked as a button."""

    team_id: str
    user_id: str
    text: str
    # For a button: the prompt it belonged to; a stale click (already answered) changes nothing.
    expected_key: str | None = None
    # In a channel thread: whether someone not yet taking part is in the channel (None: not asked).
    in_channel: bool | None = None


@dataclass(frozen=True)
class Result:
    session_id: int
    place: Place
    outcome: Outcome | None
    notice: str | None = None
    summary: list[Block] | None = None
    completion_text: str | None = None
    locale: str = "en"
    # Set when a session completes and the workspace has a leads channel.
    leads_post: leads.LeadsPost | None = None
    # Set when a session that costs the problem completes: its chart follows the summary.
    costs: CostReport | None = None
    # Set when the problem was answered in a channel thread: the anchor, updated to name it.
    anchor: Update | None = None
    # The words stored as the answer (after screening), when the reply answered a question.
    said: str | None = None
    # In a team list: the questions the reply answered (each person has their own question there, so
    # the thread's latest may be someone else's).
    answered: tuple[str, ...] | None = None


class _MembershipNeeded(Exception):
    """Raised (before anything is written) when a reply comes from someone new in a channel thread:
    the caller asks Slack, outside the transaction, and tries again."""


def apply(deps: Deps, uow: UnitOfWork, session: Session, reply: Reply) -> Result:
    """Apply a reply inside the caller's unit of work; the caller queues :func:`outgoing` of the
    result (:func:`queue_result`) and commits."""
    place = Place.of(session)
    locale = session.locale
    if session.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED):
        return Result(
            session.id, place, None, notice=t("already_complete", locale) if reply.expected_key else None
        )
    people = people_of(session)
    if policy.needs_membership_check(people, reply.user_id) and reply.in_channel is None:
        raise _MembershipNeeded
    if not policy.may_join(people, reply.user_id, reply.in_channel):
        raise NotAllowed(t("only_participants", locale))
    if not session.is_dm:
        uow.sessions.add_participant(session, reply.user_id)
    template = get_template(session.template_id)
    # Every key's latest version, retractions included: the versions the new answer follows (_store).
    rows = uow.answers.latest_with_retracted(session.id)
    answers = to_engine_answers({key: row for key, row in rows.items() if not row.retracted})
    now = deps.clock.now()
    settings = settings_for(deps, uow, session.workspace_id)
    ctx = learning.with_learning(
        reply_context(deps, settings, locale), uow, session, deps.learned, deps.decided
    )
    ctx = replace(ctx, author=reply.user_id)  # "me" names whoever replied
    if session.status == SessionStatus.PAUSED:
        if engine.normalise_command(reply.text) != Command.RESUME:
            # One reply to each message, saying how to carry on (a click on an old button: the notice).
            if reply.expected_key is not None:
                return Result(session.id, place, None, notice=t("paused_reply", locale, session=session.id))
            paused = Outcome(message=t("paused_reply", locale, session=session.id), rejected=True)
            return Result(session.id, place, paused, locale=locale)
        session.status = SessionStatus.ACTIVE
        uow.sessions.touch(session, now)
        prompt = next_prompt_for(session, template, answers, reply.user_id, ctx)
        return Result(session.id, place, Outcome(message=t("resumed", locale), next_prompt=prompt))
    # Where the session stands, derived once from its answers and passed to everything below.
    progress = engine.walk(template, answers)
    screened = safeguards.screen(
        deps, uow, session, progress.current, team_id=reply.team_id, user_id=reply.user_id,
        text=reply.text, typed=reply.expected_key is None,
    )  # fmt: skip
    if screened.text is None:
        outcome = Outcome(message=screened.message, rejected=True) if screened.message else None
        return Result(session.id, place, outcome, locale=locale)
    reply = replace(reply, text=screened.text)
    command = engine.normalise_command(reply.text)
    steers = policy.may_steer(people, settings.lead_ids, reply.user_id)
    if engine.is_cancel_request(answers, reply.text) and not steers:
        refusal = t("cancel_only_steer", locale)
        if reply.expected_key is not None:
            raise NotAllowed(refusal)
        return Result(session.id, place, Outcome(message=refusal, rejected=True), locale=locale)
    collaborative = None if session.is_dm else team.collecting(template, answers, progress)
    waiting = engine.pending_of(answers) is not None
    if collaborative is not None and command not in (Command.PAUSE, Command.CANCEL) and not waiting:
        if (
            reply.expected_key is not None
            and reply.expected_key in answers
            and command not in team.STEER_WORDS
        ):
            # A button of a question already answered (typed, or clicked in another Slack window).
            return Result(session.id, place, None, notice=t("already_answered", locale))
        team_reply = team.TeamReply(
            reply.text, reply.user_id, steers, session.facilitator_id, reply.expected_key
        )
        outcome = team.apply_team_reply(template, answers, team_reply, ctx, progress)
        stored = _store(deps, uow, session, template, answers, rows, reply, outcome, ctx, settings)
        # Each person in a team list has a question of their own: the thread's last one may be
        # someone else's, so a typed answer names the questions it answered (a click replaces its own).
        keys = tuple(c.key for c in outcome.changes if not c.retract)
        return replace(stored, answered=keys if stored.said is not None else None)
    if command == "back" and not session.is_dm:
        refused = team.back_refusal(template, answers, reply.user_id, steers, locale, progress)
        if refused is not None:
            return Result(session.id, place, Outcome(message=refused, rejected=True), locale=locale)
    position = progress.current
    if reply.expected_key is not None and engine.current_key(answers, progress) != reply.expected_key:
        return Result(session.id, place, None, notice=t("already_answered", locale))
    if policy.refuses_facilitator_step(position, reply.text, steers):
        refusal = t("classification_only_steer", locale)
        if reply.expected_key is not None:
            raise NotAllowed(refusal)
        return Result(session.id, place, Outcome(message=refusal, rejected=True), locale=locale)
    outcome = engine.apply_reply(template, answers, reply.text, ctx, progress)
    if not session.is_dm and outcome.next_prompt is not None and outcome.control is None:
        after = engine.with_changes(answers, outcome.changes, reply.user_id)
        if team.collecting(template, after) is not None:
            prompt = next_prompt_for(session, template, after, reply.user_id, ctx)
            outcome = replace(outcome, next_prompt=prompt)
    return _store(deps, uow, session, template, answers, rows, reply, outcome, ctx, settings)


def _store(
    deps: Deps,
    uow: UnitOfWork,
    session: Session,
    template: Template,
    answers: Mapping[str, Answer],
    rows: Mapping[str, StoredAnswer],
    reply: Reply,
    outcome: Outcome,
    ctx: ReplyContext,
    settings: EffectiveSettings,
) -> Result:
    """Store an outcome's changes as new versions by the reply's author, and settle the session.
    ``rows``: every key's latest version, retractions included (numbering needs no query)."""
    place = Place.of(session)
    locale = session.locale
    now = deps.clock.now()
    versions = {key: row.version for key, row in rows.items()}
    for change in outcome.changes:
        stored = uow.answers.add_version(
            session.id,
            change.key,
            value=None if change.retract else change.value,
            author_id=reply.user_id,
            raw_text=None if change.retract else reply.text,
            skipped=change.skipped,
            retracted=change.retract,
            current_versions=versions,
            versions_complete=True,
        )
        # One reply can change a key twice (a waiting question dropped, then asked again about the
        # new answer): each change is the next version.
        versions[change.key] = stored.version
    if outcome.control == "pause":
        session.status = SessionStatus.PAUSED
    if outcome.control == "cancel":  # kept, with its answers, as a cancelled session
        session.status = SessionStatus.CANCELLED
    summary = None
    leads_post = None
    costs = None
    if outcome.completed and outcome.changes:
        session.status = SessionStatus.COMPLETED
        session.completed_at = now
        final = engine.with_changes(answers, outcome.changes, reply.user_id)
        checkins.materialise_interventions(uow, session, final, now, settings)
        summary, report = _summary_and_report(uow, session, template, final, now, ctx, settings)
        leads_post = leads.prepare(uow, session, final, now, settings)
        costs = report.costs if "cost_totals" in template.computed else None
    uow.sessions.touch(session, now)
    completion = template.completion.get(locale) if summary is not None else None
    return Result(
        session.id,
        place,
        outcome,
        summary=summary,
        completion_text=completion,
        locale=locale,
        leads_post=leads_post,
        costs=costs,
        anchor=_anchor_naming_problem(session, template, outcome),
        said=_said(reply, outcome),
    )


def _said(reply: Reply, outcome: Outcome) -> str | None:
    """The answer as shown where its question's buttons were: the words typed, or the person "me"
    named (so everyone sees who, not "me")."""
    if not outcome.changes or outcome.rejected:
        return None
    if any(c.value == reply.user_id for c in outcome.changes) and words.means_me(reply.text):
        return f"<@{reply.user_id}>"
    return reply.text


def _anchor_naming_problem(session: Session, template: Template, outcome: Outcome) -> Update | None:
    """The anchor updated to name the problem, when this reply answered (or changed) it in a thread."""
    problem = next((c.value for c in outcome.changes if c.key == "problem" and not c.retract), None)
    if session.is_dm or session.thread_ts is None or not isinstance(problem, str) or not problem.strip():
        return None
    anchor = Anchor(template.title.get(session.locale), session.facilitator_id, problem, session.id)
    text, blocks = anchor_message(anchor, session.locale)
    return Update(
        channel=session.channel_id,
        ts=session.thread_ts,
        text=text,
        blocks=delivery.as_dicts(blocks),
        best_effort=True,
    )


def outgoing(result: Result) -> list[Outgoing]:
    """What a reply produced: a notice, the next prompt, or the completion and summary (and the
    leads post)."""
    outcome = result.outcome
    locale = result.locale
    if outcome is None:
        return []
    content: list[Block] = []
    text_parts: list[str] = []
    if outcome.message:
        content += notice_blocks(outcome.message)
        text_parts.append(outcome.message)
    if outcome.control == "pause":
        paused = t("paused", locale, session=result.session_id)
        content += notice_blocks(paused)
        return [result.place.post(paused, content)]
    if outcome.control == "cancel":
        return [result.place.post("\n".join(text_parts), content)]
    if outcome.completed and result.summary is not None:
        if result.completion_text:
            content += notice_blocks(result.completion_text)
            text_parts.append(result.completion_text)
        posts: list[Outgoing] = [
            result.place.post(
                (" ".join(text_parts) if number == 0 else "") or t("summary_fallback", locale),
                message,
            )
            for number, message in enumerate(split_messages(content + result.summary))
        ]
        if result.leads_post is not None:
            posts += leads.messages(result.leads_post)
        return posts
    prompt: Prompt | None = outcome.next_prompt
    if prompt is not None:
        content += prompt_blocks(prompt, result.session_id, locale=locale)
        text_parts.append(prompt_fallback_text(prompt))
    if content:
        return [result.place.post("\n".join(text_parts), content)]
    return []


def cost_chart(result: Result) -> Upload | None:
    """The cost-by-bearer chart under a cost summary, its figures in its alt text. It is queued with
    the summary and drawn by the outbox's background sender (never while Slack waits for the ack); a
    courtesy, as the summary already has the figures."""
    if result.costs is None or not result.costs.total or result.summary is None:
        return None
    spec = charts.problem_cost_spec(
        result.costs, filename=f"session-{result.session_id}-cost-by-bearer.png", locale=result.locale
    )
    return Upload(
        channel=result.place.channel,
        thread_ts=result.place.thread_ts,
        files=[
            FileUpload(
                filename=str(spec["filename"]),
                title=charts.spec_title(spec),
                alt_text=charts.spec_alt_text(spec),
                chart=spec,
            )
        ],
        comment=t("chart_summary_comment", result.locale),
        best_effort=True,
    )


def queue_result(deps: Deps, uow: UnitOfWork, session: Session, result: Result, *before: Outgoing) -> Queue:
    """Queue what a reply produced (after ``before``: e.g. the clicked message's update) in the
    reply's own transaction; the caller commits, then returns :meth:`Queue.shown`."""
    queue = Queue(uow, session.workspace_id, deps.clock.now(), hold=True)
    # The anchor's update (the session's state shown on it) goes after the thread's messages; the
    # cost chart aside, as it waits for the background sender to draw it (the thread goes on meanwhile).
    anchor = [result.anchor] if result.anchor is not None else []
    queue.extend([*before, *outgoing(result), *anchor], session)
    chart = cost_chart(result)
    if chart is not None:
        queue.add(chart, session, aside=True)
    return queue


def _find_session_for_message(uow: UnitOfWork, caller: Caller) -> Session | None:
    if caller.is_dm:
        return uow.sessions.open_dm_session(caller.team_id, caller.channel_id, for_update=True)
    if caller.thread_ts is None:
        return None
    return uow.sessions.by_thread(caller.team_id, caller.channel_id, caller.thread_ts, for_update=True)


def _known_member(directory: Directory, caller: Caller) -> bool | None:
    """Whether the caller is in the channel, if Slack said so a moment ago: a reply from someone new
    to the session then needs no second try of its transaction (:class:`_MembershipNeeded`)."""
    if caller.is_dm or not caller.channel_id:
        return None
    return directory.known_member(caller.channel_id, caller.user_id)


def on_message(deps: Deps, client: WebClient, caller: Caller, text: str) -> Shown:
    """A person's message in a session's thread (or in the app's DM): their answer to its question."""
    directory = deps.directory(client, caller.team_id)
    event_id = caller.event_id or f"{caller.channel_id}:{caller.message_ts}"
    in_channel = _known_member(directory, caller)
    for _attempt in range(2):
        try:
            return _on_message(deps, directory, caller, text, event_id, in_channel)
        except _MembershipNeeded:
            in_channel = directory.in_channel(caller.channel_id, caller.user_id)
    raise AssertionError("membership was looked up")  # pragma: no cover


def _on_message(
    deps: Deps, directory: Directory, caller: Caller, text: str, event_id: str, in_channel: bool | None
) -> Shown:
    with deps.uow() as uow:
        session = _find_session_for_message(uow, caller)
        if session is None:
            # Someone writing to the app's DM with nothing running would otherwise hear nothing back.
            hint = caller.is_dm and uow.events.claim(event_id, caller.team_id)
            hint_text = (
                t("start_hint", language.person_locale(uow, caller.team_id, caller.user_id)) if hint else ""
            )
            uow.commit()
            if hint:
                return Shown(messages=[delivery.post(caller.channel_id, hint_text, best_effort=True)])
            return Shown()
        # The claim, the answer and what it owes (the next prompt) commit together: a crash before the
        # commit leaves none of them, so Slack's retry is processed in full; a retry after the commit
        # is recognised here and only sends what the session still owes (never queues it again).
        if not uow.events.claim(event_id, caller.team_id):
            unsent = uow.outbox.unsent_for_session(session.id)
            uow.rollback()
            log.info("retried delivery of %s: %d message(s) still to send", event_id, len(unsent))
            return Shown(queued=unsent)
        reply = Reply(caller.team_id, caller.user_id, text, in_channel=in_channel)
        try:
            result = apply(deps, uow, session, reply)
        except NotAllowed:
            uow.commit()
            return Shown()
        replaced = (
            answered.replace_typed(uow, session, caller.user_id, result.said, result.answered)
            if result.said
            else []
        )
        if result.answered is None:
            queue = queue_result(deps, uow, session, result, *replaced)
        else:
            # A team list's candidate edits (each a Slack read when sent) post nothing: after the
            # next question, which is not kept waiting on them.
            queue = queue_result(deps, uow, session, result)
            queue.extend(replaced, session)
        asking = similar.asking_after(deps, uow, session, result.outcome)
        uow.commit()
    return queue.shown(messages=_seen_elsewhere(directory, asking))


def _seen_elsewhere(directory: Directory, asking: similar.Asking | None) -> list[Outgoing]:
    """A confirmed root cause is followed by the similar ones seen elsewhere in the council: a courtesy
    sent straight after the commit (:func:`delivery.deliver` sends it before what was queued, so the
    next question stays the last message in the thread)."""
    return similar.after_reply(directory, asking)


def on_button(
    deps: Deps, client: WebClient, caller: Caller, value: AnswerValue, message: dict[str, Any]
) -> Shown:
    """A prompt's shortcut button: the same as typing its reply. Once it counts, the buttons on that
    message are replaced by who answered what (queued before the next prompt, in the same order)."""
    directory = deps.directory(client, caller.team_id)
    in_channel = _known_member(directory, caller)
    for _attempt in range(2):
        try:
            notice, shown, asking = _on_button(deps, caller, value, message, in_channel)
            break
        except _MembershipNeeded:
            in_channel = directory.in_channel(caller.channel_id, caller.user_id)
    else:  # pragma: no cover
        raise AssertionError("membership was looked up")
    if notice is not None:
        raise PlaybookError(notice)
    if asking is None:
        return shown
    return shown.model_copy(update={"messages": _seen_elsewhere(directory, asking)})


def _on_button(
    deps: Deps, caller: Caller, value: AnswerValue, message: dict[str, Any], in_channel: bool | None
) -> tuple[str | None, Shown, similar.Asking | None]:
    reply = Reply(caller.team_id, caller.user_id, value.r, expected_key=value.k, in_channel=in_channel)
    with deps.uow() as uow:
        session = load_session(uow, caller.team_id, value.s)
        ensure_same_place(session, caller.channel_id, caller.user_id)
        result = apply(deps, uow, session, reply)
        if result.notice and result.outcome is None:
            uow.commit()
            return result.notice, Shown(), None
        clicked: list[Outgoing] = []
        if (
            result.outcome is not None
            and not result.outcome.rejected
            and caller.channel_id
            and caller.message_ts
        ):
            clicked.append(
                Update(
                    channel=caller.channel_id,
                    ts=caller.message_ts,
                    text=str(message.get("text") or answered_fallback(value.r, result.locale)),
                    blocks=replace_actions(
                        message.get("blocks") or [],
                        answered_context(caller.user_id, value.r, result.locale),
                    ),
                )
            )
            # The click carried the message: the blocks the outbox kept for a typed answer go.
            uow.outbox.forget_prompt_at(session.id, caller.message_ts)
        queue = queue_result(deps, uow, session, result, *clicked)
        asking = similar.asking_after(deps, uow, session, result.outcome)
        uow.commit()
    return None, queue.shown(), asking


def ensure_same_place(session: Session, channel_id: str | None, user_id: str) -> None:
    """A button must say which conversation it was clicked in, and that must be the session's own
    channel or DM: one without a channel, or carrying another session's id (crafted, or pasted
    elsewhere), is refused and logged."""
    if not policy.container_matches(session.channel_id, channel_id):
        log.warning("refused: %s clicked for session %s from channel %s", user_id, session.id, channel_id)
        raise NotAllowed(t("not_this_session", session.locale))


def resume(deps: Deps, client: WebClient, caller: Caller, session_id: int) -> Shown:
    """``/playbook resume <session>``: a paused session carries on where it stopped."""
    with deps.uow() as uow:
        session = load_session(uow, caller.team_id, session_id)
        locale = language.person_locale(uow, caller.team_id, caller.user_id)  # the reply is the caller's
        if session.status != SessionStatus.PAUSED:
            return Shown(ack=t("not_paused", locale, session=session_id))
        if not people_of(session).is_participant(caller.user_id):
            raise PlaybookError(t("only_participants", locale))
        result = apply(deps, uow, session, Reply(caller.team_id, caller.user_id, "resume"))
        queue = queue_result(deps, uow, session, result)
        uow.commit()
    return queue.shown(ack=t("resumed", locale))


def show_current(deps: Deps, client: WebClient, caller: Caller, session_id: int) -> Shown:
    """Resume from Home: a paused session carries on; an active one gets its question posted again."""
    access.ensure_session_visible(deps, client, caller, session_id)
    with deps.uow() as uow:
        session = load_session(uow, caller.team_id, session_id)
        if not people_of(session).is_participant(caller.user_id):
            raise NotAllowed(t("only_participants", session.locale))
        if session.status == SessionStatus.PAUSED:
            result = apply(deps, uow, session, Reply(caller.team_id, caller.user_id, "resume"))
            queue = queue_result(deps, uow, session, result)
        elif session.status == SessionStatus.ACTIVE:
            template = get_template(session.template_id)
            answers = to_engine_answers(uow.answers.latest(session.id))
            ctx = learning.with_learning(
                reply_context(deps, settings_for(deps, uow, caller.team_id), session.locale),
                uow,
                session,
                deps.learned,
                deps.decided,
            )
            prompt = engine.current_prompt(
                template, answers, session.locale, ctx.escape, values=ctx.prompt_values(), learned=ctx.learned
            )
            if prompt is None:
                return Shown()
            queue = Queue(uow, session.workspace_id, deps.clock.now(), hold=True)
            queue.add(
                Place.of(session).post(
                    prompt_fallback_text(prompt), prompt_blocks(prompt, session_id, locale=session.locale)
                ),
                session,
            )
        else:
            return Shown()
        uow.commit()
    return queue.shown()

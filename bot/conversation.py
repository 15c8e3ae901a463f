"""Running a session in Slack: one unit of work per reply (load, apply through the engine, store,
commit), then post what the engine says comes next. Nothing is posted before the commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot import blocks, checkins, leads, roles, safeguards
from bot.deps import Deps
from bot.errors import BotNotInChannel, NotAllowed, SessionNotFound
from bot.mrkdwn import escape, mention
from flows import engine, pii, team
from flows.engine import Answer, Outcome, Prompt, ReplyContext
from flows.i18n import t
from flows.schema import Template, get_template
from flows.summary import build_summary
from storage.models import AnswerVersion, Role, Session, SessionStatus, Workspace
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.conversation")


def to_engine_answers(rows: Mapping[str, AnswerVersion]) -> dict[str, Answer]:
    return {key: Answer(row.value, row.skipped, row.author_id) for key, row in rows.items()}


def _setting(workspace: Workspace | None, name: str, default: Decimal) -> Decimal:
    """A workspace setting (e.g. ``hourly_rate``), else the environment's default."""
    raw = (workspace.settings or {}).get(name) if workspace is not None else None
    try:
        value = Decimal(str(raw)) if raw is not None else default
    except InvalidOperation:
        return default
    return value if value.is_finite() and value > 0 else default


def reply_context(deps: Deps, locale: str, workspace: Workspace | None = None) -> ReplyContext:
    """Parsing and costing settings: the workspace's ``hourly_rate`` and ``weeks_per_year`` when set,
    else ``PLAYBOOK_HOURLY_RATE`` and ``PLAYBOOK_WEEKS_PER_YEAR``."""
    tz = ZoneInfo(deps.settings.playbook_timezone)
    return ReplyContext(
        today=deps.clock.now().astimezone(tz).date(),
        locale=locale,
        working_day_hours=deps.settings.playbook_working_day_hours,
        weeks_per_year=_setting(workspace, "weeks_per_year", deps.settings.playbook_weeks_per_year),
        hourly_rate=_setting(workspace, "hourly_rate", deps.settings.playbook_hourly_rate),
        escape=escape,
        mention=mention,
    )


@dataclass(frozen=True)
class Place:
    """Where a session's messages go."""

    channel: str
    thread_ts: str | None

    @classmethod
    def of(cls, session: Session) -> Place:
        return cls(session.channel_id, None if session.is_dm else session.thread_ts)


def post(client: WebClient, place: Place, text: str, content: list[Block]) -> str | None:
    """Post one message (``text`` is the notification fallback). Returns its ts."""
    response = client.chat_postMessage(
        channel=place.channel,
        thread_ts=place.thread_ts,
        text=blocks.clip(text, 3000),
        blocks=blocks.as_dicts(content),
        unfurl_links=False,
        unfurl_media=False,
    )
    ts = response.get("ts")
    return str(ts) if ts else None


# --- starting ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    session_id: int
    template: Template
    place: Place


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
) -> Started:
    """Create the session (anchor message first in a channel, since its ts names the thread), commit,
    then post the introduction and the first question. With ``problem_id`` the session joins that
    problem and its statement answers the template's problem question."""
    template = get_template(template_id)
    if problem_id is not None:
        problem_statement = problem_statement_of(deps, team_id, problem_id)
    # A typed statement that looks like personal data is held for keep-or-redact (bot/safeguards.py).
    held = problem_statement if problem_id is None and pii.looks_personal(problem_statement or "") else None
    if held is not None:
        problem_statement = None
    locale = "en"
    if in_dm:
        opened = client.conversations_open(users=user_id)
        channel = str(opened["channel"]["id"])
        thread_ts: str | None = None
    else:
        channel = channel_id
        try:
            anchor = client.chat_postMessage(
                channel=channel,
                text=t(
                    "anchor",
                    locale,
                    title=template.title.get(locale),
                    session="…",
                    facilitator=mention(user_id),
                ),
            )
        except SlackApiError as error:
            if error.response.get("error") in ("not_in_channel", "channel_not_found", "is_archived"):
                raise BotNotInChannel(
                    "I'm not in this channel yet. Invite me with `/invite @Playbook bot`, "
                    "or start the session in a DM with me."
                ) from error
            raise
        thread_ts = str(anchor["ts"])
    with deps.uow() as uow:
        uow.workspaces.get_or_create(team_id)
        session = uow.sessions.add(
            Session(
                workspace_id=team_id,
                template_id=template.id,
                status=SessionStatus.ACTIVE,
                facilitator_id=user_id,
                channel_id=channel,
                thread_ts=thread_ts,
                is_dm=in_dm,
                locale=locale,
                created_at=deps.clock.now(),
                updated_at=deps.clock.now(),
            )
        )
        uow.sessions.add_participant(session, user_id, Role.FACILITATOR)
        notice = None
        if held is not None:
            notice = safeguards.hold_statement(
                uow, session, template, user_id=user_id, statement=held, now=deps.clock.now()
            )
        if problem_id is not None:
            session.problem_id = problem_id
        elif problem_statement:
            problem = uow.problems.add(team_id, problem_statement.strip()[:3000], user_id)
            session.problem_id = problem.id
        for change in engine.prefill_changes(template, problem_statement):
            uow.answers.add_version(
                session.id, change.key, value=change.value, author_id=user_id, raw_text=str(change.value)
            )
        answers = to_engine_answers(uow.answers.latest(session.id)) if problem_statement else {}
        ctx = reply_context(deps, locale, uow.workspaces.get(team_id))
        prompt = next_prompt_for(session, template, answers, user_id, ctx)
        uow.commit()
        session_id = session.id
    place = Place(channel, thread_ts)
    if not in_dm and thread_ts is not None:
        client.chat_update(
            channel=channel,
            ts=thread_ts,
            text=t(
                "anchor",
                locale,
                title=template.title.get(locale),
                session=session_id,
                facilitator=mention(user_id),
            ),
        )
    intro = template.intro.get(locale)
    content: list[Block] = blocks.notice_blocks(intro) + blocks.notice_blocks(t("privacy_reminder", locale))
    if notice is not None:
        content += blocks.notice_blocks(notice)
    if prompt is not None:
        content += blocks.prompt_blocks(prompt, session_id, locale=locale)
    post(client, place, intro, content)
    mark_prompted(deps, team_id, session_id, prompt.key if prompt else None)
    return Started(session_id, template, place)


def problem_statement_of(deps: Deps, team_id: str, problem_id: int) -> str:
    with deps.uow() as uow:
        problem = uow.problems.get(team_id, problem_id)
        if problem is None:
            raise SessionNotFound(t("problem_not_found", problem=problem_id))
        return problem.statement


def next_prompt_for(
    session: Session, template: Template, answers: Mapping[str, Answer], user_id: str, ctx: ReplyContext
) -> Prompt | None:
    """The next question: in a team thread with a collaborative list open, what ``user_id`` is asked
    (their own item, or the invitation to add one; see flows/team.py), else the session's next one."""
    if not session.is_dm:
        return team.prompt_for(template, answers, user_id, session.facilitator_id, ctx)
    return engine.current_prompt(template, answers, ctx.locale, ctx.escape, values=ctx.prompt_values())


def channel_member_check(client: WebClient, channel_id: str, user_id: str) -> Callable[[], bool]:
    """A lazy check that ``user_id`` is in the channel (``conversations.members``, every page).

    Only called for someone not yet taking part, so a session costs one check per new person. A
    failing call raises: the event is then not acknowledged and Slack retries it."""

    def check() -> bool:
        cursor = None
        while True:
            page = client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            if user_id in (page.get("members") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False

    return check


# --- replies -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Something a person said to a session: typed in the thread/DM or clicked as a button."""

    team_id: str
    user_id: str
    text: str
    # For a button: the prompt it belonged to; a stale click (already answered) changes nothing.
    expected_key: str | None = None
    # In a channel thread: whether someone not yet taking part is in the channel (None: not checked).
    channel_member: Callable[[], bool] | None = None


@dataclass(frozen=True)
class Result:
    session_id: int
    place: Place
    outcome: Outcome | None
    notice: str | None = None
    summary: list[Block] | None = None
    completion_text: str | None = None
    locale: str = "en"
    # Set when a session completes and the workspace has a leads channel (bot/leads.py).
    leads_post: leads.LeadsPost | None = None


def _ensure_may_answer(
    session: Session, user_id: str, uow: UnitOfWork, channel_member: Callable[[], bool] | None = None
) -> bool:
    """Only participants answer. In a channel thread anyone in the channel may join by replying
    (someone outside it is left alone); a DM session belongs to the person whose DM it is."""
    if session.is_dm:
        return any(p.user_id == user_id for p in session.participants)
    if not roles.is_participant(session, user_id) and channel_member is not None and not channel_member():
        return False
    uow.sessions.add_participant(session, user_id)
    return True


def apply(deps: Deps, uow: UnitOfWork, session: Session, reply: Reply) -> Result:
    """Apply a reply inside the caller's unit of work; the caller commits and then calls :func:`deliver`."""
    place = Place.of(session)
    locale = session.locale
    if session.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED):
        return Result(
            session.id, place, None, notice=t("already_complete", locale) if reply.expected_key else None
        )
    if not _ensure_may_answer(session, reply.user_id, uow, reply.channel_member):
        raise NotAllowed(t("only_participants", locale))
    template = get_template(session.template_id)
    rows = uow.answers.latest(session.id)
    answers = to_engine_answers(rows)
    now = deps.clock.now()
    workspace = uow.workspaces.get(session.workspace_id)
    ctx = reply_context(deps, locale, workspace)
    if session.status == SessionStatus.PAUSED:
        if engine.normalise_command(reply.text) not in ("resume", "continue", "carry on"):
            return Result(session.id, place, None)
        session.status = SessionStatus.ACTIVE
        uow.sessions.touch(session, now)
        prompt = next_prompt_for(session, template, answers, reply.user_id, ctx)
        session.last_prompted_key = prompt.key if prompt else None
        return Result(session.id, place, Outcome(message=t("resumed", locale), next_prompt=prompt))
    screened = safeguards.screen(
        deps, uow, session, template, answers, team_id=reply.team_id, user_id=reply.user_id,
        text=reply.text, typed=reply.expected_key is None,
    )  # fmt: skip
    if screened.text is None:
        outcome = Outcome(message=screened.message, rejected=True) if screened.message else None
        return Result(session.id, place, outcome, locale=locale)
    reply = replace(reply, text=screened.text)
    command = engine.normalise_command(reply.text)
    may_steer = roles.can_steer(session, workspace, reply.user_id)
    collaborative = None if session.is_dm else team.collecting(template, answers)
    if collaborative is not None and command != "pause":
        team_reply = team.TeamReply(
            reply.text, reply.user_id, may_steer, session.facilitator_id, reply.expected_key
        )
        outcome = team.apply_team_reply(template, answers, team_reply, ctx)
        return _store(deps, uow, session, template, answers, rows, reply, outcome, ctx)
    if command == "back" and not session.is_dm:
        refused = team.back_refusal(template, answers, reply.user_id, may_steer, locale)
        if refused is not None:
            return Result(session.id, place, Outcome(message=refused, rejected=True), locale=locale)
    if reply.expected_key is not None:
        position = engine.walk(template, answers).current
        if position is None or position.key != reply.expected_key:
            return Result(session.id, place, None, notice="That question has already been answered.")
    refusal = leads.steer_refusal(uow, session, template, answers, reply.user_id, reply.text)
    if refusal is not None:
        if reply.expected_key is not None:
            raise NotAllowed(refusal)
        return Result(session.id, place, Outcome(message=refusal, rejected=True), locale=locale)
    outcome = engine.apply_reply(template, answers, reply.text, ctx)
    if not session.is_dm and outcome.next_prompt is not None and outcome.control is None:
        after = engine.with_changes(answers, outcome.changes, reply.user_id)
        if team.collecting(template, after) is not None:
            prompt = next_prompt_for(session, template, after, reply.user_id, ctx)
            outcome = replace(outcome, next_prompt=prompt)
    return _store(deps, uow, session, template, answers, rows, reply, outcome, ctx)


def _store(
    deps: Deps,
    uow: UnitOfWork,
    session: Session,
    template: Template,
    answers: Mapping[str, Answer],
    rows: Mapping[str, AnswerVersion],
    reply: Reply,
    outcome: Outcome,
    ctx: ReplyContext,
) -> Result:
    """Store an outcome's changes as new versions by the reply's author, and settle the session."""
    place = Place.of(session)
    locale = session.locale
    now = deps.clock.now()
    versions = {key: row.version for key, row in rows.items()}
    for change in outcome.changes:
        uow.answers.add_version(
            session.id,
            change.key,
            value=None if change.retract else change.value,
            author_id=reply.user_id,
            raw_text=None if change.retract else reply.text,
            skipped=change.skipped,
            retracted=change.retract,
            current_versions=versions,
        )
    if outcome.control == "pause":
        session.status = SessionStatus.PAUSED
    summary = None
    leads_post = None
    if outcome.completed and outcome.changes:
        session.status = SessionStatus.COMPLETED
        session.completed_at = now
        final = engine.with_changes(answers, outcome.changes, reply.user_id)
        checkins.materialise_interventions(uow, session, final, now)
        summary = summary_for(session, template, final, now, ctx)
        leads_post = leads.prepare(deps, uow, session, final, now)
    # Recorded as posted in this same transaction (one transaction per answer, not two); if posting
    # fails, deliver_committed() clears it so that Slack's retry re-posts the prompt.
    session.last_prompted_key = outcome.next_prompt.key if outcome.next_prompt else None
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
    )


def summary_for(
    session: Session,
    template: Template,
    answers: Mapping[str, Answer],
    now: datetime,
    ctx: ReplyContext | None = None,
) -> list[Block]:
    summary = build_summary(template, answers, session.locale, context=ctx)
    return blocks.summary_blocks(
        summary,
        session_id=session.id,
        facilitator=session.facilitator_id,
        when=now.astimezone(ZoneInfo("Europe/London")).strftime("%-d %B %Y, %H:%M"),
        locale=session.locale,
    )


def deliver(client: WebClient, result: Result) -> None:
    """Post what a committed reply produced: a notice, the next prompt, or the completion and summary."""
    outcome = result.outcome
    locale = result.locale
    if outcome is None:
        return
    content: list[Block] = []
    text_parts: list[str] = []
    if outcome.message:
        content += blocks.notice_blocks(outcome.message)
        text_parts.append(outcome.message)
    if outcome.control == "pause":
        paused = t("paused", locale, session=result.session_id)
        content += blocks.notice_blocks(paused)
        post(client, result.place, paused, content)
        return
    if outcome.completed and result.summary is not None:
        if result.completion_text:
            content += blocks.notice_blocks(result.completion_text)
            text_parts.append(result.completion_text)
        messages = blocks.split_messages(content + result.summary)
        for number, message in enumerate(messages):
            post(
                client,
                result.place,
                "Session summary" if number else " ".join(text_parts) or "Summary",
                message,
            )
        if result.leads_post is not None:
            leads.deliver(client, result.leads_post)
        return
    prompt: Prompt | None = outcome.next_prompt
    if prompt is not None:
        content += blocks.prompt_blocks(prompt, result.session_id, locale=locale)
        text_parts.append(blocks.prompt_fallback_text(prompt))
    if content:
        post(client, result.place, "\n".join(text_parts), content)


def find_session_for_message(
    uow: UnitOfWork, *, team_id: str, channel_id: str, thread_ts: str | None, is_dm: bool
) -> Session | None:
    if is_dm:
        return uow.sessions.open_dm_session(team_id, channel_id, for_update=True)
    if thread_ts is None:
        return None
    return uow.sessions.by_thread(team_id, channel_id, thread_ts, for_update=True)


def load_session(uow: UnitOfWork, team_id: str, session_id: int) -> Session:
    session = uow.sessions.get(team_id, session_id, for_update=True)
    if session is None:
        log.warning("refused: session %s is not in workspace %s", session_id, team_id)
        raise SessionNotFound(t("unknown_session", session=session_id))
    return session


def ensure_same_place(session: Session, channel_id: str | None, user_id: str) -> None:
    """A button must come from the session's own channel or DM: one carrying another session's id
    (crafted, or pasted elsewhere) is refused and logged."""
    if channel_id and channel_id != session.channel_id:
        log.warning("refused: %s clicked for session %s from channel %s", user_id, session.id, channel_id)
        raise NotAllowed(t("not_this_session", session.locale))


def repost_lost_prompt(deps: Deps, client: WebClient, team_id: str, session_id: int) -> None:
    """On a retried delivery of an event we already stored: if the prompt that follows it was never
    posted (the process died, or Slack failed, between the commit and the post), post it now."""
    with deps.uow() as uow:
        session = uow.sessions.get(team_id, session_id)
        if session is None or session.status != SessionStatus.ACTIVE:
            return
        template = get_template(session.template_id)
        answers = to_engine_answers(uow.answers.latest(session.id))
        ctx = reply_context(deps, session.locale, uow.workspaces.get(team_id))
        prompt = next_prompt_for(session, template, answers, session.facilitator_id, ctx)
        if prompt is None or prompt.key == session.last_prompted_key:
            return
        place = Place.of(session)
    post(client, place, blocks.prompt_fallback_text(prompt), blocks.prompt_blocks(prompt, session_id))
    mark_prompted(deps, team_id, session_id, prompt.key)


def deliver_committed(deps: Deps, client: WebClient, result: Result, team_id: str) -> None:
    """:func:`deliver` for a reply whose unit of work already recorded its prompt as posted. If
    posting fails the record is cleared (and the error re-raised: an event is then retried by
    Slack, and the retry re-posts the prompt through :func:`repost_lost_prompt`)."""
    try:
        deliver(client, result)
    except Exception:
        mark_prompted(deps, team_id, result.session_id, None)
        raise


def mark_prompted(deps: Deps, team_id: str, session_id: int, key: str | None) -> None:
    with deps.uow() as uow:
        uow.sessions.set_last_prompted(team_id, session_id, key)
        uow.commit()

"""Interventions and their check-ins in Slack: creating them, sending due check-ins exactly once,
recording the owners' answers, escalating silence, and nudging idle sessions.

The schedule lives in the ``checkins`` table (``storage/checkins.py``); APScheduler calls
:func:`dispatch_due` every minute and :func:`nudge_idle_sessions` every few minutes, and both can run in
any number of processes at once. Rules worth knowing:

* **Exactly once, with one stated exception.** Due rows are claimed with row locks (PostgreSQL) or a
  conditional update (SQLite) before anything is posted, so two dispatchers never send the same
  check-in. ``chat.postMessage`` has no idempotency key: if a process dies after Slack accepted a
  check-in but before the one-row UPDATE that marks it sent is committed, the row stays ``sending``
  and is sent again once its claim is older than ``PLAYBOOK_SENDING_TIMEOUT_SECONDS`` (default ten
  minutes, ``storage.checkins.SENDING_TIMEOUT``); a process killed *before* Slack accepted the message
  (the usual case: most of a send is spent waiting for Slack) loses nothing and doubles nothing, its
  claims are simply retried after that timeout. The double window is one small UPDATE long; we accept
  a rare double rather than a lost check-in.
* **Missed while down.** A check-in whose time passed while nothing was running is sent once on
  recovery. Each open intervention has one waiting row, so however long the outage, the owner gets one
  message, not a backlog; a message more than ``CATCH_UP_AFTER`` (seven days) late says it is a
  catch-up and when it was due, and the cadence then resumes at its first date still in the future.
* **Failures.** Slack 429s and 5xx are retried inside the WebClient (its retry handlers honour
  ``Retry-After``); a send that still fails goes back to ``pending`` with ``attempts`` and
  ``last_error`` and is retried with back-off (2, 4, 8 … minutes, at most hourly), never dropped.
* **Escalation.** When a check-in is sent and the two before it both went unanswered, the facilitator
  (by DM) and the leads channel are told, once per silent spell.
* **Idle nudges** are at most once: the session is marked nudged before the nudge is posted, since a
  lost courtesy message costs less than a doubled one.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
)
from sqlalchemy import Table, or_, select, update

from bot.deps import Deps
from bot.ids import CheckInActionId
from bot.mrkdwn import escape, mention
from bot.views import common as blocks
from flows import engine
from flows.calendar import (
    Cadence,
    Nation,
    WorkingCalendar,
    checkin_moment,
    is_idle,
    local_today,
    next_due_date,
    resolve_tz,
    snooze_moment,
)
from flows.i18n import t
from storage.checkins import (
    CATCH_UP_AFTER,
    CheckIn,
    CheckInRepository,
    CheckInResponse,
    CheckInStatus,
    Claimed,
    Intervention,
    InterventionStatus,
    ResponseKind,
)
from storage.models import FORMER_PARTICIPANT, Session, SessionStatus, Workspace
from storage.settings import read_settings
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.checkins")

INTERVENTIONS_REPEAT = "interventions"
NATION_SETTING = "nation"
DEFAULT_NATION: Nation = "england-and-wales"
NATIONS: tuple[Nation, ...] = ("england-and-wales", "scotland", "northern-ireland")
CADENCES: tuple[Cadence, ...] = ("weekly", "fortnightly", "monthly")
CLAIM_BATCH = 25
# Check-ins sent at once within a batch: one send waiting out a 429's Retry-After (the retry handler
# sleeps in its thread) no longer stalls every send behind it.
SENDS_IN_FLIGHT = 4
# One dispatcher run stops after this many batches, so a wake-up never outlives the next one by much.
MAX_BATCHES = 200
IDLE_BATCH = 200

ClientFor = Callable[[str], WebClient]


def one_client(client: WebClient) -> ClientFor:
    """A client factory for a single-workspace install (the same client for every workspace)."""
    return lambda _workspace_id: client


# --- calendars and dates -------------------------------------------------------------------------------


def calendar_for(workspace: Workspace | None) -> WorkingCalendar:
    """The workspace's working calendar; an unknown stored nation falls back to England and Wales."""
    nation = read_settings(workspace.settings, workspace.leads_channel).nation if workspace else None
    nation = nation or DEFAULT_NATION
    return WorkingCalendar(nation if nation in NATIONS else DEFAULT_NATION)


def human_date(moment: datetime, tz: str | None) -> str:
    """``Monday 26 October at 10:00`` in the owner's time zone."""
    local = moment.astimezone(resolve_tz(tz))
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"


def _day(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B} {d.year}"


# --- creating interventions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewIntervention:
    what: str
    owner_id: str
    first_due: date
    cadence: Cadence


def interventions_from_answers(answers: Mapping[str, engine.Answer]) -> list[tuple[int, NewIntervention]]:
    """The complete items of a session's ``interventions`` list, as (item number, intervention)."""
    found: list[tuple[int, NewIntervention]] = []
    for item, what in engine.items_of(answers, INTERVENTIONS_REPEAT, "what"):
        parts = {
            step: answers.get(f"{INTERVENTIONS_REPEAT}.{item}.{step}")
            for step in ("owner", "first_checkin", "cadence")
        }
        owner, first, cadence = parts["owner"], parts["first_checkin"], parts["cadence"]
        if owner is None or first is None or cadence is None or cadence.value not in CADENCES:
            continue
        found.append(
            (
                item,
                NewIntervention(
                    what=str(what),
                    owner_id=str(owner.value),
                    first_due=date.fromisoformat(str(first.value)),
                    cadence=cast(Cadence, cadence.value),
                ),
            )
        )
    return found


def add_intervention(
    uow: UnitOfWork,
    session: Session,
    new: NewIntervention,
    *,
    created_by: str,
    now: datetime,
    source_item: int | None = None,
    owner_tz: str | None = None,
) -> Intervention:
    """Store an intervention and its first check-in (inside the caller's unit of work).

    Until the owner's Slack time zone is known (the dispatcher looks it up before sending), the first
    check-in is timed for 10:00 in Europe/London."""
    workspace = uow.workspaces.get_or_create(session.workspace_id)
    calendar = calendar_for(workspace)
    intervention = Intervention(
        workspace_id=session.workspace_id,
        session_id=session.id,
        source_item=source_item,
        what=new.what,
        owner_id=new.owner_id,
        owner_tz=owner_tz,
        created_by=created_by,
        cadence=new.cadence,
        first_due=new.first_due,
        day_of_month=new.first_due.day,
        status=InterventionStatus.OPEN,
        created_at=now,
    )
    first = CheckIn(
        due_on=new.first_due,
        due_at=checkin_moment(new.first_due, tz=owner_tz, calendar=calendar),
        status=CheckInStatus.PENDING,
        snoozed=False,
        attempts=0,
        catch_up=False,
        created_at=now,
    )
    return CheckInRepository(uow.orm).add_intervention(intervention, first)


def materialise_interventions(
    uow: UnitOfWork, session: Session, answers: Mapping[str, engine.Answer], now: datetime
) -> int:
    """Turn a completed session's ``interventions`` answers into interventions with their first
    check-ins, in the same unit of work as the completion. Safe to call twice: items already stored
    are skipped. Returns how many were created."""
    repository = CheckInRepository(uow.orm)
    created = 0
    for item, new in interventions_from_answers(answers):
        if repository.has_source(session.id, item):
            continue
        author = answers[f"{INTERVENTIONS_REPEAT}.{item}.what"].author or session.facilitator_id
        add_intervention(uow, session, new, created_by=author, now=now, source_item=item)
        created += 1
    return created


# --- the check-in message ------------------------------------------------------------------------------

_BUTTONS: tuple[tuple[ResponseKind, str], ...] = (
    (ResponseKind.ON_TRACK, "checkin_button_on_track"),
    (ResponseKind.BLOCKED, "checkin_button_blocked"),
    (ResponseKind.DONE, "checkin_button_done"),
    (ResponseKind.NOT_DOING, "checkin_button_not_doing"),
    (ResponseKind.SNOOZE_DAY, "checkin_button_snooze_day"),
    (ResponseKind.SNOOZE_WEEK, "checkin_button_snooze_week"),
)


def response_button_value(checkin_id: int, kind: ResponseKind) -> str:
    return json.dumps({"c": checkin_id, "r": kind.value}, separators=(",", ":"))


def checkin_blocks(
    checkin_id: int, what: str, session_id: int, *, catch_up_from: date | None = None
) -> tuple[str, list[Block]]:
    """The DM asking an owner how an intervention is going: fallback text and blocks."""
    text = t("checkin_prompt", what=escape(blocks.clip(what, 2000)), session=session_id)
    if catch_up_from is not None:
        text += "\n" + t("checkin_catch_up", date=_day(catch_up_from))
    buttons = [
        ButtonElement(
            text=PlainTextObject(text=t(label)),
            action_id=f"{CheckInActionId.RESPOND}:{number}",
            value=response_button_value(checkin_id, kind),
            style="primary" if kind is ResponseKind.ON_TRACK else None,
        )
        for number, (kind, label) in enumerate(_BUTTONS)
    ]
    content: list[Block] = [
        *blocks.sections(text),
        ActionsBlock(block_id=f"checkin.{checkin_id}", elements=list(buttons)),
        ContextBlock(elements=[MarkdownTextObject(text=t("checkin_reply_hint"))]),
    ]
    return text, content


# --- dispatching ---------------------------------------------------------------------------------------


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    escalated: int = 0


@dataclass(frozen=True)
class _Outgoing:
    workspace_id: str
    owner_id: str
    text: str
    content: list[Block]
    catch_up: bool


@dataclass(frozen=True)
class _Escalation:
    workspace_id: str
    facilitator_id: str
    leads_channel: str | None
    text: str


def resolve_owner_timezones(deps: Deps, clients: ClientFor) -> int:
    """Look up the Slack time zone of owners not yet known (``users.info``) and re-time their waiting
    check-ins to 10:00 local. A user Slack cannot describe gets Europe/London; a transport failure
    leaves the zone unknown for the next run (the check-in still goes, at 10:00 London time)."""
    with deps.uow() as uow:
        todo = [
            (i.id, i.workspace_id, i.owner_id) for i in CheckInRepository(uow.orm).open_without_timezone()
        ]
    resolved = 0
    for intervention_id, workspace_id, owner_id in todo:
        try:
            info = clients(workspace_id).users_info(user=owner_id)
            tz = str((info.get("user") or {}).get("tz") or "") or deps.settings.playbook_timezone
        except SlackApiError as error:
            log.warning("users.info for %s failed (%s); using the default zone", owner_id, _error_code(error))
            tz = deps.settings.playbook_timezone
        except (SlackClientError, OSError):  # a network failure must not stop the dispatcher
            log.warning("users.info for %s could not be reached; will try again", owner_id, exc_info=True)
            continue
        with deps.uow() as uow:
            intervention = uow.orm.get(Intervention, intervention_id)
            if intervention is None or intervention.owner_tz is not None:
                continue
            intervention.owner_tz = tz
            calendar = calendar_for(uow.workspaces.get(workspace_id))
            waiting = CheckInRepository(uow.orm).pending_for(intervention_id)
            if waiting is not None:
                waiting.due_at = checkin_moment(waiting.due_on, tz=tz, calendar=calendar)
            uow.commit()
            resolved += 1
    return resolved


def _error_code(error: SlackApiError) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or error)


def dispatch_due(
    deps: Deps, clients: ClientFor, *, batch: int = CLAIM_BATCH, max_batches: int = MAX_BATCHES
) -> DispatchReport:
    """Send every check-in that is due at ``deps.clock.now()``: claim a batch, send, mark, repeat.

    Safe to run in several threads or processes against one database at once (see the module
    docstring for the exact-once rule and its one exception)."""
    resolve_owner_timezones(deps, clients)
    report = DispatchReport()
    sending_timeout = timedelta(seconds=deps.settings.playbook_sending_timeout_seconds)
    with ThreadPoolExecutor(max_workers=SENDS_IN_FLIGHT, thread_name_prefix="checkin-send") as pool:
        for _ in range(max_batches):
            now = deps.clock.now()
            token = str(uuid.uuid4())
            with deps.uow() as uow:
                claims = CheckInRepository(uow.orm).claim_due(
                    now, token, batch, sending_timeout=sending_timeout
                )
                uow.commit()
            if not claims:
                break
            report.claimed += len(claims)
            for outcome in pool.map(lambda claim: _send_one(deps, clients, claim), claims):
                report.sent += outcome in ("sent", "escalated")
                report.failed += outcome == "failed"
                report.escalated += outcome == "escalated"
    return report


def _prepare(deps: Deps, claim: Claimed) -> _Outgoing | None:
    """What to send for a claimed check-in; None (and the row cancelled) if its intervention closed."""
    now = deps.clock.now()
    with deps.uow() as uow:
        checkin = CheckInRepository(uow.orm).holding(claim)
        if checkin is None:
            return None
        intervention = checkin.intervention
        if intervention.status != InterventionStatus.OPEN:
            checkin.status = CheckInStatus.CANCELLED
            checkin.claim_token = None
            uow.commit()
            return None
        late = now - checkin.due_at > CATCH_UP_AFTER
        text, content = checkin_blocks(
            checkin.id,
            intervention.what,
            intervention.session_id,
            catch_up_from=checkin.due_on if late else None,
        )
        return _Outgoing(intervention.workspace_id, intervention.owner_id, text, content, late)


def _send_one(
    deps: Deps, clients: ClientFor, claim: Claimed
) -> Literal["cancelled", "failed", "sent", "escalated"]:
    outgoing = _prepare(deps, claim)
    if outgoing is None:
        return "cancelled"
    try:
        response = clients(outgoing.workspace_id).chat_postMessage(
            channel=outgoing.owner_id,
            text=blocks.clip(outgoing.text, 3000),
            blocks=blocks.as_dicts(outgoing.content),
            unfurl_links=False,
            unfurl_media=False,
        )
    except (SlackClientError, OSError) as error:  # the row must stay pending and visible
        message = (
            _error_code(error) if isinstance(error, SlackApiError) else f"{type(error).__name__}: {error}"
        )
        log.warning("check-in %s not sent: %s", claim.checkin_id, message)
        with deps.uow() as uow:
            CheckInRepository(uow.orm).release_failed(claim, deps.clock.now(), message)
            uow.commit()
        return "failed"
    escalation = _mark_sent(
        deps, claim, str(response.get("channel") or ""), str(response.get("ts") or ""), outgoing.catch_up
    )
    if escalation is None:
        return "sent"
    _post_escalation(clients, escalation)
    return "escalated"


def _mark_sent(
    deps: Deps, claim: Claimed, channel_id: str, message_ts: str, catch_up: bool
) -> _Escalation | None:
    """Mark the row sent, queue the next one in the cadence, and decide whether to escalate."""
    now = deps.clock.now()
    with deps.uow() as uow:
        repository = CheckInRepository(uow.orm)
        checkin = repository.holding(claim)
        if checkin is None:
            # The intervention was closed while we were sending (the row is cancelled): nothing to do.
            log.info("check-in %s changed while it was being sent", claim.checkin_id)
            return None
        checkin.status = CheckInStatus.SENT
        checkin.sent_at = now
        checkin.channel_id = channel_id or None
        checkin.message_ts = message_ts or None
        checkin.catch_up = catch_up
        checkin.claim_token = None
        checkin.last_error = None
        checkin.retry_at = None
        intervention = checkin.intervention
        workspace = uow.workspaces.get(intervention.workspace_id)
        calendar = calendar_for(workspace)
        earlier = [c for c in repository.recent_sent(intervention.id, 3) if c.id != checkin.id][:2]
        if repository.pending_for(intervention.id) is None:
            due = checkin.due_on
            while True:
                due = next_due_date(
                    due, cast(Cadence, intervention.cadence), day_of_month=intervention.day_of_month
                )
                moment = checkin_moment(due, tz=intervention.owner_tz, calendar=calendar)
                if moment > now:
                    break
            uow.orm.add(
                CheckIn(
                    intervention_id=intervention.id,
                    workspace_id=intervention.workspace_id,
                    due_on=due,
                    due_at=moment,
                    status=CheckInStatus.PENDING,
                    snoozed=False,
                    attempts=0,
                    catch_up=False,
                    created_at=now,
                )
            )
        escalation = None
        if (
            len(earlier) == 2
            and all(c.answered_at is None for c in earlier)
            and intervention.escalated_at is None
        ):
            intervention.escalated_at = now
            session = intervention.session
            escalation = _Escalation(
                workspace_id=intervention.workspace_id,
                facilitator_id=session.facilitator_id,
                leads_channel=(workspace.leads_channel if workspace else None)
                or deps.settings.playbook_leads_channel,
                text=t(
                    "checkin_escalation",
                    owner=mention(intervention.owner_id),
                    what=escape(blocks.clip(intervention.what, 500)),
                    session=session.id,
                    facilitator=mention(session.facilitator_id),
                ),
            )
        uow.commit()
    return escalation


def _post_escalation(clients: ClientFor, escalation: _Escalation) -> None:
    for channel in (escalation.facilitator_id, escalation.leads_channel):
        if not channel or channel == FORMER_PARTICIPANT:  # a facilitator who was forgotten has no DM
            continue
        try:
            clients(escalation.workspace_id).chat_postMessage(
                channel=channel, text=escalation.text, unfurl_links=False
            )
        except (SlackClientError, OSError) as error:
            log.warning("escalation to %s not posted: %s", channel, error)


# --- responses -----------------------------------------------------------------------------------------

_REASON_SEPARATOR = r"\s*(?:[:\-–—,]|because|as|due to)?\s*"
_PATTERNS: tuple[tuple[ResponseKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE | re.DOTALL))
    for kind, pattern in (
        (ResponseKind.ON_TRACK, r"(?:on[\s-]?track|going (?:well|fine|ok)|fine|good|ok)"),
        (ResponseKind.DONE, r"(?:done|complete|completed|finished|it'?s done)"),
        (ResponseKind.SNOOZE_WEEK, r"snooze\s*(?:for\s+)?(?:a|1|one)?\s*week"),
        (ResponseKind.SNOOZE_DAY, r"snooze(?:\s*(?:for\s+)?(?:(?:a|1|one)\s*day|tomorrow))?"),
        (ResponseKind.BLOCKED, rf"blocked(?:{_REASON_SEPARATOR}(?P<reason>.+))?"),
        (
            ResponseKind.NOT_DOING,
            rf"(?:not doing|not going ahead|won'?t do|dropped)(?:{_REASON_SEPARATOR}(?P<reason>.+))?",
        ),
    )
)
MAX_REASON = 1000


@dataclass(frozen=True)
class ParsedReply:
    kind: ResponseKind
    reason: str | None = None


def parse_checkin_reply(text: str) -> ParsedReply | None:
    """A typed check-in answer (``on track``, ``blocked: supplier late``, ``done``,
    ``not doing: no budget``, ``snooze``, ``snooze week``), or None if it is not one. The reason keeps
    the person's own wording; a missing reason is None (the caller asks for one)."""
    normalised = re.sub(r"\s+", " ", text).strip(" .!")
    for kind, pattern in _PATTERNS:
        match = pattern.fullmatch(normalised)
        if match is None:
            continue
        reason = match.groupdict().get("reason")
        return ParsedReply(kind, reason.strip()[:MAX_REASON] or None if reason else None)
    return None


@dataclass(frozen=True)
class Responded:
    """What an answer did, for the caller to tell the owner (and the session's thread) after commit."""

    reply: str
    thread_update: tuple[str, str | None, str] | None = None  # (channel, thread_ts, text)


def _next_text(repository: CheckInRepository, intervention: Intervention) -> str:
    waiting = repository.pending_for(intervention.id)
    return human_date(waiting.due_at, intervention.owner_tz) if waiting is not None else "-"


def respond(
    uow: UnitOfWork,
    checkin: CheckIn,
    *,
    user_id: str,
    answer: ParsedReply,
    raw_text: str | None,
    now: datetime,
) -> Responded:
    """Record an owner's answer to ``checkin`` and apply it (inside the caller's unit of work).

    On track and Blocked update the intervention's progress; Done and Not doing close it and cancel
    its waiting check-ins; a snooze moves the waiting check-in to 10:00 local one working day (or a
    week) from today, and the cadence continues from there."""
    repository = CheckInRepository(uow.orm)
    intervention = uow.orm.scalar(
        select(Intervention)
        .where(Intervention.id == checkin.intervention_id)
        .with_for_update(of=Intervention)
    )
    if intervention is None or intervention.status != InterventionStatus.OPEN:
        return Responded(t("checkin_closed_already"))
    if user_id != intervention.owner_id:
        return Responded(t("checkin_not_owner"))
    what = escape(blocks.clip(intervention.what, 500))
    if answer.kind in (ResponseKind.BLOCKED, ResponseKind.NOT_DOING) and not answer.reason:
        return Responded(t(f"checkin_need_reason_{answer.kind.value}"))
    repository.add_response(
        CheckInResponse(
            checkin_id=checkin.id,
            intervention_id=intervention.id,
            user_id=user_id,
            kind=answer.kind.value,
            reason=answer.reason,
            raw_text=raw_text,
            created_at=now,
        )
    )
    if checkin.answered_at is None:
        checkin.answered_at = now
    intervention.escalated_at = None
    reason = escape(answer.reason or "")
    if answer.kind.snoozes:
        calendar = calendar_for(uow.workspaces.get(intervention.workspace_id))
        days = 1 if answer.kind is ResponseKind.SNOOZE_DAY else 7
        target = local_today(now, intervention.owner_tz) + timedelta(days=days)
        waiting = repository.pending_for(intervention.id)
        if waiting is None:
            waiting = CheckIn(
                intervention_id=intervention.id,
                workspace_id=intervention.workspace_id,
                status=CheckInStatus.PENDING,
                attempts=0,
                catch_up=False,
                created_at=now,
            )
            uow.orm.add(waiting)
        waiting.due_on = target
        waiting.due_at = snooze_moment(now, days=days, tz=intervention.owner_tz, calendar=calendar)
        waiting.snoozed = True
        waiting.retry_at = None
        intervention.day_of_month = target.day
        uow.orm.flush()
        return Responded(t("checkin_recorded_snooze", what=what, next=_next_text(repository, intervention)))
    changed = (intervention.progress, intervention.progress_reason) != (answer.kind.value, answer.reason)
    intervention.progress = answer.kind.value
    intervention.progress_reason = answer.reason
    if answer.kind.closes:
        intervention.status = (
            InterventionStatus.DONE if answer.kind is ResponseKind.DONE else InterventionStatus.NOT_DOING
        )
        intervention.closed_at = now
        repository.cancel_waiting(intervention.id)
        reply = t(f"checkin_recorded_{answer.kind.value}", what=what, reason=reason)
    else:
        reply = t(
            f"checkin_recorded_{answer.kind.value}",
            what=what,
            reason=reason,
            next=_next_text(repository, intervention),
        )
    update_text = None
    if changed:
        session = intervention.session
        status = t(f"checkin_status_{answer.kind.value}", reason=reason)
        update_text = (
            session.channel_id,
            None if session.is_dm else session.thread_ts,
            t("checkin_thread_update", owner=mention(intervention.owner_id), what=what, status=status),
        )
    return Responded(reply, update_text)


def post_thread_update(client: WebClient, update_text: tuple[str, str | None, str] | None) -> None:
    """Post a status change in the session's thread for the facilitator and lead (after commit)."""
    if update_text is None:
        return
    channel, thread_ts, text = update_text
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, unfurl_links=False)
    except SlackApiError as error:
        log.warning("status update not posted in %s: %s", channel, _error_code(error))


# --- idle sessions -------------------------------------------------------------------------------------


def nudge_idle_sessions(deps: Deps, clients: ClientFor) -> int:
    """Post one nudge in each active session nobody has touched for three working days.

    Paused, completed and cancelled sessions are left alone. A session is nudged once per quiet spell:
    any answer moves ``updated_at`` past ``idle_nudged_at`` and starts a new spell."""
    now = deps.clock.now()
    table = cast(Table, Session.__table__)
    with deps.uow() as uow:
        candidates = uow.orm.execute(
            select(Session.id, Session.workspace_id, Session.updated_at)
            .where(
                Session.status == SessionStatus.ACTIVE,
                # Three working days are at least three calendar days: a cheap first cut.
                Session.updated_at <= now - timedelta(days=3),
                or_(Session.idle_nudged_at.is_(None), Session.idle_nudged_at < Session.updated_at),
            )
            .order_by(Session.updated_at)
            .limit(IDLE_BATCH)
        ).all()
        calendars: dict[str, WorkingCalendar] = {}
        due: list[int] = []
        for session_id, workspace_id, updated_at in candidates:
            if workspace_id not in calendars:
                calendars[workspace_id] = calendar_for(uow.workspaces.get(workspace_id))
            if is_idle(updated_at, now, tz=deps.settings.playbook_timezone, calendar=calendars[workspace_id]):
                due.append(session_id)
    nudged = 0
    for session_id in due:
        with deps.uow() as uow:
            won = (
                uow.orm.connection()
                .execute(
                    update(table)
                    .where(
                        table.c.id == session_id,
                        table.c.status == SessionStatus.ACTIVE,
                        or_(table.c.idle_nudged_at.is_(None), table.c.idle_nudged_at < table.c.updated_at),
                    )
                    .values(idle_nudged_at=now)
                    .returning(table.c.channel_id, table.c.thread_ts, table.c.is_dm, table.c.workspace_id)
                )
                .first()
            )
            uow.commit()
        if won is None:
            continue
        channel_id, thread_ts, is_dm, workspace_id = won
        try:
            clients(str(workspace_id)).chat_postMessage(
                channel=str(channel_id),
                thread_ts=None if is_dm else thread_ts,
                text=t("idle_nudge", session=session_id),
            )
            nudged += 1
        except (SlackClientError, OSError) as error:
            log.warning("idle nudge for session %s not posted: %s", session_id, error)
    return nudged


# --- workspace nation ----------------------------------------------------------------------------------


def set_nation(uow: UnitOfWork, workspace_id: str, nation: Nation) -> int:
    """Keep ``nation``'s bank holidays in this workspace and re-time its waiting check-ins.
    Returns how many check-ins were re-timed."""
    uow.workspaces.change_settings(workspace_id, nation=nation)
    calendar = WorkingCalendar(nation)
    moved = 0
    for waiting in CheckInRepository(uow.orm).pending_in_workspace(workspace_id):
        moment = checkin_moment(waiting.due_on, tz=waiting.intervention.owner_tz, calendar=calendar)
        if waiting.snoozed or moment == waiting.due_at:
            continue
        waiting.due_at = moment
        moved += 1
    return moved


def first_checkin_label(first_due: date, tz: str | None, calendar: WorkingCalendar) -> str:
    return human_date(checkin_moment(first_due, tz=tz, calendar=calendar), tz)

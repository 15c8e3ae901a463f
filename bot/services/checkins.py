"""Interventions and their check-ins: creating them (from a completed session, or with the intervention
form), sending due check-ins exactly once, recording the owners' answers (buttons, the reason modal, or
typed in the DM), escalating silence, and the workspace's nation (whose bank holidays check-ins skip).

The schedule lives in the ``checkins`` table (``storage/checkins.py``); APScheduler calls
:func:`dispatch_due` every minute (``bot/scheduler.py``), and it can run in any number of processes at
once. Rules worth knowing:

* **Exactly once, across crashes and clocks.** Due rows are claimed with row locks (PostgreSQL) or a
  conditional update (SQLite), and the claim (``sending``) is committed before anything is posted, so
  two dispatchers never send the same check-in. Every check-in carries Slack message metadata
  (``{"event_type": "playbook_checkin", "event_payload": {"checkin_id": N}}``). If a dispatcher dies
  after claiming (before Slack accepted the message or after), its claims are taken over once older
  than ``PLAYBOOK_SENDING_TIMEOUT_SECONDS`` (default ten minutes, ``storage.checkins.SENDING_TIMEOUT``);
  a check-in claimed a second time, or whose post ended in a dropped connection, is first looked for
  in the owner's DM (``conversations.history`` with ``include_all_metadata``) and only posted if it is
  not there. Due-ness and claim age are measured by the database's clock (``Deps.shared_now``), so a
  worker whose clock runs fast neither sends early nor takes a live worker's claims; and a dispatcher
  posts nothing from a claim older than half the timeout (it gives the row back), so a slow one never
  posts what another has taken over. Outcomes are recorded a batch at a time, in one transaction.
* **Missed while down.** A check-in whose time passed while nothing was running is sent once on
  recovery. Each open intervention has one waiting row, so however long the outage, the owner gets one
  message, not a backlog; a message more than ``CATCH_UP_AFTER`` (seven days) late says it is a
  catch-up and when it was due, and the cadence then resumes at its first date still in the future.
* **Failures.** Slack 429s and 5xx are retried inside the WebClient (its retry handlers honour
  ``Retry-After``); a send that still fails goes back to ``pending`` with ``attempts`` and
  ``last_error`` and is retried with back-off (2, 4, 8 … minutes, at most hourly), never dropped.
* **Escalation.** When a check-in is sent and the two before it both went unanswered, the facilitator
  (by DM) and the leads channel are told, once per silent spell: the escalation is queued in the
  outbox in the transaction that records the check-in as sent, so the outbox's sender posts it exactly
  once (``bot/delivery.py``), whatever crashes after that commit.
* **Time zones.** A check-in goes at 10:00 in its owner's Slack time zone, looked up (``users.info``,
  outside any transaction) before the dispatcher sends; until then, and for a person Slack gives no
  zone, the workspace's zone (``PLAYBOOK_TIMEZONE``).

Which check-in a DM reply answers (:func:`answer_typed`): a reply in a check-in's thread answers that
check-in; any other DM reply answers the owner's most recent unanswered check-in, unless the person has
a session running in the DM that they touched more recently than that check-in was sent, in which case
only a reply that reads as a check-in answer (``done``, ``snooze`` …) is taken here and everything else
goes to the session.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import delivery
from bot.codec import CheckInValue
from bot.delivery import ClientFor, Outgoing, Post, Queue, Shown, Update
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import NotAllowed, PlaybookError, SessionNotFound
from bot.ids import CheckInBlockId
from bot.keepalive import TRANSPORT_ERRORS
from bot.mrkdwn import escape, mention
from bot.pacing import RATE_LIMITED_TRIES, Pacer, retry_after, without_rate_limit_retries
from bot.request import Caller
from bot.services import access, conversation, language, leads, workspace
from bot.services.workspace import EffectiveSettings, settings_for
from bot.views.checkins import (
    CheckInCard,
    InterventionSubmission,
    ReasonSubmission,
    answered_checkin_message,
    answered_label,
    checkin_message,
    intervention_modal,
    reason_label,
    reason_modal,
)
from bot.views.common import clip
from flows import commands, parsing, policy
from flows.calendar import Cadence, WorkingCalendar, checkin_moment, local_today, next_due_date, snooze_moment
from flows.dates import human_date
from flows.engine import Answer
from flows.i18n import t
from flows.interventions import (
    INTERVENTIONS_REPEAT,
    MAX_REASON,
    CheckInAnswer,
    NewIntervention,
    ParsedCheckInReply,
    interventions_from_answers,
    parse_checkin_reply,
)
from storage.checkins import CATCH_UP_AFTER, Claimed, Mark, NextCheckIn, SendHistory, SentBefore
from storage.models import (
    FORMER_PARTICIPANT,
    CheckIn,
    CheckInResponse,
    CheckInStatus,
    Intervention,
    InterventionStatus,
    Session,
    SessionStatus,
)
from storage.settings import WorkspaceSettings
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.checkins")

CLAIM_BATCH = 50
# Check-ins posted at once: enough that the round trip to Slack is not what limits the rate (at
# 50 ms a post, 16 in flight reach 320 a second), paced together by Slack's 429s (bot/pacing.py).
SENDS_IN_FLIGHT = 16
# Batches claimed ahead of the one being recorded: the next batch is claimed while this one is sent.
BATCHES_AHEAD = 1
# One dispatcher run stops after this many batches, so a wake-up never outlives the next one by much.
MAX_BATCHES = 200
# How much of an intervention's wording replies, thread updates and escalations quote.
WHAT_QUOTE_LIMIT = 500


def _zone(intervention: Intervention, settings: EffectiveSettings) -> str:
    """The owner's time zone; the workspace's until Slack has told us theirs."""
    return intervention.owner_tz or settings.timezone


def _locale(uow: UnitOfWork, intervention: Intervention) -> str:
    """The owner's language: check-ins and their replies are written to the owner."""
    return language.person_locale(uow, intervention.workspace_id, intervention.owner_id)


# --- creating interventions ----------------------------------------------------------------------------


def add_intervention(
    uow: UnitOfWork,
    session: Session,
    new: NewIntervention,
    settings: EffectiveSettings,
    *,
    created_by: str,
    now: datetime,
    source_item: int | None = None,
    owner_tz: str | None = None,
) -> Intervention:
    """Store an intervention and its first check-in (inside the caller's unit of work).

    Until the owner's Slack time zone is known (the dispatcher looks it up before sending), the first
    check-in is timed for 10:00 in the workspace's zone."""
    uow.workspaces.get_or_create(session.workspace_id)
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
        due_at=checkin_moment(new.first_due, tz=owner_tz or settings.timezone, calendar=settings.calendar),
        status=CheckInStatus.PENDING,
        snoozed=False,
        attempts=0,
        catch_up=False,
        created_at=now,
    )
    return uow.checkins.add_intervention(intervention, first)


def materialise_interventions(
    uow: UnitOfWork,
    session: Session,
    answers: Mapping[str, Answer],
    now: datetime,
    settings: EffectiveSettings,
) -> int:
    """Turn a completed session's ``interventions`` answers into interventions with their first
    check-ins, in the same unit of work as the completion. Safe to call twice: items already stored
    are skipped. Returns how many were created."""
    created = 0
    for item, new in interventions_from_answers(answers):
        if uow.checkins.has_source(session.id, item):
            continue
        author = answers[f"{INTERVENTIONS_REPEAT}.{item}.what"].author or session.facilitator_id
        add_intervention(uow, session, new, settings, created_by=author, now=now, source_item=item)
        created += 1
    return created


# --- the intervention form (/playbook intervene, the Add intervention button) ---------------------------


def _session_to_add_to(
    uow: UnitOfWork, deps: Deps, caller: Caller, session_id: int
) -> tuple[Session, EffectiveSettings]:
    """The session (and the workspace's settings), if the caller may add interventions to it: people
    taking part, the facilitator and leads."""
    session = uow.sessions.get(caller.team_id, session_id)
    locale = language.person_locale(uow, caller.team_id, caller.user_id)
    if session is None:
        raise SessionNotFound(t("unknown_session", locale, session=session_id))
    settings = settings_for(deps, uow, caller.team_id)
    if not policy.may_add_intervention(conversation.people_of(session), settings.lead_ids, caller.user_id):
        raise NotAllowed(t("intervene_not_allowed", locale, session=session_id))
    return session, settings


def open_intervention_form(
    deps: Deps, client: WebClient, caller: Caller, session_id: int, *, clicked: bool = False
) -> Shown:
    """The Add intervention button (``clicked``: it must be the session's own message) and
    ``/playbook intervene``: the form, for those who may see the session and add to it."""
    access.ensure_session_visible(deps, client, caller, session_id)
    with deps.uow() as uow:
        session, settings = _session_to_add_to(uow, deps, caller, session_id)
        locale = language.person_locale(uow, caller.team_id, caller.user_id)  # the form is the caller's
        if clicked:
            # The button is on the summary in the session's thread, and on the leads summary.
            access.ensure_clicked_in(session.channel_id, session_id, caller, also=[settings.leads_channel])
    if caller.trigger_id is None:
        return Shown()
    form = intervention_modal(session_id, settings.today(deps.clock.now()), locale)
    return Shown(messages=[delivery.open_view(caller.trigger_id, form)])


def intervene_command(deps: Deps, client: WebClient, caller: Caller, argument: str) -> Shown:
    """``/playbook intervene <session>``: open the intervention form for that session."""
    session_id = commands.session_ref(argument)
    locale = language.caller_locale(deps, caller)
    if session_id is None:
        return Shown(ack=t("intervene_needs_session", locale))
    shown = open_intervention_form(deps, client, caller, session_id)
    return shown.model_copy(update={"ack": t("intervene_opened", locale, session=session_id)})


def add_from_form(deps: Deps, client: WebClient, caller: Caller, view: dict[str, Any]) -> Shown:
    """The submitted intervention form: anything missing or unreadable keeps the form open with the
    reason under it; otherwise the intervention and its first check-in are stored and the session's
    thread is told."""
    form = InterventionSubmission.from_view(view)
    if form is None:
        return Shown()
    now = deps.clock.now()
    errors: dict[str, str] = {}
    with deps.uow() as uow:
        today = settings_for(deps, uow, caller.team_id).today(now)
        own_locale = language.person_locale(uow, caller.team_id, caller.user_id)
    if not form.what:
        errors[CheckInBlockId.WHAT.value] = t("intervene_what", own_locale)
    if not form.owner:
        errors[CheckInBlockId.OWNER.value] = t("intervene_owner", own_locale)
    first = parsing.parse_date(form.picked_date, today=today, locale=own_locale)
    if isinstance(first, parsing.ParseFailure):
        errors[CheckInBlockId.FIRST_CHECKIN.value] = first.message
    cadence = form.chosen_cadence
    if cadence is None:
        errors[CheckInBlockId.CADENCE.value] = t("intervene_cadence", own_locale)
    if errors or isinstance(first, parsing.ParseFailure) or cadence is None:
        return Shown(view_errors=errors)
    new = NewIntervention(form.what, form.owner, first, cadence)
    access.ensure_session_visible(deps, client, caller, form.session_id)
    with deps.uow() as uow:
        session, settings = _session_to_add_to(uow, deps, caller, form.session_id)
        add_intervention(uow, session, new, settings, created_by=caller.user_id, now=now)
        place, locale = conversation.Place.of(session), session.locale
        # A leads message already posted about the problem lists its interventions: it gets this one,
        # queued in the transaction that stores it.
        queue = Queue(uow, session.workspace_id, now)
        queue.extend(leads.updates(leads.refresh(uow, session, settings, now)), session)
        uow.commit()
    first_at = checkin_moment(first, tz=settings.timezone, calendar=settings.calendar)
    added = t(
        "intervention_added",
        locale,
        owner=mention(form.owner, locale),
        what=escape(clip(form.what, WHAT_QUOTE_LIMIT)),
        first=human_date(first_at, None, locale, fallback=settings.timezone),
        cadence=t(f"cadence_{cadence}", locale),
    )
    # The intervention is stored: telling the thread is a courtesy that must not fail the form.
    return queue.shown(messages=[place.post(added, best_effort=True)])


# --- the owners' answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Responded:
    """What an answer did, for the caller to tell the owner (and the session's thread) after commit."""

    reply: str
    # The status change, posted in the session's thread for the facilitator and leads.
    thread_update: Post | None = None
    # False when someone other than the owner answered (nothing changed, the buttons stay).
    by_owner: bool = True


def _next_text(uow: UnitOfWork, intervention: Intervention, settings: EffectiveSettings) -> str:
    waiting = uow.checkins.pending_for(intervention.id)
    if waiting is None:
        return "-"
    return human_date(
        waiting.due_at, intervention.owner_tz, _locale(uow, intervention), fallback=settings.timezone
    )


def respond(
    uow: UnitOfWork,
    checkin: CheckIn,
    settings: EffectiveSettings,
    *,
    user_id: str,
    answer: ParsedCheckInReply,
    raw_text: str | None,
    now: datetime,
) -> Responded:
    """Record an owner's answer to ``checkin`` and apply it (inside the caller's unit of work).

    On track and Blocked update the intervention's progress; Done and Not doing close it and cancel
    its waiting check-ins; a snooze moves the waiting check-in to 10:00 local one working day (or a
    week) from today, and the cadence continues from there."""
    intervention = uow.checkins.get_intervention(checkin.intervention_id, for_update=True)
    if intervention is None or intervention.status != InterventionStatus.OPEN:
        return Responded(
            t("checkin_closed_already", language.person_locale(uow, checkin.workspace_id, user_id))
        )
    locale = _locale(uow, intervention)
    if user_id != intervention.owner_id:
        return Responded(t("checkin_not_owner", locale), by_owner=False)
    what = escape(clip(intervention.what, WHAT_QUOTE_LIMIT))
    kind = answer.kind
    if kind.needs_reason and not answer.reason:
        return Responded(t(f"checkin_need_reason_{kind.value}", locale))
    uow.checkins.add_response(
        CheckInResponse(
            checkin_id=checkin.id,
            intervention_id=intervention.id,
            user_id=user_id,
            kind=kind.value,
            reason=answer.reason,
            raw_text=raw_text,
            created_at=now,
        )
    )
    if checkin.answered_at is None:
        checkin.answered_at = now
    intervention.escalated_at = None
    reason = escape(answer.reason or "")
    zone = _zone(intervention, settings)
    if kind.snoozes:
        days = 1 if kind is CheckInAnswer.SNOOZE_DAY else 7
        target = local_today(now, zone) + timedelta(days=days)
        moment = snooze_moment(now, days=days, tz=zone, calendar=settings.calendar)
        waiting = uow.checkins.pending_for(intervention.id)
        if waiting is None:
            uow.checkins.add_checkin(
                CheckIn(
                    intervention_id=intervention.id,
                    workspace_id=intervention.workspace_id,
                    due_on=target,
                    due_at=moment,
                    status=CheckInStatus.PENDING,
                    snoozed=True,
                    attempts=0,
                    catch_up=False,
                    created_at=now,
                )
            )
        else:
            waiting.due_on = target
            waiting.due_at = moment
            waiting.snoozed = True
            waiting.retry_at = None
        intervention.day_of_month = target.day
        uow.flush()
        return Responded(
            t("checkin_recorded_snooze", locale, what=what, next=_next_text(uow, intervention, settings))
        )
    changed = (intervention.progress, intervention.progress_reason) != (kind.value, answer.reason)
    intervention.progress = kind.value
    intervention.progress_reason = answer.reason
    if kind.closes:
        intervention.status = (
            InterventionStatus.DONE if kind is CheckInAnswer.DONE else InterventionStatus.NOT_DOING
        )
        intervention.closed_at = now
        uow.checkins.cancel_waiting(intervention.id)
        reply = t(f"checkin_recorded_{kind.value}", locale, what=what, reason=reason)
    else:
        reply = t(
            f"checkin_recorded_{kind.value}",
            locale,
            what=what,
            reason=reason,
            next=_next_text(uow, intervention, settings),
        )
    thread_update = None
    if changed:
        thread_locale = intervention.session.locale  # the session's thread: its own language
        status = t(f"checkin_status_{kind.value}", thread_locale, reason=reason)
        update = t(
            "checkin_thread_update",
            thread_locale,
            owner=mention(intervention.owner_id, thread_locale),
            what=what,
            status=status,
        )
        # A courtesy for the facilitator and leads: its failure never undoes the answer.
        thread_update = conversation.Place.of(intervention.session).post(update, best_effort=True)
    return Responded(reply, thread_update)


def _told(responded: Responded, channel: str, thread_ts: str | None = None) -> list[Outgoing]:
    messages: list[Outgoing] = [delivery.post(channel, responded.reply, thread_ts=thread_ts)]
    if responded.thread_update is not None:
        messages.append(responded.thread_update)
    return messages


def _checkin_answered_by(uow: UnitOfWork, caller: Caller, reads_as_answer: bool) -> CheckIn | None:
    """The check-in a DM message answers (the rule is in the module docstring), or None."""
    if caller.thread_ts:
        return uow.checkins.awaiting_answer(caller.team_id, caller.user_id, message_ts=caller.thread_ts)
    checkin = uow.checkins.awaiting_answer(caller.team_id, caller.user_id)
    if checkin is None or checkin.sent_at is None:
        return None
    session = uow.sessions.open_dm_session(caller.team_id, caller.channel_id)
    if (
        session is not None
        and session.status == SessionStatus.ACTIVE
        and session.updated_at > checkin.sent_at
        and not reads_as_answer
    ):
        return None
    return checkin


def answer_typed(deps: Deps, client: WebClient, caller: Caller, text: str) -> Shown | None:
    """A message in the app's DM that answers one of the person's check-ins (typed ``on track``,
    ``blocked: supplier late`` …), recorded once however often Slack delivers it. None when the
    message is not a check-in answer (see the module docstring): the conversation gets it."""
    if not caller.is_dm or not caller.user_id:
        return None
    answer = parse_checkin_reply(text)
    event_id = caller.event_id or f"{caller.channel_id}:{caller.message_ts}"
    with deps.uow() as uow:
        checkin = _checkin_answered_by(uow, caller, answer is not None)
        if checkin is None:
            return None
        if not uow.events.claim(event_id, caller.team_id):
            log.info("retried delivery of %s ignored", event_id)
            return Shown()
        answered: Update | None = None
        if answer is None:
            responded = Responded(t("checkin_not_understood", _locale(uow, checkin.intervention)))
        else:
            settings = settings_for(deps, uow, caller.team_id)
            responded = respond(
                uow,
                checkin,
                settings,
                user_id=caller.user_id,
                answer=answer,
                raw_text=text,
                now=deps.clock.now(),
            )
            if responded.by_owner:
                # A typed answer retires the message's buttons just as a click does.
                answered = _answered_update(
                    checkin, caller.user_id, answer, _locale(uow, checkin.intervention)
                )
        uow.commit()
    told = _told(responded, caller.channel_id, caller.thread_ts)
    return Shown(messages=([answered] if answered is not None else []) + told)


def _answer_by_click(deps: Deps, caller: Caller, checkin_id: int, answer: ParsedCheckInReply) -> Shown:
    """Apply a button or reason-modal answer; then the check-in message shows who answered what (its
    buttons gone), the owner is told, and so is the session's thread."""
    with deps.uow() as uow:
        checkin = uow.checkins.get(checkin_id)
        if checkin is None or checkin.workspace_id != caller.team_id:
            raise PlaybookError(
                t("checkin_closed_already", language.person_locale(uow, caller.team_id, caller.user_id))
            )
        settings = settings_for(deps, uow, caller.team_id)
        responded = respond(
            uow, checkin, settings, user_id=caller.user_id, answer=answer, raw_text=None, now=deps.clock.now()
        )
        channel = checkin.channel_id
        locale = _locale(uow, checkin.intervention)
        answered = _answered_update(checkin, caller.user_id, answer, locale) if responded.by_owner else None
        uow.commit()
    messages: list[Outgoing] = [answered] if answered is not None else []
    return Shown(messages=messages + _told(responded, channel or caller.user_id))


def _answered_update(
    checkin: CheckIn, user_id: str, answer: ParsedCheckInReply, locale: str
) -> Update | None:
    """The check-in message as answered (``chat.update``): its question kept, the buttons replaced by
    who answered what. None when the message was never posted."""
    if not (checkin.channel_id and checkin.message_ts):
        return None
    card = CheckInCard(checkin.id, checkin.intervention.what, checkin.intervention.session_id)
    label = answered_label(answer.kind, answer.reason, locale)
    text, blocks = answered_checkin_message(card, user_id, label, locale)
    return Update(
        channel=checkin.channel_id,
        ts=checkin.message_ts,
        text=text,
        blocks=delivery.as_dicts(blocks),
        best_effort=True,
    )


def _locale_of_checkin(deps: Deps, team_id: str, checkin_id: int) -> str:
    with deps.uow() as uow:
        checkin = uow.checkins.get(checkin_id)
        if checkin is None or checkin.workspace_id != team_id:
            return "en"
        return _locale(uow, checkin.intervention)


def answer_button(deps: Deps, caller: Caller, value: CheckInValue) -> Shown:
    """A check-in's button. Blocked and Not doing first ask for the reason in a modal."""
    try:
        kind = CheckInAnswer(value.r)
    except ValueError:
        return Shown()
    if kind.needs_reason:
        if caller.trigger_id is None:
            return Shown()
        form = reason_modal(value.c, kind, _locale_of_checkin(deps, caller.team_id, value.c))
        return Shown(messages=[delivery.open_view(caller.trigger_id, form)])
    return _answer_by_click(deps, caller, value.c, ParsedCheckInReply(kind))


def answer_reason(deps: Deps, caller: Caller, view: dict[str, Any]) -> Shown:
    """The submitted reason modal: an empty reason keeps it open; otherwise the answer is applied."""
    submission = ReasonSubmission.from_view(view)
    if submission is None:
        return Shown()
    if not submission.reason:
        locale = _locale_of_checkin(deps, caller.team_id, submission.checkin_id)
        return Shown(view_errors={CheckInBlockId.REASON.value: reason_label(submission.answer, locale)})
    answer = ParsedCheckInReply(submission.answer, submission.reason[:MAX_REASON])
    return _answer_by_click(deps, caller, submission.checkin_id, answer)


# --- the workspace's nation ----------------------------------------------------------------------------


def nation_command(deps: Deps, client: WebClient, caller: Caller, argument: str) -> Shown:
    """``/playbook nation [england-and-wales|scotland|northern-ireland]``: show or set whose bank
    holidays check-ins skip, and re-time the workspace's waiting check-ins. Changing it: a workspace
    admin or owner, or a lead (``workspace.change_settings``)."""
    with deps.uow() as uow:
        settings = settings_for(deps, uow, caller.team_id)
        locale = language.person_locale(uow, caller.team_id, caller.user_id)
    nation = commands.nation(argument) if argument else None
    if nation is None:
        return Shown(ack=t("nation_usage", locale, nation=t(f"nation_{settings.nation}", locale)))

    def retime_waiting_checkins(uow: UnitOfWork, _after: WorkspaceSettings) -> None:
        calendar = WorkingCalendar(nation)
        for waiting in uow.checkins.pending_in_workspace(caller.team_id):
            if waiting.snoozed:
                continue
            zone = _zone(waiting.intervention, settings)
            waiting.due_at = checkin_moment(waiting.due_on, tz=zone, calendar=calendar)

    workspace.change_settings(deps, client, caller, then=retime_waiting_checkins, nation=nation)
    return Shown(ack=t("nation_set", locale, nation=t(f"nation_{nation}", locale)))


# --- dispatching ---------------------------------------------------------------------------------------

# The Slack message metadata every check-in carries: it names the check-in, so a dispatcher unsure
# whether an earlier attempt reached Slack finds it in the owner's DM instead of sending it again.
CHECKIN_EVENT = "playbook_checkin"


def checkin_metadata(checkin_id: int) -> dict[str, Any]:
    return {"event_type": CHECKIN_EVENT, "event_payload": {"checkin_id": checkin_id}}


@dataclass
class DispatchReport:
    """One dispatcher run: check-ins claimed; marked sent (posted now, or ``found`` already in the
    owner's DM from an attempt whose outcome was unknown); failed (back to pending, retried later);
    escalations decided; claims ``given_back`` unused because they were too old to use safely."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    escalated: int = 0
    found: int = 0
    given_back: int = 0


@dataclass(frozen=True)
class _Outgoing:
    claim: Claimed
    workspace_id: str
    owner_id: str
    post: Post
    catch_up: bool


@dataclass(frozen=True)
class _Outcome:
    """What became of one claimed check-in: ``sent`` (posted now), ``found`` (already in the DM),
    ``failed`` (Slack refused or could not be reached), ``late`` (not posted: the claim was too old)."""

    claim: Claimed
    kind: Literal["sent", "found", "failed", "late"]
    landed: delivery.Sent | None = None
    catch_up: bool = False
    error: str | None = None


@dataclass(frozen=True)
class _Escalation:
    """An escalation queued in the outbox with the check-in's record (``queued``: its outbox ids)."""

    workspace_id: str
    queued: list[int]


def _error_text(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        response = getattr(error, "response", None)
        code = response.get("error") if response is not None else None
        return str(code or error)
    return f"{type(error).__name__}: {error}"


def resolve_owner_timezones(deps: Deps, clients: ClientFor) -> int:
    """Look up the Slack time zone of owners not yet known (``users.info``, with no transaction open)
    and re-time their waiting check-ins to 10:00 local. A user Slack cannot describe gets the
    workspace's zone; a transport failure leaves the zone unknown for the next run (the check-in still
    goes, at 10:00 in the workspace's zone)."""
    with deps.uow() as uow:
        todo = [(i.id, i.workspace_id, i.owner_id) for i in uow.checkins.open_without_timezone()]
    resolved = 0
    for intervention_id, workspace_id, owner_id in todo:
        try:
            tz = Directory(clients(workspace_id)).timezone(owner_id) or deps.settings.playbook_timezone
        except SlackApiError as error:
            log.warning("users.info for %s failed (%s); using the default zone", owner_id, _error_text(error))
            tz = deps.settings.playbook_timezone
        except TRANSPORT_ERRORS:  # a network failure must not stop the dispatcher
            log.warning("users.info for %s could not be reached; will try again", owner_id, exc_info=True)
            continue
        with deps.uow() as uow:
            intervention = uow.checkins.get_intervention(intervention_id)
            if intervention is None or intervention.owner_tz is not None:
                continue
            intervention.owner_tz = tz
            settings = settings_for(deps, uow, workspace_id)
            waiting = uow.checkins.pending_for(intervention_id)
            if waiting is not None:
                waiting.due_at = checkin_moment(waiting.due_on, tz=tz, calendar=settings.calendar)
            uow.commit()
            resolved += 1
    return resolved


def dispatch_due(
    deps: Deps, clients: ClientFor, *, batch: int = CLAIM_BATCH, max_batches: int = MAX_BATCHES
) -> DispatchReport:
    """Send every check-in that is due now (by the database's clock: ``Deps.shared_now``), a batch at
    a time: claim and prepare the batch in one transaction, post (or find in the DM) each check-in
    with no transaction open, then record every outcome of the batch in one transaction.

    Safe to run in several threads or processes against one database at once (see the module
    docstring). ``clients`` must not repeat a post by itself after a dropped connection or a 5xx
    (slack_sdk's connection-error and server-error retry handlers would): Slack may have accepted
    the first one; a failed post is retried here, after looking in the DM."""
    resolve_owner_timezones(deps, clients)
    report = DispatchReport()
    sending_timeout = timedelta(seconds=deps.settings.playbook_sending_timeout_seconds)
    # A claim is used for at most half the time after which other dispatchers take it over: a slow
    # dispatcher gives its last claims back rather than post what another may be posting.
    use_within = sending_timeout.total_seconds() / 2
    # Every sender of this run waits out a 429's Retry-After together (bot/pacing.py); a post Slack
    # refused with a 429 was not taken, so it is offered again.
    pacer = Pacer()
    paced: dict[str, WebClient] = {}

    def paced_client(workspace_id: str) -> WebClient:
        if workspace_id not in paced:
            paced[workspace_id] = without_rate_limit_retries(clients(workspace_id))
        return paced[workspace_id]

    # Pipelined: while one batch is being sent, the next is claimed, and the one before is recorded;
    # the database's work and Slack's round trips overlap, and the sends of a batch go at once.
    in_flight: deque[list[Future[_Outcome]]] = deque()

    def finish(futures: list[Future[_Outcome]]) -> None:
        outcomes = [future.result() for future in futures]
        escalations = _record(deps, outcomes)
        report.sent += sum(outcome.kind in ("sent", "found") for outcome in outcomes)
        report.found += sum(outcome.kind == "found" for outcome in outcomes)
        report.failed += sum(outcome.kind == "failed" for outcome in outcomes)
        report.given_back += sum(outcome.kind == "late" for outcome in outcomes)
        report.escalated += len(escalations)
        for escalation in escalations:
            _post_escalation(deps, clients, escalation)

    with ThreadPoolExecutor(max_workers=SENDS_IN_FLIGHT, thread_name_prefix="checkin-send") as pool:
        for _ in range(max_batches):
            claiming_from = time.monotonic()
            token = str(uuid.uuid4())
            with deps.uow() as uow:
                now = deps.shared_now(uow)
                claims = uow.checkins.claim_due(now, token, batch, sending_timeout=sending_timeout)
                uow.checkins.hold_all(claims)  # one read for the batch
                outgoing = _prepare_all(uow, claims, now)
                uow.commit()
            if not claims:
                break
            report.claimed += len(claims)
            deadline = claiming_from + use_within
            in_flight.append(
                [pool.submit(_deliver, paced_client, item, deadline, pacer) for item in outgoing]
            )
            while len(in_flight) > BATCHES_AHEAD:
                finish(in_flight.popleft())
        while in_flight:
            finish(in_flight.popleft())
    return report


def _prepare_all(uow: UnitOfWork, claims: list[Claimed], now: datetime) -> list[_Outgoing]:
    """What to send for a batch of claims (inside the claiming transaction, after ``hold_all``): the
    owners' languages read in one query per workspace, not one per check-in."""
    held = [(claim, checkin) for claim in claims if (checkin := uow.checkins.holding(claim)) is not None]
    owners: dict[str, set[str]] = {}
    for _, checkin in held:
        owners.setdefault(checkin.intervention.workspace_id, set()).add(checkin.intervention.owner_id)
    locales = {
        (workspace_id, user_id): locale
        for workspace_id, user_ids in owners.items()
        for user_id, locale in language.people_locales(uow, workspace_id, user_ids).items()
    }
    return [item for claim, checkin in held if (item := _prepare(claim, checkin, now, locales)) is not None]


def _prepare(
    claim: Claimed, checkin: CheckIn, now: datetime, locales: Mapping[tuple[str, str], str]
) -> _Outgoing | None:
    """What to send for a claimed check-in; None, and the row cancelled, if its intervention was
    closed."""
    intervention = checkin.intervention
    if intervention.status != InterventionStatus.OPEN:
        checkin.status = CheckInStatus.CANCELLED
        checkin.claim_token = None
        return None
    late = now - checkin.due_at > CATCH_UP_AFTER
    card = CheckInCard(
        checkin.id,
        intervention.what,
        intervention.session_id,
        catch_up_from=checkin.due_on if late else None,
    )
    text, content = checkin_message(card, locales[(intervention.workspace_id, intervention.owner_id)])
    post = delivery.post(intervention.owner_id, text, content, metadata=checkin_metadata(checkin.id))
    return _Outgoing(claim, intervention.workspace_id, intervention.owner_id, post, late)


def _deliver(clients: ClientFor, item: _Outgoing, deadline: float, pacer: Pacer | None = None) -> _Outcome:
    """Post one claimed check-in, with no transaction open. A check-in claimed before (an earlier
    attempt's outcome is unknown) is first looked for in the owner's DM by its metadata: found, it is
    not posted again; a failed look is a failed attempt, never a reason to post blind. With ``pacer``,
    each post waits its turn, and one refused with a 429 is offered again after the pause."""
    claim = item.claim
    pacer = pacer or Pacer()
    try:
        client = clients(item.workspace_id)
        if claim.may_have_been_sent:
            directory = Directory(client)
            dm = directory.dm_with(item.owner_id)
            ts = directory.find_by_metadata(dm, CHECKIN_EVENT, {"checkin_id": claim.checkin_id})
            if ts is not None:
                log.info("check-in %s is already in the DM (%s); not sent again", claim.checkin_id, ts)
                return _Outcome(claim, "found", delivery.Sent(dm, ts), item.catch_up)
        for tries_left in range(RATE_LIMITED_TRIES - 1, -1, -1):
            pacer.wait()
            if time.monotonic() > deadline:
                return _Outcome(claim, "late")
            try:
                [landed] = delivery.send_located(client, [item.post])
                break
            except SlackApiError as error:
                wait = retry_after(error)
                if wait is None or not tries_left:
                    raise
                pacer.pause(wait)  # Slack took nothing: everyone waits, then this one goes again
    except TRANSPORT_ERRORS as error:  # the row goes back to pending, visible, and is retried
        message = _error_text(error)
        log.warning("check-in %s not sent: %s", claim.checkin_id, message)
        return _Outcome(claim, "failed", error=message)
    return _Outcome(claim, "sent", landed, item.catch_up)


def _record(deps: Deps, outcomes: list[_Outcome]) -> list[_Escalation]:
    """Record a batch's outcomes in one transaction: sent rows marked (and the next check-in of each
    cadence queued), failed ones back to pending with their error, unused claims given back, and the
    escalations decided queued in the outbox (so a crash after this commit loses none, and the
    outbox's sender posts each once); returns those escalations.

    A bounded number of statements whatever the batch's size: the claimed rows read in one query, the
    interventions' recent sent and waiting check-ins in one, the marks as one executemany, the next
    check-ins as one insert (give-backs, failures and escalations, rare, add theirs)."""
    escalations: list[_Escalation] = []
    if not outcomes:
        return escalations
    with deps.uow() as uow:
        now = deps.shared_now(uow)
        settings: dict[str, EffectiveSettings] = {}
        uow.checkins.hold_all([outcome.claim for outcome in outcomes])  # one read for the batch
        delivered: list[tuple[_Outcome, CheckIn]] = []
        for outcome in outcomes:
            if outcome.kind == "late":
                uow.checkins.give_back(outcome.claim)
            elif outcome.kind == "failed":
                uow.checkins.release_failed(outcome.claim, now, outcome.error or "")
            elif (checkin := uow.checkins.holding(outcome.claim)) is not None:
                delivered.append((outcome, checkin))
            else:
                # The intervention was closed while we were sending (the row is cancelled).
                log.info("check-in %s changed while it was being sent", outcome.claim.checkin_id)
        # Read after the give-backs and failures above are written: a row given back is waiting.
        histories = uow.checkins.send_histories({c.intervention_id for _, c in delivered}, sent_limit=2)
        marks: list[Mark] = []
        upcoming: list[NextCheckIn] = []
        for outcome, checkin in delivered:
            landed = outcome.landed or delivery.Sent(None, None)
            marks.append(Mark(outcome.claim, landed.channel, landed.ts, outcome.catch_up))
            escalation = _mark_sent(
                deps, uow, checkin, histories[checkin.intervention_id], now, settings, upcoming
            )
            if escalation is not None:
                escalations.append(escalation)
        uow.checkins.mark_all_sent(marks, now)
        uow.checkins.add_next_all(upcoming, now)
        uow.commit()
    return escalations


def _mark_sent(
    deps: Deps,
    uow: UnitOfWork,
    checkin: CheckIn,
    history: SendHistory,
    now: datetime,
    settings: dict[str, EffectiveSettings],
    upcoming: list[NextCheckIn],
) -> _Escalation | None:
    """For a check-in being marked sent: the next one in the cadence (added to ``upcoming`` unless one
    is waiting already), and whether to escalate (the escalation is queued in the outbox in this
    transaction). ``history`` is the intervention's, brought up to date with this check-in."""
    intervention = checkin.intervention
    workspace_id = intervention.workspace_id
    if workspace_id not in settings:
        settings[workspace_id] = settings_for(deps, uow, workspace_id)
    own = settings[workspace_id]
    earlier = [c for c in history.recent_sent if c.checkin_id != checkin.id][:2]
    history.recent_sent = [SentBefore(checkin.id, now, answered=False), *earlier]
    if not history.has_pending:
        upcoming.append(_next_checkin(checkin, intervention, own, now))
        history.has_pending = True
    silent = len(earlier) == 2 and not any(c.answered for c in earlier)
    if silent and intervention.escalated_at is None:
        intervention.escalated_at = now
        queue = delivery.Queue(uow, workspace_id, deps.clock.now())
        for post in _escalation_posts(intervention, own):
            queue.add(post, intervention.session)
        return _Escalation(workspace_id, queue.ids)
    return None


def _next_checkin(
    sent: CheckIn, intervention: Intervention, settings: EffectiveSettings, now: datetime
) -> NextCheckIn:
    """The next check-in of the cadence: its first date whose 10:00 local is still ahead."""
    due = sent.due_on
    zone = _zone(intervention, settings)
    while True:
        due = next_due_date(due, cast(Cadence, intervention.cadence), day_of_month=intervention.day_of_month)
        moment = checkin_moment(due, tz=zone, calendar=settings.calendar)
        if moment > now:
            return NextCheckIn(intervention.id, intervention.workspace_id, due, moment)


def _escalation_posts(intervention: Intervention, settings: EffectiveSettings) -> list[Post]:
    """Two check-ins in a row unanswered: tell the facilitator (by DM) and the leads channel."""
    session = intervention.session
    locale = session.locale  # to the facilitator and the leads channel: the session's language
    text = t(
        "checkin_escalation",
        locale,
        owner=mention(intervention.owner_id, locale),
        what=escape(clip(intervention.what, WHAT_QUOTE_LIMIT)),
        session=session.id,
        facilitator=mention(session.facilitator_id, locale),
    )
    return [
        delivery.post(channel, text, best_effort=True)
        for channel in (session.facilitator_id, settings.leads_channel)
        # A facilitator who was forgotten has no DM.
        if channel and channel != FORMER_PARTICIPANT
    ]


def _post_escalation(deps: Deps, clients: ClientFor, escalation: _Escalation) -> None:
    """Send a recorded escalation now; what Slack does not take now the outbox's sender sends later."""
    delivery.send_these(deps, clients, escalation.queued)

"""Interventions and check-ins end to end: the real app over signed HTTP, the Web API stand-in,
an injected clock, and the dispatcher called directly (no sleeping, no scheduler)."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import make_web_client
from bot.delivery import one_client
from bot.ids import CheckInActionId, CheckInBlockId, CheckInCallbackId
from bot.services import checkins, nudges
from bot.services.workspace import settings_for
from flows.calendar import Cadence
from flows.interventions import NewIntervention
from localslack.webapi import Message
from storage.checkins import (
    CheckIn,
    CheckInResponse,
    CheckInStatus,
    Intervention,
    InterventionStatus,
    ResponseKind,
)
from storage.models import SessionStatus, Workspace
from tests.bot.conftest import ADMIN, ALEX, CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness, rendered

LONDON = ZoneInfo("Europe/London")


# --- helpers -------------------------------------------------------------------------------------------


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def start_session(h: Harness, statement: str = "Residents can't book bulky waste online") -> tuple[int, str]:
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=f"start five-whys {statement}"
    )
    assert response.status == 200, response.body
    anchor = [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1]
    with h.deps.uow() as uow:
        session = uow.sessions.by_thread(TEAM, CHANNEL, anchor.ts)
        assert session is not None
        return session.id, anchor.ts


def add(
    h: Harness,
    session_id: int,
    first_due: date,
    *,
    what: str = "Ask the supplier to fix postcode validation",
    owner: str = SAM,
    cadence: Cadence = "weekly",
) -> int:
    with h.deps.uow() as uow:
        session = uow.sessions.get(TEAM, session_id)
        assert session is not None
        new = NewIntervention(what, owner, first_due, cadence)
        settings = settings_for(h.deps, uow, TEAM)
        intervention = checkins.add_intervention(
            uow, session, new, settings, created_by=FACILITATOR, now=h.clock.now()
        )
        uow.commit()
        return intervention.id


def dispatch(h: Harness) -> checkins.DispatchReport:
    token = h.deps.settings.slack_bot_token
    assert token is not None
    client = make_web_client(h.deps.settings, token.get_secret_value())
    return checkins.dispatch_due(h.deps, one_client(client))


def dm(h: Harness, user: str = SAM) -> str:
    return h.slack.dm_channel(TEAM, user)


def checkin_messages(h: Harness, user: str = SAM) -> list[Message]:
    return [m for m in h.slack.messages(channel=dm(h, user)) if "Check-in:" in rendered(m)]


def rows(h: Harness, intervention_id: int) -> list[CheckIn]:
    with h.deps.session_factory() as orm:
        return list(
            orm.scalars(
                select(CheckIn).where(CheckIn.intervention_id == intervention_id).order_by(CheckIn.id)
            )
        )


def intervention(h: Harness, intervention_id: int) -> Intervention:
    with h.deps.session_factory() as orm:
        found = orm.get(Intervention, intervention_id)
        assert found is not None
        return found


def reply_in_dm(h: Harness, text: str, *, user: str = SAM, thread_ts: str | None = None) -> None:
    response = h.client.message(
        team_id=TEAM, user_id=user, channel_id=dm(h, user), text=text, channel_type="im", thread_ts=thread_ts
    )
    assert response.status == 200, response.body


def sent_local_time(h: Harness, message: Message) -> datetime:
    """The local time the check-in in ``message`` was sent (its row's ``sent_at``, from the clock)."""
    with h.deps.session_factory() as orm:
        row = orm.scalar(select(CheckIn).where(CheckIn.message_ts == message.ts))
        assert row is not None and row.sent_at is not None
        return row.sent_at.astimezone(LONDON)


# --- the schedule --------------------------------------------------------------------------------------


def test_weekly_checkin_arrives_at_ten_local_either_side_of_the_october_clock_change(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(at(2026, 10, 12, 12))
    session_id, _ = start_session(h)
    intervention_id = add(h, session_id, date(2026, 10, 19))

    h.clock.set(at(2026, 10, 19, 8, 59))  # 09:59 BST
    assert dispatch(h).sent == 0
    h.clock.set(at(2026, 10, 19, 9, 0))  # 10:00 BST
    assert dispatch(h).sent == 1
    assert dispatch(h).sent == 0  # once

    # Clocks go back on 25 October: 10:00 GMT is 10:00 UTC.
    h.clock.set(at(2026, 10, 26, 9, 0))
    assert dispatch(h).sent == 0
    h.clock.set(at(2026, 10, 26, 9, 59))
    assert dispatch(h).sent == 0
    h.clock.set(at(2026, 10, 26, 10, 0))
    assert dispatch(h).sent == 1

    messages = checkin_messages(h)
    assert len(messages) == 2
    local = [sent_local_time(h, m) for m in messages]
    assert [(m.date(), m.hour, m.minute) for m in local] == [
        (date(2026, 10, 19), 10, 0),
        (date(2026, 10, 26), 10, 0),
    ]
    assert [r.sent_at for r in rows(h, intervention_id) if r.sent_at] == [
        at(2026, 10, 19, 9),
        at(2026, 10, 26, 10),
    ]
    assert "Ask the supplier to fix postcode validation" in rendered(messages[0])
    assert intervention(h, intervention_id).owner_tz == "Europe/London"
    # Each names its check-in in Slack message metadata (how a dispatcher finds one it may have sent).
    sent = [r for r in rows(h, intervention_id) if r.sent_at]
    assert [m.metadata for m in messages] == [
        {"event_type": "playbook_checkin", "event_payload": {"checkin_id": r.id}} for r in sent
    ]


def test_a_checkin_due_on_a_bank_holiday_arrives_the_next_working_day(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 12, 1, 12))
    session_id, _ = start_session(h)
    # Christmas Day 2026 is a Friday; Boxing Day falls on Saturday, so Monday 28th is its substitute.
    add(h, session_id, date(2026, 12, 25))
    for moment in (at(2026, 12, 25, 10), at(2026, 12, 28, 10), at(2026, 12, 29, 9, 59)):
        h.clock.set(moment)
        assert dispatch(h).sent == 0, moment
    h.clock.set(at(2026, 12, 29, 10))
    assert dispatch(h).sent == 1
    assert len(checkin_messages(h)) == 1


def test_scotland_keeps_st_andrews_day_and_the_nation_is_a_workspace_setting(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 11, 20, 12))
    session_id, _ = start_session(h)
    intervention_id = add(h, session_id, date(2026, 11, 30))  # Monday 30 November: St Andrew's Day
    assert rows(h, intervention_id)[0].due_at == at(2026, 11, 30, 10)

    response = h.client.slash_command(team_id=TEAM, user_id=ADMIN, channel_id=CHANNEL, text="nation scotland")
    assert "Scotland" in response.body
    with h.deps.session_factory() as orm:
        workspace = orm.get(Workspace, TEAM)
        assert workspace is not None and workspace.settings["nation"] == "scotland"
    assert rows(h, intervention_id)[0].due_at == at(2026, 12, 1, 10)

    h.clock.set(at(2026, 11, 30, 10))
    assert dispatch(h).sent == 0
    h.clock.set(at(2026, 12, 1, 10))
    assert dispatch(h).sent == 1

    unknown = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="nation atlantis"
    )
    assert "/playbook nation scotland" in unknown.body and "Scotland" in unknown.body


def test_owner_time_zone_comes_from_slack(harness: Harness) -> None:
    h = harness
    h.slack.add_user(TEAM, "U0NYC", "Nia", tz="America/New_York")
    h.clock.set(at(2026, 11, 20, 12))
    session_id, _ = start_session(h)
    intervention_id = add(h, session_id, date(2026, 11, 30), owner="U0NYC")
    h.clock.set(at(2026, 11, 30, 10))  # 10:00 in London, 05:00 in New York
    assert dispatch(h).sent == 0
    assert intervention(h, intervention_id).owner_tz == "America/New_York"
    h.clock.set(at(2026, 11, 30, 15))  # 10:00 EST
    assert dispatch(h).sent == 1


# --- answers -------------------------------------------------------------------------------------------


def _sent_checkin(h: Harness, first_due: date = date(2026, 12, 1)) -> tuple[int, int, str]:
    """A session with one intervention whose first check-in has just been sent to Sam."""
    h.clock.set(at(2026, 11, 25, 12))
    session_id, thread = start_session(h)
    intervention_id = add(h, session_id, first_due)
    h.clock.set(
        datetime.combine(first_due, datetime.min.time(), tzinfo=LONDON).replace(hour=10).astimezone(UTC)
    )
    assert dispatch(h).sent == 1
    return session_id, intervention_id, thread


def _click(h: Harness, kind: ResponseKind, *, user: str = SAM) -> None:
    message = checkin_messages(h)[-1]
    actions = next(b for b in message.blocks if b.get("type") == "actions")
    button = next(e for e in actions["elements"] if json.loads(e["value"])["r"] == kind.value)
    response = h.client.block_action(
        team_id=TEAM,
        user_id=user,
        action_id=button["action_id"],
        value=button["value"],
        channel_id=message.channel,
        message_ts=message.ts,
    )
    assert response.status == 200, response.body


def test_snooze_moves_the_next_checkin(harness: Harness) -> None:
    h = harness
    _session, intervention_id, _thread = _sent_checkin(h)  # Tuesday 1 December, 10:00
    _click(h, ResponseKind.SNOOZE_DAY)
    waiting = [r for r in rows(h, intervention_id) if r.status == CheckInStatus.PENDING]
    assert len(waiting) == 1 and waiting[0].due_at == at(2026, 12, 2, 10) and waiting[0].snoozed
    assert "Wednesday 2 December at 10:00" in rendered(h.slack.messages(channel=dm(h))[-1])

    h.clock.set(at(2026, 12, 2, 10))
    assert dispatch(h).sent == 1
    reply_in_dm(h, "snooze week")  # Wednesday 2nd + 7 days
    waiting = [r for r in rows(h, intervention_id) if r.status == CheckInStatus.PENDING]
    assert len(waiting) == 1 and waiting[0].due_at == at(2026, 12, 9, 10)
    h.clock.set(at(2026, 12, 9, 9, 59))
    assert dispatch(h).sent == 0
    h.clock.set(at(2026, 12, 9, 10))
    assert dispatch(h).sent == 1
    # The cadence continues weekly from the snoozed date.
    assert [r.due_at for r in rows(h, intervention_id) if r.status == CheckInStatus.PENDING] == [
        at(2026, 12, 16, 10)
    ]
    with h.deps.session_factory() as orm:
        kinds = list(orm.scalars(select(CheckInResponse.kind).order_by(CheckInResponse.id)))
    assert kinds == ["snooze_day", "snooze_week"]


def test_done_stops_the_checkins_and_tells_the_thread(harness: Harness) -> None:
    h = harness
    _session, intervention_id, thread = _sent_checkin(h)
    reply_in_dm(h, "Done!")
    closed = intervention(h, intervention_id)
    assert closed.status == InterventionStatus.DONE and closed.closed_at == h.clock.now()
    assert all(r.status in (CheckInStatus.SENT, CheckInStatus.CANCELLED) for r in rows(h, intervention_id))
    assert "won't check in on it again" in rendered(h.slack.messages(channel=dm(h))[-1])
    update = h.last_text(CHANNEL, thread)
    assert "Intervention update" in update and f"<@{SAM}>" in update and "Done" in update

    for days in (7, 14, 35):
        h.clock.set(at(2026, 12, 1, 10) + timedelta(days=days))
        assert dispatch(h).sent == 0
    assert len(checkin_messages(h)) == 1


def test_blocked_needs_a_reason_and_the_reason_reaches_the_thread(harness: Harness) -> None:
    h = harness
    _session, intervention_id, thread = _sent_checkin(h)
    reply_in_dm(h, "blocked")
    assert "What's blocking it?" in rendered(h.slack.messages(channel=dm(h))[-1])
    assert intervention(h, intervention_id).progress is None

    reply_in_dm(h, "Blocked: supplier late <!channel>")
    stored = intervention(h, intervention_id)
    assert stored.progress == "blocked" and stored.progress_reason == "supplier late <!channel>"
    update = h.last_text(CHANNEL, thread)
    assert "Blocked: supplier late &lt;!channel&gt;" in update and "<!channel>" not in update

    reply_in_dm(h, "not doing: no budget this year")
    stored = intervention(h, intervention_id)
    assert stored.status == InterventionStatus.NOT_DOING and stored.progress_reason == "no budget this year"
    assert "Not going ahead: no budget this year" in h.last_text(CHANNEL, thread)


def test_blocked_button_asks_for_the_reason_in_a_modal(harness: Harness) -> None:
    h = harness
    _session, intervention_id, thread = _sent_checkin(h)
    _click(h, ResponseKind.BLOCKED)
    modal = h.slack.views[-1]
    assert modal.callback_id == CheckInCallbackId.REASON
    response = h.client.view_submission(
        team_id=TEAM,
        user_id=SAM,
        callback_id=CheckInCallbackId.REASON,
        private_metadata=modal.private_metadata,
        state_values={
            CheckInBlockId.REASON: {
                CheckInActionId.REASON: {"type": "plain_text_input", "value": "no access"}
            }
        },
    )
    assert response.status == 200, response.body
    assert intervention(h, intervention_id).progress_reason == "no access"
    assert "Blocked: no access" in h.last_text(CHANNEL, thread)


def test_a_clicked_answer_replaces_the_buttons_with_who_answered_what(harness: Harness) -> None:
    h = harness
    _session, intervention_id, thread = _sent_checkin(h)
    [sent] = checkin_messages(h)
    question = rendered(sent)
    assert "Ask the supplier to fix postcode validation" in question and "How is it going?" in question
    _click(h, ResponseKind.ON_TRACK)
    [message] = [m for m in h.slack.messages(channel=dm(h)) if m.ts == sent.ts]
    # The question stays as it was asked; the answer is shown below it, in place of the buttons.
    asked = [b for b in sent.blocks if b.get("type") == "section"]
    assert [b for b in message.blocks if b.get("type") == "section"] == asked
    assert rendered(message).split("\n")[-1] == f"<@{SAM}> answered: On track"
    assert not any(b.get("type") == "actions" for b in message.blocks or [])
    assert "Use a button" not in rendered(message)
    assert intervention(h, intervention_id).progress == "on_track"
    assert "is on track. I'll check in again on Tuesday 8 December at 10:00" in rendered(
        h.slack.messages(channel=dm(h))[-1]
    )
    assert "*On track*" in h.last_text(CHANNEL, thread)


def test_a_typed_answer_in_the_dm_also_keeps_the_question_and_retires_the_buttons(harness: Harness) -> None:
    h = harness
    _session, intervention_id, _thread = _sent_checkin(h)
    [sent] = checkin_messages(h)
    reply_in_dm(h, "blocked: supplier late <!channel>")
    [message] = [m for m in h.slack.messages(channel=dm(h)) if m.ts == sent.ts]
    shown = rendered(message)
    assert shown.startswith("*Check-in:* Ask the supplier to fix postcode validation")
    assert shown.endswith(f"<@{SAM}> answered: Blocked: supplier late &lt;!channel&gt;")
    assert not any(b.get("type") == "actions" for b in message.blocks or [])
    updates = [c for c in h.slack.calls_to("chat.update") if c.params.get("channel") == sent.channel]
    assert [c.params.get("ts") for c in updates] == [sent.ts]
    assert intervention(h, intervention_id).progress == "blocked"


def test_a_reason_left_empty_keeps_the_modal_open_with_its_question(harness: Harness) -> None:
    h = harness
    _session, intervention_id, _thread = _sent_checkin(h)
    _click(h, ResponseKind.NOT_DOING)
    modal = h.slack.views[-1]
    response = h.client.view_submission(
        team_id=TEAM,
        user_id=SAM,
        callback_id=CheckInCallbackId.REASON,
        private_metadata=modal.private_metadata,
        state_values={
            CheckInBlockId.REASON: {CheckInActionId.REASON: {"type": "plain_text_input", "value": " "}}
        },
    )
    assert response.json() == {  # type: ignore[attr-defined]
        "response_action": "errors",
        "errors": {CheckInBlockId.REASON: "Why isn't it going ahead?"},
    }
    stored = intervention(h, intervention_id)
    assert stored.status == InterventionStatus.OPEN and stored.progress is None


def test_in_the_dm_a_running_session_keeps_its_replies_and_checkin_words_answer_the_checkin(
    harness: Harness,
) -> None:
    h = harness
    _session, intervention_id, _thread = _sent_checkin(h)
    reply_in_dm(h, "hello there")  # the latest check-in is newer than anything else in the DM
    assert "didn't understand that as a check-in answer" in rendered(h.slack.messages(channel=dm(h))[-1])

    h.clock.advance(timedelta(minutes=5))
    started = h.client.slash_command(
        team_id=TEAM, user_id=SAM, channel_id=dm(h), text="start five-whys Bins are missed"
    )
    assert started.status == 200, started.body
    with h.deps.uow() as uow:
        session = uow.sessions.open_dm_session(TEAM, dm(h))
        assert session is not None
        dm_session = session.id
    reply_in_dm(h, "Crews can't see which streets were added")
    with h.deps.uow() as uow:
        answers = {row.value for row in uow.answers.latest(dm_session).values()}
    assert "Crews can't see which streets were added" in answers
    assert intervention(h, intervention_id).progress is None

    reply_in_dm(h, "on track")
    assert intervention(h, intervention_id).progress == "on_track"
    with h.deps.uow() as uow:
        assert "on track" not in {row.value for row in uow.answers.latest(dm_session).values()}


def test_only_a_lead_changes_the_nation_once_leads_are_named(harness: Harness) -> None:
    h = harness
    usage = h.client.slash_command(team_id=TEAM, user_id=SAM, channel_id=CHANNEL, text="nation").body
    assert "skip weekends and the bank holidays of England and Wales" in usage
    with h.deps.uow() as uow:
        uow.workspaces.change_settings(TEAM, lead_user_ids=(FACILITATOR,))
        uow.commit()
    refused = h.client.slash_command(team_id=TEAM, user_id=SAM, channel_id=CHANNEL, text="nation scotland")
    assert "Only a workspace admin or owner, or one of this workspace's leads (<@U0FAC>)" in refused.body
    with h.deps.uow() as uow:
        assert uow.workspaces.settings(TEAM).nation is None
    done = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="nation Northern  Ireland"
    )
    assert "now skip the bank holidays of Northern Ireland" in done.body
    with h.deps.uow() as uow:
        assert uow.workspaces.settings(TEAM).nation == "northern-ireland"


def test_only_the_owner_answers_a_checkin(harness: Harness) -> None:
    h = harness
    _session, intervention_id, _thread = _sent_checkin(h)
    _click(h, ResponseKind.DONE, user=ALEX)
    assert intervention(h, intervention_id).status == InterventionStatus.OPEN


def test_two_unanswered_checkins_are_escalated_once(harness: Harness) -> None:
    h = harness
    with h.deps.uow() as uow:
        workspace = uow.workspaces.get_or_create(TEAM)
        workspace.leads_channel = LEADS
        uow.commit()
    _session, intervention_id, _thread = _sent_checkin(h)  # 1 December
    h.clock.set(at(2026, 12, 8, 10))
    assert dispatch(h).escalated == 0  # one unanswered so far
    h.clock.set(at(2026, 12, 15, 10))
    assert dispatch(h).escalated == 1  # 1st and 8th unanswered
    leads = h.slack.messages(channel=LEADS)
    assert len(leads) == 1 and f"<@{SAM}> hasn't answered the last two check-ins" in leads[0].text
    assert any("hasn't answered" in m.text for m in h.slack.messages(channel=dm(h, FACILITATOR)))
    h.clock.set(at(2026, 12, 22, 10))
    assert dispatch(h).escalated == 0  # once per silent spell
    reply_in_dm(h, "on track")
    assert intervention(h, intervention_id).escalated_at is None


# --- failures ------------------------------------------------------------------------------------------


def test_a_429_with_retry_after_is_retried_and_the_checkin_sent_once(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 11, 25, 12))
    session_id, _ = start_session(h)
    intervention_id = add(h, session_id, date(2026, 12, 1))
    h.clock.set(at(2026, 12, 1, 10))
    h.slack.fail_next("chat.postMessage", status=429, retry_after=1)
    before = len(h.slack.calls_to("chat.postMessage"))
    started = time.monotonic()
    assert dispatch(h).sent == 1
    assert time.monotonic() - started >= 1.0  # Retry-After honoured
    calls = h.slack.calls_to("chat.postMessage")[before:]
    assert [c.status for c in calls] == [429, 200]
    assert len(checkin_messages(h)) == 1
    first = rows(h, intervention_id)[0]
    assert first.status == CheckInStatus.SENT and first.attempts == 1 and first.last_error is None


def test_a_send_that_keeps_failing_stays_pending_with_its_error(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 11, 25, 12))
    session_id, _ = start_session(h)
    intervention_id = add(h, session_id, date(2026, 12, 1))
    h.clock.set(at(2026, 12, 1, 10))
    h.slack.fail_next("chat.postMessage", error="fatal_error", times=2)
    report = dispatch(h)
    assert (report.sent, report.failed) == (0, 1)
    row = rows(h, intervention_id)[0]
    assert row.status == CheckInStatus.PENDING and row.attempts == 1
    assert row.last_error == "fatal_error" and row.retry_at == at(2026, 12, 1, 10, 2)
    assert dispatch(h).sent == 0  # waiting for its retry time, not hammering Slack

    h.clock.set(at(2026, 12, 1, 10, 2))
    assert dispatch(h).failed == 1
    row = rows(h, intervention_id)[0]
    assert (
        row.status == CheckInStatus.PENDING and row.attempts == 2 and row.retry_at == at(2026, 12, 1, 10, 6)
    )

    h.clock.set(at(2026, 12, 1, 10, 6))
    assert dispatch(h).sent == 1  # the failure has cleared
    row = rows(h, intervention_id)[0]
    assert row.status == CheckInStatus.SENT and row.attempts == 3 and row.last_error is None
    assert len(checkin_messages(h)) == 1


def test_a_checkin_missed_while_down_is_sent_once_then_the_cadence_resumes(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 11, 25, 12))
    session_id, _ = start_session(h)
    intervention_id = add(h, session_id, date(2026, 12, 1))
    h.clock.set(at(2027, 1, 20, 15))  # seven weeks later
    assert dispatch(h).sent == 1
    assert dispatch(h).sent == 0
    message = checkin_messages(h)[-1]
    assert "This check-in was due on Tuesday 1 December 2026" in rendered(message)
    waiting = [r for r in rows(h, intervention_id) if r.status == CheckInStatus.PENDING]
    assert [r.due_at for r in waiting] == [at(2027, 1, 26, 10)]  # the first cadence date still ahead


# --- creating interventions ----------------------------------------------------------------------------


def test_interventions_from_a_completed_five_whys_get_checkins(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 11, 25, 12))
    _session_id, thread = start_session(h, "Residents ring us because the form rejects postcodes")
    answers = iter(
        ["The form rejects postcodes without a space", "The pattern needs a space", "A supplier release"]
    )
    for _ in range(40):
        prompt = h.last_text(CHANNEL, thread)
        if "Intervention 1" in prompt:
            break
        if "Why " in prompt and "Why does that happen" in prompt:
            text = next(answers)
        elif "stop recurring" in prompt or ("root cause" in prompt.lower() and "yes" in prompt):
            text = "yes"
        elif "another reason" in prompt:
            text = "no"
        elif "confirm" in prompt:
            text = "confirm"
        else:
            raise AssertionError(f"unexpected prompt: {prompt}")
        response = h.client.message(
            team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=text, thread_ts=thread
        )
        assert response.status == 200
    for text, encoded in (
        ("Ask the supplier to accept postcodes without a space", False),
        (f"<@{SAM}>", True),
        ("2026-11-01", False),
        ("next Tuesday", False),
        ("fortnightly", False),
        ("Add a hint to the form", False),
        (f"<@{ALEX}>", True),
        ("in 2 weeks", False),
        ("monthly", False),
        ("done", False),
    ):
        response = h.client.message(
            team_id=TEAM,
            user_id=FACILITATOR,
            channel_id=CHANNEL,
            text=text,
            thread_ts=thread,
            encoded=encoded,
        )
        assert response.status == 200
        if text == "2026-11-01":
            assert "That date is in the past" in h.last_text(CHANNEL, thread)
    with h.deps.uow() as uow:
        session = uow.sessions.by_thread(TEAM, CHANNEL, thread)
        assert session is not None and session.status == SessionStatus.COMPLETED
        stored = uow.checkins.for_session(TEAM, session.id)
        assert [(i.what, i.owner_id, i.cadence, i.first_due, i.source_item) for i in stored] == [
            (
                "Ask the supplier to accept postcodes without a space",
                SAM,
                "fortnightly",
                date(2026, 12, 1),
                1,
            ),
            ("Add a hint to the form", ALEX, "monthly", date(2026, 12, 9), 2),
        ]
        listing = uow.checkins.for_owner(TEAM, ALEX)
        assert [(i.what, i.next_checkin_at) for i in listing] == [
            ("Add a hint to the form", at(2026, 12, 9, 10))
        ]
    first = [rows(h, i.id)[0] for i in stored]
    assert [c.due_at for c in first] == [at(2026, 12, 1, 10), at(2026, 12, 9, 10)]
    # The thread's summary names each owner as a mention, not as a raw user id.
    summary = "\n".join(
        rendered(m)
        for m in h.slack.messages(channel=CHANNEL)
        if m.thread_ts == thread and "summary" in m.text.lower()
    )
    assert f"<@{SAM}>" in summary and f"<@{ALEX}>" in summary
    assert f": {SAM}" not in summary and f": {ALEX}" not in summary


def test_playbook_intervene_opens_a_modal_that_adds_an_intervention(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 11, 25, 12))
    session_id, thread = start_session(h)
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=f"intervene {session_id}"
    )
    assert f"session {session_id}" in response.body
    modal = h.slack.views[-1]
    assert modal.callback_id == CheckInCallbackId.ADD_INTERVENTION

    def submit(picked: str) -> object:
        return h.client.view_submission(
            team_id=TEAM,
            user_id=FACILITATOR,
            callback_id=CheckInCallbackId.ADD_INTERVENTION,
            private_metadata=modal.private_metadata,
            state_values={
                CheckInBlockId.WHAT: {
                    CheckInActionId.WHAT: {"type": "plain_text_input", "value": "Publish a guide"}
                },
                CheckInBlockId.OWNER: {
                    CheckInActionId.OWNER: {"type": "users_select", "selected_user": ALEX}
                },
                CheckInBlockId.FIRST_CHECKIN: {
                    CheckInActionId.FIRST_CHECKIN: {"type": "datepicker", "selected_date": picked}
                },
                CheckInBlockId.CADENCE: {
                    CheckInActionId.CADENCE: {"type": "static_select", "selected_option": {"value": "weekly"}}
                },
            },
        )

    too_far = submit("2028-01-01")
    body = too_far.json()  # type: ignore[attr-defined]
    assert (
        body["response_action"] == "errors"
        and "more than a year away" in body["errors"][CheckInBlockId.FIRST_CHECKIN]
    )
    submit("2026-12-07")
    with h.deps.uow() as uow:
        listing = uow.checkins.for_owner(TEAM, ALEX)
    assert [(i.what, i.session_id, i.next_checkin_at) for i in listing] == [
        ("Publish a guide", session_id, at(2026, 12, 7, 10))
    ]
    assert f"New intervention for <@{ALEX}>: *Publish a guide*" in h.last_text(CHANNEL, thread)

    # The "Add intervention" button opens the same form.
    clicked = h.client.block_action(
        team_id=TEAM,
        user_id=FACILITATOR,
        action_id=CheckInActionId.ADD_INTERVENTION,
        value=str(session_id),
        channel_id=CHANNEL,
    )
    assert clicked.status == 200 and h.slack.views[-1].callback_id == CheckInCallbackId.ADD_INTERVENTION
    assert len(h.slack.views) == 2


# --- idle sessions -------------------------------------------------------------------------------------


def _nudge(h: Harness) -> int:
    token = h.deps.settings.slack_bot_token
    assert token is not None
    return nudges.nudge_idle_sessions(
        h.deps, one_client(make_web_client(h.deps.settings, token.get_secret_value()))
    )


def test_an_idle_session_gets_one_nudge_and_pause_suppresses_it(harness: Harness) -> None:
    h = harness
    h.clock.set(at(2026, 11, 27, 14))  # Friday 14:00
    busy, busy_thread = start_session(h, "First problem")
    _paused, paused_thread = start_session(h, "Second problem")
    h.client.message(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="pause", thread_ts=paused_thread
    )

    h.clock.set(at(2026, 12, 2, 13, 59))  # Wednesday 13:59: not yet three working days
    assert _nudge(h) == 0
    h.clock.set(at(2026, 12, 2, 14))
    assert _nudge(h) == 1
    assert "quiet for three working days" in h.last_text(CHANNEL, busy_thread)
    # Sent through the outbox: its metadata names the outbox row, which belongs to the session.
    metadata = h.thread(CHANNEL, busy_thread)[-1].metadata
    assert metadata is not None and metadata["event_type"] == "playbook_message"
    with h.deps.uow() as uow:
        row = uow.outbox.get(metadata["event_payload"]["outbox_id"])
        assert row is not None and row.session_id == busy and row.status == "sent"
    assert "quiet" not in h.last_text(CHANNEL, paused_thread)
    h.clock.set(at(2026, 12, 9, 14))
    assert _nudge(h) == 0  # one nudge per quiet spell

    h.client.message(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="Because of X", thread_ts=busy_thread
    )
    h.clock.set(at(2026, 12, 14, 14))  # Monday: three working days after Wednesday 9th
    assert _nudge(h) == 1

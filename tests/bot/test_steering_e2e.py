"""Through signed requests into the real app: answers read back in the next message (dates pinned by
the injected clock), the questions asked before a probable slip, cancel, pause and the words that are
never stored as answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from localslack.webapi import Message
from storage.models import AnswerVersion, Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, TEAM, Harness, rendered
from tests.bot.test_five_whys_e2e import say, start, stored

MONDAY_30_NOVEMBER = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def latest(h: Harness) -> dict[str, AnswerVersion]:
    found: dict[str, AnswerVersion] = {}
    for row in stored(h):
        if row.retracted:
            found.pop(row.key, None)
        else:
            found[row.key] = row
    return found


def status(h: Harness) -> str:
    with h.deps.session_factory() as orm:
        return str(orm.scalars(select(Session)).one().status)


def last_message(h: Harness, thread: str) -> Message:
    return h.thread(CHANNEL, thread)[-1]


def click(h: Harness, thread: str, label: str, *, user: str = FACILITATOR) -> None:
    """Click the button called ``label`` on the thread's last message, as Slack would send it."""
    message = last_message(h, thread)
    button: dict[str, Any] = next(
        element
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block["elements"]
        if element["text"]["text"] == label
    )
    response = h.client.block_action(
        team_id=TEAM,
        user_id=user,
        action_id=button["action_id"],
        value=button["value"],
        channel_id=CHANNEL,
        message_ts=message.ts,
        thread_ts=thread,
        message={"blocks": message.blocks, "text": message.text},
    )
    assert response.status == 200, response.body


def to_interventions(h: Harness, thread: str) -> None:
    for reply in ("The form rejects postcodes", "Validation needs a space", "A supplier release", "yes"):
        say(h, thread, reply)
    say(h, thread, "yes")  # the suggested root cause
    say(h, thread, "no")  # no second branch
    say(h, thread, "confirm")  # the classification
    assert "Intervention 1" in h.last_text(CHANNEL, thread)


def test_the_first_check_in_is_read_back_with_next_tuesday_taken_the_uk_way(harness: Harness) -> None:
    h = harness
    h.clock.set(MONDAY_30_NOVEMBER)
    thread = start(h, "start five-whys Residents ring us because the form rejects postcodes")
    to_interventions(h, thread)
    say(h, thread, "Ask the supplier to accept postcodes without a space")
    say(h, thread, f"<@{ALEX}>", encoded=True)
    say(h, thread, "next Tuesday")
    reply = h.last_text(CHANNEL, thread)
    # Said on Monday 30 November, "next Tuesday" is a week tomorrow, and the message says so.
    assert "First check-in: Tuesday 8 December 2026, 10:00" in reply
    assert "if you meant Tuesday 1 December 2026, type `this Tuesday`" in reply
    assert "how often should I check in" in reply  # the read-back comes with the next question
    assert latest(h)["interventions.1.first_checkin"].value == "2026-12-08"
    say(h, thread, "fortnightly")
    assert "Check-in cadence: fortnightly" in h.last_text(CHANNEL, thread)
    say(h, thread, "back")
    say(h, thread, "back")
    say(h, thread, "this Tuesday")
    reply = h.last_text(CHANNEL, thread)
    assert "First check-in: Tuesday 1 December 2026, 10:00" in reply and "if you meant" not in reply
    assert latest(h)["interventions.1.first_checkin"].value == "2026-12-01"


def test_cost_answers_are_read_back_and_probable_slips_are_asked_about(harness: Harness) -> None:
    h = harness
    thread = start(h, "start cost-impacts Missed bin collections lead to repeat calls")
    # Line 1: staff time.
    for reply in ("staff", "Re-keying missed-bin reports"):
        say(h, thread, reply)
    assert "Cost line 1 · 3 of 9 questions" in h.last_text(CHANNEL, thread)
    say(h, thread, "time")
    say(h, thread, "2h 30m")
    assert "Time taken: 2 hours 30 minutes each time" in h.last_text(CHANNEL, thread)
    say(h, thread, "0 a week")
    refused = h.last_text(CHANNEL, thread)
    assert "at least once" in refused and "How often does it happen?" in refused
    assert "costs.1.occurrences" not in latest(h)
    say(h, thread, "3 a week")
    reply = h.last_text(CHANNEL, thread)
    assert "How often: 156 times a year (3 times a week)" in reply
    assert "Cost line 1 · 6 of 8 questions" in reply  # staff time only: no direct cost is asked
    say(h, thread, "2")
    assert "People involved: 2" in h.last_text(CHANNEL, thread)
    say(h, thread, "£250")
    asked = h.last_text(CHANNEL, thread)
    assert "£250 an hour" in asked and "more than £200 an hour" in asked and "Is that right?" in asked
    assert "costs.1.hourly_rate" not in latest(h)
    say(h, thread, "yes")
    assert "Hourly cost: £250 an hour" in h.last_text(CHANNEL, thread)
    assert latest(h)["costs.1.hourly_rate"].value == "250.00"
    say(h, thread, "skip")  # evidence

    # Line 2: money spent only — no time, people or rate; "£1,200" alone is asked about.
    for reply in ("residents", "Postage", "money"):
        say(h, thread, reply)
    say(h, thread, "2 a week")
    assert "Cost line 2 · 5 of 6 questions" in h.last_text(CHANNEL, thread)
    assert "What is the direct cost" in h.last_text(CHANNEL, thread)
    say(h, thread, "£1,200")
    asked = h.last_text(CHANNEL, thread)
    assert "is *£1,200* each time it happens (that's £124,800 a year), or £1,200 a year in total?" in asked
    assert "costs.2.direct_cost" not in latest(h)
    click(h, thread, "Each time")
    assert "Direct cost: £1,200 each time — £124,800 a year" in h.last_text(CHANNEL, thread)
    assert latest(h)["costs.2.direct_cost"].value == {"amount": "1200.00", "basis": "per_occurrence"}
    for step in ("staff_time", "people", "hourly_rate"):
        assert f"costs.2.{step}" not in latest(h)
    say(h, thread, "Royal Mail invoices")

    # Line 3: £1,200 each time, 40 times a week, would be £2,496,000 a year: asked first.
    for reply in ("council services", "Courier runs", "money", "40 a week", "£1,200 each time"):
        say(h, thread, reply)
    asked = h.last_text(CHANNEL, thread)
    assert "makes this cost line *£2,496,000 a year*, over £1,000,000. Is that right?" in asked
    say(h, thread, "no")
    again = h.last_text(CHANNEL, thread)
    assert "What is the direct cost" in again and "costs.3.direct_cost" not in latest(h)
    say(h, thread, "£1,200 a year")
    assert "Direct cost: £1,200 a year" in h.last_text(CHANNEL, thread)
    say(h, thread, "skip")
    say(h, thread, "done")
    say(h, thread, "skip")
    assert status(h) == SessionStatus.COMPLETED
    summary = "\n".join(rendered(m) for m in h.thread(CHANNEL, thread)[-2:])
    # 2.5 h × 156 × 2 × £250 = £195,000; £1,200 × 104 = £124,800; £1,200 a year.
    assert "*Total a year:* £321,000" in summary


def test_cancel_asks_first_and_keeps_the_session_as_cancelled(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Council tax refunds take months")
    say(h, thread, "Refunds wait for a manual check", user=ALEX)
    say(h, thread, "stop", user=ALEX)  # a participant may not cancel
    assert "Only the facilitator or a lead can cancel" in h.last_text(CHANNEL, thread)
    say(h, thread, "cancel")
    asked = h.last_text(CHANNEL, thread)
    assert "Cancel this session?" in asked and status(h) == SessionStatus.ACTIVE
    say(h, thread, "no")
    assert "Not cancelled" in h.last_text(CHANNEL, thread) and "Why 2" in h.last_text(CHANNEL, thread)
    say(h, thread, "stop")
    assert "Cancel this session?" in h.last_text(CHANNEL, thread)
    click(h, thread, "Yes, cancel it")
    assert "Session cancelled" in h.last_text(CHANNEL, thread)
    assert status(h) == SessionStatus.CANCELLED
    # The answers are kept; neither "stop" nor "cancel" was ever stored as an answer.
    answers = latest(h)
    assert answers["whys.1.answer"].value == "Refunds wait for a manual check"
    assert all(row.value not in ("stop", "cancel") for row in stored(h))
    count = len(h.thread(CHANNEL, thread))
    say(h, thread, "Another why")
    assert len(h.thread(CHANNEL, thread)) == count  # a cancelled session takes no more answers
    assert "whys.2.answer" not in latest(h)


def test_a_paused_session_answers_each_message_once_with_how_to_resume(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Council tax refunds take months")
    say(h, thread, "pause")
    assert status(h) == SessionStatus.PAUSED
    count = len(h.thread(CHANNEL, thread))
    say(h, thread, "Refunds wait for a manual check", user=ALEX)
    replies = h.thread(CHANNEL, thread)[count:]
    assert len(replies) == 1
    assert "This session is paused" in rendered(replies[0]) and "`resume`" in rendered(replies[0])
    assert "whys.1.answer" not in latest(h)
    say(h, thread, "resume")
    assert status(h) == SessionStatus.ACTIVE and "Why 1" in h.last_text(CHANNEL, thread)


def test_steering_words_are_never_stored_as_answers(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Council tax refunds take months")
    for word in ("none", "resume", "keep", "help"):
        say(h, thread, word)
        assert "Why 1" in h.last_text(CHANNEL, thread)
    assert "`cancel`" in h.last_text(CHANNEL, thread) and "`pause`" in h.last_text(CHANNEL, thread)
    assert "`none` can't be it" in rendered(h.thread(CHANNEL, thread)[-4])
    assert set(latest(h)) == {"problem"}


def test_a_new_amount_typed_while_a_slip_question_waits_replaces_it(harness: Harness) -> None:
    """The reply drops the waiting question and asks a new one: the same key changes twice in one
    reply, and both versions are stored (this was a 500 and a lost answer)."""
    h = harness
    thread = start(h, "start cost-impacts Missed bin collections lead to repeat calls")
    for reply in ("residents", "Postage", "money", "2 a week"):
        say(h, thread, reply)
    say(h, thread, "£1,200")
    assert "is *£1,200* each time it happens" in h.last_text(CHANNEL, thread)
    say(h, thread, "£900")
    asked = h.last_text(CHANNEL, thread)
    assert "is *£900* each time it happens" in asked
    pending = [row for row in stored(h) if row.key == "_pending"]
    assert [row.version for row in pending] == [1, 2, 3] and pending[-1].value["amount"] == "900.00"
    say(h, thread, "a year")
    assert "Direct cost: £900 a year" in h.last_text(CHANNEL, thread)
    assert latest(h)["costs.1.direct_cost"].value == {"amount": "900.00", "basis": "per_year"}

"""Through signed requests into the real app: once a question is answered, typed or clicked, its
buttons give way to the answer and who gave it; a click on an earlier question's button is answered
only to the person who clicked, in the thread where the button was."""

from __future__ import annotations

import copy
from typing import Any

from localslack.webapi import Message
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered
from tests.bot.test_five_whys_e2e import say, start, stored
from tests.bot.test_steering_e2e import MONDAY_30_NOVEMBER, latest, to_interventions


def public(h: Harness, thread: str) -> list[Message]:
    return [m for m in h.thread(CHANNEL, thread) if m.ephemeral_user is None]


def prompt_with(h: Harness, thread: str, label: str) -> Message:
    """The thread's latest message offering a button called ``label``."""
    return next(m for m in reversed(public(h, thread)) if _button(m, label) is not None)


def _button(message: Message, label: str) -> dict[str, Any] | None:
    return next(
        (
            element
            for block in message.blocks or []
            if block.get("type") == "actions"
            for element in block["elements"]
            if element.get("text", {}).get("text") == label
        ),
        None,
    )


def click(h: Harness, message: Message, label: str, thread: str, *, user: str = FACILITATOR) -> None:
    button = _button(message, label)
    assert button is not None, f"no {label} button on {rendered(message)!r}"
    response = h.client.block_action(
        team_id=TEAM,
        user_id=user,
        action_id=button["action_id"],
        value=button["value"],
        channel_id=CHANNEL,
        message_ts=message.ts,
        thread_ts=thread,
        message={"blocks": message.blocks, "text": message.text, "thread_ts": thread},
    )
    assert response.status == 200, response.body


def now_of(h: Harness, message: Message) -> Message:
    """The message as Slack holds it now (after any chat.update)."""
    return next(m for m in h.slack.messages(channel=CHANNEL) if m.ts == message.ts)


def to_recurring_question(h: Harness) -> tuple[str, Message]:
    thread = start(h, "start five-whys Bulky waste bookings fail")
    for answer in ("The booking page times out", "The payments call is slow", "The supplier's API is old"):
        say(h, thread, answer)
    question = prompt_with(h, thread, "Yes")
    assert "stop recurring" in rendered(question)
    return thread, copy.deepcopy(question)  # as the people in the channel saw it then


def test_a_typed_answer_replaces_the_buttons_with_the_answer_and_who_gave_it(harness: Harness) -> None:
    h = harness
    thread, question = to_recurring_question(h)
    updates_before = len(h.slack.calls_to("chat.update"))

    say(h, thread, "yes", user=ALEX)

    updates = [
        c for c in h.slack.calls_to("chat.update")[updates_before:] if c.params.get("ts") == question.ts
    ]
    assert len(updates) == 1
    answered = now_of(h, question)
    assert not [b for b in answered.blocks if b.get("type") == "actions"]
    shown = rendered(answered)
    # The question is kept, and where its buttons were: the answer and the person.
    assert "stop recurring" in shown
    assert shown.split("\n")[-1] == f"✓ yes — <@{ALEX}>"
    # The next question still has its own buttons.
    assert "_(suggested)_" in h.last_text(CHANNEL, thread)
    latest = {r.key: r for r in stored(h)}
    assert latest["whys.3.fixes_it"].value is True and latest["whys.3.fixes_it"].author_id == ALEX


def test_a_rejected_typed_answer_leaves_the_buttons(harness: Harness) -> None:
    h = harness
    thread, question = to_recurring_question(h)
    say(h, thread, "perhaps on Thursdays")
    if any(r.key == "whys.3.fixes_it" for r in stored(h)):
        return  # the flow took it as an answer: nothing to check here
    assert _button(now_of(h, question), "Yes") is not None


def test_a_click_replaces_the_buttons_and_a_later_typed_answer_replaces_only_its_own(
    harness: Harness,
) -> None:
    h = harness
    thread, question = to_recurring_question(h)
    click(h, question, "Yes", thread, user=SAM)
    clicked = now_of(h, question)
    assert not [b for b in clicked.blocks if b.get("type") == "actions"]
    assert rendered(clicked).split("\n")[-1] == f"✓ yes — <@{SAM}>"
    assert "stop recurring" in rendered(clicked)

    # The suggested root cause is the next question; typing its answer replaces its buttons, and the
    # clicked question is not updated again.
    suggestion = public(h, thread)[-1]
    assert suggestion.ts != question.ts and "_(suggested)_" in rendered(suggestion)
    assert [b for b in suggestion.blocks if b.get("type") == "actions"]
    updates_of_question = len(
        [c for c in h.slack.calls_to("chat.update") if c.params.get("ts") == question.ts]
    )
    say(h, thread, "yes")
    assert rendered(now_of(h, suggestion)).split("\n")[-1] == f"✓ yes — <@{FACILITATOR}>"
    assert not [b for b in now_of(h, suggestion).blocks if b.get("type") == "actions"]
    after = len([c for c in h.slack.calls_to("chat.update") if c.params.get("ts") == question.ts])
    assert after == updates_of_question


def test_a_stale_click_is_answered_ephemerally_in_the_buttons_thread(harness: Harness) -> None:
    h = harness
    thread, question = to_recurring_question(h)
    say(h, thread, "yes")  # typed: the question is answered, its buttons replaced
    posted_before = len(public(h, thread))
    stored_before = len(stored(h))

    # A click that raced the typed answer (the person's Slack still showed the old buttons).
    click(h, question, "No", thread, user=ALEX)

    ephemerals = h.slack.calls_to("chat.postEphemeral")
    assert ephemerals, "the person who clicked was told nothing"
    told = ephemerals[-1].params
    assert told["user"] == ALEX and told["channel"] == CHANNEL
    assert told["thread_ts"] == thread
    assert "already been answered" in told["text"]
    # Nothing in the channel itself, nothing new in the thread for everyone, nothing stored.
    assert len(public(h, thread)) == posted_before
    assert not [m for m in h.slack.messages(channel=CHANNEL) if m.thread_ts is None and m.ts != thread]
    assert len(stored(h)) == stored_before
    assert {r.key: r for r in stored(h)}["whys.3.fixes_it"].value is True


def picker_block_of(message: Message, element_type: str) -> dict[str, Any]:
    return next(
        block
        for block in message.blocks or []
        if block.get("type") == "actions"
        and any(e.get("type") == element_type for e in block.get("elements", []))
    )


def test_owner_date_and_cadence_are_chosen_with_a_people_picker_a_date_picker_and_buttons(
    harness: Harness,
) -> None:
    h = harness
    h.clock.set(MONDAY_30_NOVEMBER)
    thread = start(h, "start five-whys Residents ring us because the form rejects postcodes")
    to_interventions(h, thread)
    say(h, thread, "Ask the supplier to accept postcodes without a space")

    # Who owns it: a people picker, answered by choosing Alex.
    asked = copy.deepcopy(public(h, thread)[-1])
    assert "Who owns it?" in rendered(asked) and "type `me`" in rendered(asked)
    block = picker_block_of(asked, "users_select")
    picker = next(e for e in block["elements"] if e["type"] == "users_select")
    response = h.client.block_action(
        team_id=TEAM,
        user_id=FACILITATOR,
        action_id=picker["action_id"],
        block_id=block["block_id"],
        selected_user=ALEX,
        channel_id=CHANNEL,
        message_ts=asked.ts,
        thread_ts=thread,
        message={"blocks": asked.blocks, "text": asked.text, "thread_ts": thread},
    )
    assert response.status == 200, response.body
    owner = latest(h)["interventions.1.owner"]
    assert owner.value == ALEX and owner.author_id == FACILITATOR
    chosen = now_of(h, asked)
    assert not [b for b in chosen.blocks if b.get("type") == "actions"]
    assert rendered(chosen).split("\n")[-1] == f"✓ <@{ALEX}> — <@{FACILITATOR}>"

    # When: a date picker; choosing Tuesday 8 December is read back in words.
    asked = copy.deepcopy(public(h, thread)[-1])
    assert "When should I first check in" in rendered(asked)
    block = picker_block_of(asked, "datepicker")
    picker = next(e for e in block["elements"] if e["type"] == "datepicker")
    response = h.client.block_action(
        team_id=TEAM,
        user_id=FACILITATOR,
        action_id=picker["action_id"],
        block_id=block["block_id"],
        selected_date="2026-12-08",
        channel_id=CHANNEL,
        message_ts=asked.ts,
        thread_ts=thread,
        message={"blocks": asked.blocks, "text": asked.text, "thread_ts": thread},
    )
    assert response.status == 200, response.body
    assert latest(h)["interventions.1.first_checkin"].value == "2026-12-08"
    reply = h.last_text(CHANNEL, thread)
    assert "First check-in: Tuesday 8 December 2026, 10:00" in reply

    # How often: buttons.
    asked = copy.deepcopy(public(h, thread)[-1])
    assert "how often should I check in" in rendered(asked)
    click(h, asked, "Fortnightly", thread)
    assert latest(h)["interventions.1.cadence"].value == "fortnightly"
    assert "Check-in cadence: fortnightly" in h.last_text(CHANNEL, thread)


def test_an_owner_typed_as_me_is_the_person_who_typed_it(harness: Harness) -> None:
    h = harness
    h.clock.set(MONDAY_30_NOVEMBER)
    thread = start(h, "start five-whys Residents ring us because the form rejects postcodes")
    to_interventions(h, thread)
    say(h, thread, "Ask the supplier to accept postcodes without a space")
    asked = copy.deepcopy(public(h, thread)[-1])
    say(h, thread, "me", user=SAM)
    assert latest(h)["interventions.1.owner"].value == SAM
    assert rendered(now_of(h, asked)).split("\n")[-1] == f"✓ <@{SAM}> — <@{SAM}>"
    assert "When should I first check in" in h.last_text(CHANNEL, thread)

"""A team list's questions are each addressed to one person: answering one by typing retires that
question's buttons (and only that one's: the others are other people's open questions), as a click
does; a click on a button of a question already answered is told so, privately in its thread, and
changes nothing."""

from __future__ import annotations

import copy

from localslack.webapi import Message
from tests.bot.conftest import ALEX, CHANNEL, SAM, Harness, rendered
from tests.bot.test_five_whys_e2e import stored
from tests.bot.test_prompt_buttons_e2e import _button, click, now_of, public
from tests.bot.test_team_sessions import say, start


def question_to(h: Harness, thread: str, user: str, words: str) -> Message:
    """The latest question addressed to ``user`` that asks ``words``, as the channel saw it then."""
    found = next(m for m in reversed(public(h, thread)) if rendered(m).startswith(f"<@{user}> {words}"))
    return copy.deepcopy(found)


def two_people_adding_pain_points(h: Harness) -> tuple[str, Message, Message]:
    thread = start(h, "start pain-points Bulky waste collections go wrong")
    say(h, thread, "Bulky waste bookings")
    say(h, thread, "The booking form times out", ALEX)
    say(h, thread, "No text reminder before collection", SAM)
    return thread, question_to(h, thread, ALEX, "Who feels it most?"), question_to(h, thread, SAM, "Who")


def test_a_typed_answer_retires_its_own_questions_buttons_and_no_one_elses(harness: Harness) -> None:
    h = harness
    thread, alex_question, sam_question = two_people_adding_pain_points(h)
    assert _button(alex_question, "Residents") is not None and _button(sam_question, "Staff") is not None

    say(h, thread, "residents", ALEX)  # typed, while Sam's question is the thread's latest but one

    alex_now = now_of(h, alex_question)
    assert _button(alex_now, "Residents") is None and _button(alex_now, "Staff") is None
    assert "Who feels it most?" in rendered(alex_now)  # the question stays, with who answered what
    assert f"<@{ALEX}>" in rendered(alex_now) and "residents" in rendered(alex_now)
    assert _button(now_of(h, sam_question), "Staff") is not None  # Sam's is still open
    # The list's Next button stays for the facilitator while the list is open.
    invitation = next(m for m in public(h, thread) if "Pain point 1." in rendered(m))
    assert _button(now_of(h, invitation), "Next") is not None

    # A clicked answer retires its buttons too.
    click(h, sam_question, "Staff", thread, user=SAM)
    assert _button(now_of(h, sam_question), "Staff") is None

    # The facilitator closes the list by typing: its Next button gives way too.
    say(h, thread, "next")
    assert "list closed" in h.last_text(CHANNEL, thread)
    assert _button(now_of(h, invitation), "Next") is None


def test_a_click_on_a_question_answered_by_typing_is_told_so_and_changes_nothing(harness: Harness) -> None:
    h = harness
    thread, alex_question, _sam_question = two_people_adding_pain_points(h)
    say(h, thread, "residents", ALEX)
    posted_before, stored_before = len(public(h, thread)), len(stored(h))

    # A click that raced the typed answer (Alex's Slack still showed the old buttons).
    click(h, alex_question, "Staff", thread, user=ALEX)

    told = h.slack.calls_to("chat.postEphemeral")[-1].params
    assert told["user"] == ALEX and told["channel"] == CHANNEL and told["thread_ts"] == thread
    assert told["text"] == "That question has already been answered."
    assert len(public(h, thread)) == posted_before
    assert len(stored(h)) == stored_before
    assert {r.key: r for r in stored(h)}["pain_points.1.who"].value == "residents"

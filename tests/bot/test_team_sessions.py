"""Team sessions in a channel thread: several people at once, items attributed to their authors, only
channel members taking part, and only the facilitator moving the session on."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.views.common import MESSAGE_BLOCK_LIMIT
from storage.models import AnswerVersion, Participant, Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered

OUTSIDER = "U0OUTSIDE"  # in the workspace, not in the channel


def start(h: Harness, text: str) -> str:
    response = h.client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=text)
    assert response.status == 200, response.body
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def say(h: Harness, thread: str, text: str, user: str = FACILITATOR) -> None:
    h.clock.advance(timedelta(seconds=2))
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def latest(h: Harness) -> dict[str, AnswerVersion]:
    with h.deps.session_factory() as orm:
        session_id = orm.scalars(select(Session.id)).one()
    with h.deps.uow() as uow:
        return dict(uow.answers.latest(session_id))


def all_versions(h: Harness) -> list[AnswerVersion]:
    with h.deps.session_factory() as orm:
        return list(orm.scalars(select(AnswerVersion).order_by(AnswerVersion.id)))


def test_three_people_add_pain_points_at_once_and_an_outsider_changes_nothing(harness: Harness) -> None:
    h = harness
    h.slack.add_user(TEAM, OUTSIDER, "Olly")
    thread = start(h, "start pain-points Bulky waste collections go wrong")
    say(h, thread, "Bulky waste bookings")
    invitation = h.last_text(CHANNEL, thread)
    assert "Pain point 1" in invitation and "Anyone in the channel can add one" in invitation

    # Three people start a pain point each; their replies interleave.
    say(h, thread, "The booking form times out", ALEX)
    assert h.last_text(CHANNEL, thread).startswith(f"<@{ALEX}> Who feels it most?")
    say(h, thread, "No text reminder before collection", SAM)
    say(h, thread, "Crews don't get the item list")
    say(h, thread, "residents", ALEX)
    say(h, thread, "residents", SAM)
    say(h, thread, "staff")
    say(h, thread, "technology", ALEX)
    say(h, thread, "service", SAM)
    say(h, thread, "service")

    # Someone outside the channel: nothing stored, nothing posted, not a participant.
    versions, posted = len(all_versions(h)), len(h.thread(CHANNEL, thread))
    say(h, thread, "I think it's all fine actually", OUTSIDER)
    say(h, thread, "next", OUTSIDER)
    assert len(all_versions(h)) == versions and len(h.thread(CHANNEL, thread)) == posted

    # Only the facilitator moves on.
    say(h, thread, "next", ALEX)
    assert "Only the facilitator" in h.last_text(CHANNEL, thread)
    assert "pain_points.done" not in latest(h)

    for reply in ("daily", "5", "Complaints log"):
        say(h, thread, reply, ALEX)
    for reply in ("weekly", "3", "skip"):
        say(h, thread, reply, SAM)
    # The facilitator closes the list with their own item half done: it is finished in turn.
    say(h, thread, "next")
    closed = h.last_text(CHANNEL, thread)
    assert "list closed" in closed and "How often does it happen?" in closed
    for reply in ("monthly", "2", "skip"):
        say(h, thread, reply)
    assert "Which three matter most?" in h.last_text(CHANNEL, thread)
    say(h, thread, "1, 3, 2", SAM)

    answers = latest(h)
    for item, author in ((1, ALEX), (2, SAM), (3, FACILITATOR)):
        for step in ("what", "who", "level"):
            assert answers[f"pain_points.{item}.{step}"].author_id == author, (item, step)
    assert answers["pain_points.1.what"].value == "The booking form times out"
    assert answers["pain_points.2.what"].value == "No text reminder before collection"
    assert answers["pain_points.3.what"].value == "Crews don't get the item list"
    assert answers["pain_points.1.severity"].value == 5 and answers["pain_points.2.severity"].value == 3
    assert answers["pain_points.done"].value == 3
    assert all(v.author_id != OUTSIDER for v in all_versions(h))

    with h.deps.session_factory() as orm:
        session = orm.scalars(select(Session)).one()
        assert session.status == SessionStatus.COMPLETED
        people = {p.user_id for p in orm.scalars(select(Participant))}
    assert people == {FACILITATOR, ALEX, SAM}
    messages = h.thread(CHANNEL, thread)
    assert all(len(m.blocks or []) <= MESSAGE_BLOCK_LIMIT for m in messages)
    summary = "\n".join(rendered(m) for m in messages[-2:])
    assert "1. The booking form times out" in summary
    assert "2. No text reminder before collection" in summary
    assert "3. Crews don't get the item list" in summary
    # Who said what: each person once in the section's credits, with the items they added.
    assert f"_Answered by <@{ALEX}> (1), <@{SAM}> (2) and <@{FACILITATOR}> (3)_" in summary


def test_the_facilitator_moves_on_with_the_next_button(harness: Harness) -> None:
    h = harness
    thread = start(h, "start pain-points Parking permits")
    say(h, thread, "Permit renewals")
    for reply in ("Renewal letters arrive late", "residents", "service", "monthly", "4", "skip"):
        say(h, thread, reply, ALEX)
    prompt = h.thread(CHANNEL, thread)[-1]
    next_button = next(
        e
        for b in prompt.blocks or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Next"
    )
    click = {
        "team_id": TEAM,
        "action_id": next_button["action_id"],
        "value": next_button["value"],
        "channel_id": CHANNEL,
        "message_ts": prompt.ts,
        "thread_ts": thread,
    }
    h.client.block_action(user_id=ALEX, **click)  # type: ignore[arg-type]
    assert "pain_points.done" not in latest(h)
    h.client.block_action(user_id=FACILITATOR, **click)  # type: ignore[arg-type]
    assert latest(h)["pain_points.done"].value == 1
    assert "Which three matter most?" in h.last_text(CHANNEL, thread)


def test_first_reply_answers_and_only_the_facilitator_or_author_takes_it_back(harness: Harness) -> None:
    h = harness
    thread = start(h, "start problem-levels Slow planning replies")
    say(h, thread, "Residents chase by phone", ALEX)
    say(h, thread, "Officers answer the same question twice", SAM)  # answers the next question
    answers = latest(h)
    assert answers["residents"].author_id == ALEX and answers["service"].author_id == SAM

    say(h, thread, "back", ALEX)  # Sam's answer is not Alex's to take back
    assert "Only the facilitator or the person who gave the last answer" in h.last_text(CHANNEL, thread)
    assert "service" in latest(h)
    say(h, thread, "back")  # the facilitator may
    assert "service" not in latest(h)
    say(h, thread, "Officers re-key every enquiry", SAM)
    assert latest(h)["service"].value == "Officers re-key every enquiry"

"""Whether someone new to a session is in its channel: asked of Slack once, then trusted for the
lookup cache's minute, so a team's members joining each new session are not looked up every time;
someone removed from the channel is refused once the minute is over, and a "no" is never kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.directory import LOOKUP_TTL
from storage.models import AnswerVersion, Participant, Session
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, TEAM, Harness

NEWCOMER = "U0NEWCOMER"


def start(h: Harness, problem: str) -> str:
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=f"start five-whys {problem}"
    )
    assert response.status == 200, response.body
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def say(h: Harness, thread: str, text: str, user: str) -> None:
    h.clock.advance(timedelta(seconds=2))
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def member_lookups(h: Harness) -> int:
    """How many times the bot has asked Slack for the channel's members (one page each here)."""
    return len(h.slack.calls_to("conversations.members"))


def answers_by(h: Harness, thread: str, user: str) -> list[str]:
    with h.deps.session_factory() as orm:
        session_id = orm.scalars(select(Session.id).where(Session.thread_ts == thread)).one()
        return [
            str(v.value)
            for v in orm.scalars(
                select(AnswerVersion).where(
                    AnswerVersion.session_id == session_id, AnswerVersion.author_id == user
                )
            )
        ]


def participants(h: Harness, thread: str) -> set[str]:
    with h.deps.session_factory() as orm:
        session_id = orm.scalars(select(Session.id).where(Session.thread_ts == thread)).one()
        return set(orm.scalars(select(Participant.user_id).where(Participant.session_id == session_id)))


def test_a_member_joining_the_next_session_is_not_looked_up_again(harness: Harness) -> None:
    h = harness
    first = start(h, "Missed bin collections")
    say(h, first, "The round sheet is out of date", FACILITATOR)
    before = member_lookups(h)
    say(h, first, "Crews are not told of new streets", ALEX)
    assert member_lookups(h) == before + 1
    assert answers_by(h, first, ALEX) == ["Crews are not told of new streets"]

    second = start(h, "Assisted collections are missed")
    say(h, second, "The assisted list is kept on paper", FACILITATOR)
    say(h, second, "Nobody owns the paper list", ALEX)
    assert member_lookups(h) == before + 1  # Slack said yes a moment ago
    assert answers_by(h, second, ALEX) == ["Nobody owns the paper list"]
    assert ALEX in participants(h, second)


def test_someone_removed_from_the_channel_is_refused_once_the_minute_is_over(harness: Harness) -> None:
    h = harness
    first = start(h, "Missed bin collections")
    say(h, first, "The round sheet is out of date", FACILITATOR)
    say(h, first, "Crews are not told of new streets", ALEX)
    h.slack.set_member(TEAM, CHANNEL, ALEX, member=False)
    h.clock.advance(LOOKUP_TTL)

    second = start(h, "Assisted collections are missed")
    say(h, second, "The assisted list is kept on paper", FACILITATOR)
    posted = len(h.thread(CHANNEL, second))
    asked = member_lookups(h)
    say(h, second, "I have left but still have views", ALEX)
    assert member_lookups(h) == asked + 1  # the yes had gone stale: Slack was asked again
    assert answers_by(h, second, ALEX) == [] and ALEX not in participants(h, second)
    assert len(h.thread(CHANNEL, second)) == posted
    # Already taking part in the first session, they still may answer there.
    say(h, first, "Drivers use old sat-navs", ALEX)
    assert "Drivers use old sat-navs" in answers_by(h, first, ALEX)


def test_a_no_is_not_kept_so_someone_just_added_answers_at_once(harness: Harness) -> None:
    h = harness
    h.slack.add_user(TEAM, NEWCOMER, "Nia")
    thread = start(h, "Missed bin collections")
    say(h, thread, "The round sheet is out of date", FACILITATOR)
    say(h, thread, "A view from outside", NEWCOMER)
    assert answers_by(h, thread, NEWCOMER) == []

    h.slack.set_member(TEAM, CHANNEL, NEWCOMER)
    say(h, thread, "Crews are not told of new streets", NEWCOMER)
    assert answers_by(h, thread, NEWCOMER) == ["Crews are not told of new streets"]
    assert NEWCOMER in participants(h, thread)

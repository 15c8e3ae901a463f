"""The similar known cases a classification proposal learned from are other sessions' root causes:
quoted (their words) only to who may read those sessions, counted for everyone else. Through the
real app with signed requests: a decision made in a private channel teaches a public channel's
proposal, whose "Show details" quotes it to a member of the private channel and not to anyone else,
and whose stored value and export (posted in the public channel) carry none of its words."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storage.models import AnswerVersion
from tests.bot.conftest import ALEX, FACILITATOR, SAM, TEAM, Harness, rendered
from tests.bot.test_classification_e2e import show_details

PRIVATE, PUBLIC = "G0CASEWORK", "C0REVENUES"
OUTSIDER = "U0OUT"
PRIVATE_ROOT_CAUSE = "Our contract with Fernhill Systems doesn't let us change the supplier's settings"
PUBLIC_ROOT_CAUSE = "Our contract doesn't let us change the supplier's settings"


@pytest.fixture
def council(harness: Harness) -> Harness:
    slack = harness.slack
    slack.add_user(TEAM, OUTSIDER, "Olu")
    slack.add_channel(TEAM, PRIVATE, "hr-casework", members=[FACILITATOR, ALEX, SAM], is_private=True)
    slack.add_channel(TEAM, PUBLIC, "revenues", members=[FACILITATOR, ALEX, SAM, OUTSIDER])
    return harness


def say_in(h: Harness, channel: str, thread: str, text: str, user: str = FACILITATOR) -> None:
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=channel, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def reach_classification_in(h: Harness, channel: str, problem: str, root_cause: str) -> str:
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=channel, text=f"start five-whys {problem}"
    )
    assert response.status == 200, response.body
    thread = [m for m in h.slack.messages(channel=channel, team_id=TEAM) if m.thread_ts is None][-1].ts
    say_in(h, channel, thread, "The payment form times out", user=ALEX)
    say_in(h, channel, thread, "The supplier's product caps sessions at two minutes", user=SAM)
    say_in(h, channel, thread, root_cause)
    say_in(h, channel, thread, "yes")  # fixing it would stop the problem
    say_in(h, channel, thread, "yes")  # the suggested root cause
    say_in(h, channel, thread, "no")  # no second branch
    assert "Where does the root cause lie?" in rendered(h.thread(channel, thread)[-1])
    return thread


def private_decision_then_public_proposal(h: Harness) -> str:
    private = reach_classification_in(
        h, PRIVATE, "Residents can't pay council tax online", PRIVATE_ROOT_CAUSE
    )
    say_in(h, PRIVATE, private, "scope council-wide category funding-investment")
    return reach_classification_in(h, PUBLIC, "Residents can't pay council tax online", PUBLIC_ROOT_CAUSE)


def test_a_private_channels_case_is_counted_not_quoted_to_someone_outside_it(council: Harness) -> None:
    h = council
    public = private_decision_then_public_proposal(h)
    # The proposal learned from the private decision (it counts it)...
    proposal = rendered(h.thread(PUBLIC, public)[-1])
    assert "Learned from 1 of your team's decisions" in proposal
    assert "Fernhill" not in proposal
    # ...but someone who isn't in the private channel reads no word of it in the details.
    outside = show_details(h, public, OUTSIDER, PUBLIC)
    assert "Fernhill" not in outside
    assert "confirmed in this workspace" not in outside
    assert (
        "One more similar decision, from a conversation you can't see, is counted but not quoted." in outside
    )
    assert "known case:" in outside  # the project's own known cases are still quoted
    # A member of the private channel may read it.
    member = show_details(h, public, ALEX, PUBLIC)
    assert "Fernhill Systems" in member
    assert "confirmed in this workspace: council-wide, funding-investment" in member
    assert "can't see" not in member


def test_the_decision_stored_and_exported_carries_no_other_sessions_words(council: Harness) -> None:
    h = council
    public = private_decision_then_public_proposal(h)
    say_in(h, PUBLIC, public, "confirm")
    with h.deps.session_factory() as orm:
        decided = orm.scalars(
            select(AnswerVersion)
            .where(AnswerVersion.key == "classification")
            .order_by(AnswerVersion.id.desc())
            .limit(1)
        ).one()
    stored = json.dumps(decided.value)
    assert "Fernhill" not in stored
    assert [entry["id"] for entry in decided.value["proposed"]["similar"] if entry["source"] == "workspace"]
    # The export posted in the public channel: no word of the private case either.
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=PUBLIC, text=f"export {decided.session_id}"
    )
    assert response.status == 200, response.body
    exported = [f for f in h.slack.files if f.channel_id == PUBLIC]
    assert exported, "nothing was exported"
    for uploaded in exported:
        assert b"Fernhill" not in (uploaded.content or b""), uploaded.filename
    # Once decided, the details still quote only what the clicker may see.
    assert "Fernhill" not in show_details(h, public, OUTSIDER, PUBLIC)
    assert "Fernhill" in show_details(h, public, SAM, PUBLIC)

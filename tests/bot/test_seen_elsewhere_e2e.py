"""Seen elsewhere in the council, through the real app with signed requests: a confirmed root cause
is followed in its thread by similar root causes from other teams' sessions in public channels (never
a private channel's or a DM's), with their channel, date and link, and "this may be council-wide" once
the cause has come up in three services; ``/playbook similar <session>`` answers a lead privately."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from localslack.webapi import Message
from storage.models import Session
from tests.bot.conftest import ALEX, FACILITATOR, SAM, TEAM, Harness, rendered

REVENUES, HOUSING, WASTE, CASEWORK = "C0REVENUES", "C0HOUSING", "C0WASTE", "G0CASEWORK"
OUTSIDER, LEAD = "U0OUT", "U0LEAD"
FEDERATED = "C0SHARED"

ROOT_CAUSES = {
    REVENUES: "Staff were never trained on the new case management system",
    HOUSING: "Nobody trained the housing officers to use the case management system",
    CASEWORK: "Caseworkers had no training on the case management system either",
    WASTE: "The crews were not trained on the case management system",
}


@pytest.fixture
def council(harness: Harness) -> Harness:
    slack = harness.slack
    people = [FACILITATOR, ALEX, SAM]
    for user, name in ((OUTSIDER, "Olu"), (LEAD, "Lee")):
        slack.add_user(TEAM, user, name)
    slack.add_channel(TEAM, REVENUES, "revenues", members=people)
    slack.add_channel(TEAM, HOUSING, "housing", members=people)
    slack.add_channel(TEAM, WASTE, "waste", members=people)
    slack.add_channel(TEAM, CASEWORK, "hr-casework", members=people, is_private=True)
    with harness.deps.uow() as uow:
        uow.workspaces.change_settings(TEAM, lead_user_ids=(LEAD,))
        uow.commit()
    return harness


def start_in(h: Harness, channel: str, problem: str) -> str:
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=channel, text=f"start five-whys {problem}"
    )
    assert response.status == 200, response.body
    return [m for m in h.slack.messages(channel=channel, team_id=TEAM) if m.thread_ts is None][-1].ts


def say_in(h: Harness, channel: str, thread: str, text: str, user: str = FACILITATOR) -> None:
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=channel, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def confirm_root_cause(h: Harness, channel: str, problem: str) -> str:
    """A session in ``channel`` up to its confirmed root cause (the channel's entry of ROOT_CAUSES)."""
    thread = start_in(h, channel, problem)
    say_in(h, channel, thread, "Cases take weeks to close", user=ALEX)
    say_in(h, channel, thread, "People work around the system with spreadsheets", user=SAM)
    say_in(h, channel, thread, ROOT_CAUSES[channel])
    say_in(h, channel, thread, "yes")  # fixing it would stop the problem
    say_in(h, channel, thread, "yes")  # the suggested root cause
    return thread


def elsewhere_messages(h: Harness, channel: str, thread: str) -> list[Message]:
    return [m for m in h.thread(channel, thread) if m.text == "Seen elsewhere in the council"]


def test_the_third_public_session_names_the_first_two_and_not_the_private_one(council: Harness) -> None:
    h = council
    revenues = confirm_root_cause(h, REVENUES, "Council tax queries pile up")
    # The first root cause has nothing to compare with: nothing is posted.
    assert elsewhere_messages(h, REVENUES, revenues) == []
    confirm_root_cause(h, HOUSING, "Repairs requests go missing")
    confirm_root_cause(h, CASEWORK, "Grievances take months")
    waste = confirm_root_cause(h, WASTE, "Missed bin collections are logged twice")

    [message] = elsewhere_messages(h, WASTE, waste)
    text = rendered(message)
    assert "#revenues" in text and ROOT_CAUSES[REVENUES] in text
    assert "#housing" in text and ROOT_CAUSES[HOUSING] in text
    assert "hr-casework" not in text and ROOT_CAUSES[CASEWORK] not in text
    assert "25 November 2026" in text  # the date of each session
    for channel in (REVENUES, HOUSING):
        assert f"https://anytown-council.slack.com/archives/{channel}/p" in text
    # Revenues, housing and waste: three services, so it may be council-wide (the private one is not
    # counted either: who is told must not learn that it exists).
    assert "come up in 3 services (#waste, #revenues and #housing)" in text
    assert "this may be council-wide" in text
    # The message comes before the next question, which stays the last in the thread.
    assert "second branch" in h.last_text(WASTE, waste)
    # The permalinks and channels were asked of Slack: never the private channel's permalink.
    linked = [call.params.get("channel") for call in h.slack.calls_to("chat.getPermalink")]
    assert CASEWORK not in linked


def test_a_private_channel_root_cause_is_never_shown_in_another_channel(council: Harness) -> None:
    h = council
    confirm_root_cause(h, CASEWORK, "Grievances take months")
    revenues = confirm_root_cause(h, REVENUES, "Council tax queries pile up")
    assert elsewhere_messages(h, REVENUES, revenues) == []
    assert all(ROOT_CAUSES[CASEWORK] not in rendered(m) for m in h.slack.messages(channel=REVENUES))


def test_a_dm_session_root_cause_is_never_shown(council: Harness) -> None:
    h = council
    response = h.client.slash_command(
        team_id=TEAM, user_id=ALEX, channel_id="D0ALEX", text="start five-whys Grievances take months"
    )
    assert response.status == 200
    dm = h.slack.dm_channel(TEAM, ALEX)
    for text in (
        "Cases take weeks to close",
        "People work around the system",
        ROOT_CAUSES[CASEWORK],
        "yes",
        "yes",
    ):
        _dm(h, dm, text)
    revenues = confirm_root_cause(h, REVENUES, "Council tax queries pile up")
    assert elsewhere_messages(h, REVENUES, revenues) == []


def _dm(h: Harness, channel: str, text: str) -> None:
    response = h.client.message(team_id=TEAM, user_id=ALEX, channel_id=channel, text=text, channel_type="im")
    assert response.status == 200, response.body


def similar(h: Harness, text: str, user: str) -> dict[str, Any]:
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=WASTE, text=text)
    assert response.status == 200, response.body
    return dict(response.json()) if response.body.startswith("{") else {"text": response.body}


def _session_from_db(h: Harness, channel: str) -> int:
    with h.deps.session_factory() as orm:
        return int(orm.scalars(select(Session.id).where(Session.channel_id == channel)).one())


def test_a_lead_asks_for_similar_root_causes_privately(council: Harness) -> None:
    h = council
    for channel, problem in (
        (REVENUES, "Council tax queries pile up"),
        (HOUSING, "Repairs requests go missing"),
        (CASEWORK, "Grievances take months"),
        (WASTE, "Missed bin collections are logged twice"),
    ):
        confirm_root_cause(h, channel, problem)
    waste = _session_from_db(h, WASTE)
    posted_before = len(h.slack.messages())

    answer = similar(h, f"similar {waste}", LEAD)
    shown = "\n".join(rendered_blocks(answer))
    assert f"Root causes like session {waste}'s" in shown and ROOT_CAUSES[WASTE] in shown
    assert "#revenues" in shown and "#housing" in shown and "this may be council-wide" in shown
    assert "hr-casework" not in shown and ROOT_CAUSES[CASEWORK] not in shown
    # Ephemeral: the answer is the command's own response, nothing is posted in a channel.
    assert answer.get("response_type", "ephemeral") == "ephemeral"
    assert len(h.slack.messages()) == posted_before

    # Someone neither a lead nor taking part is refused, and learns nothing.
    refused = similar(h, f"similar {waste}", OUTSIDER)
    assert "Only a lead" in refused["text"] and "#revenues" not in str(refused)
    # A lead who is not in the private channel may not ask about its session.
    casework = _session_from_db(h, CASEWORK)
    # It is answered as a session that doesn't exist: the refusal doesn't confirm that it does.
    assert f"I can't find session `{casework}`" in similar(h, f"similar {casework}", LEAD)["text"]
    # Someone who took part in it may: the public root causes, never another private one.
    mine = "\n".join(rendered_blocks(similar(h, f"similar {casework}", ALEX)))
    assert "#revenues" in mine and "#waste" in mine and ROOT_CAUSES[CASEWORK] in mine
    # Without a session number, the usage.
    assert "/playbook similar 12" in similar(h, "similar", LEAD)["text"]


def rendered_blocks(answer: dict[str, Any]) -> list[str]:
    return [str(block["text"]["text"]) for block in answer.get("blocks") or [] if block.get("text")]


@pytest.mark.parametrize("failure", [{"error": "internal_error"}, {"status": 503}])
def test_when_slack_cannot_say_nothing_is_shown_and_the_session_goes_on(
    council: Harness, failure: dict[str, Any]
) -> None:
    h = council
    confirm_root_cause(h, REVENUES, "Council tax queries pile up")
    h.slack.fail_next("conversations.info", times=10, **failure)
    housing = confirm_root_cause(h, HOUSING, "Repairs requests go missing")
    assert elsewhere_messages(h, HOUSING, housing) == []
    assert "second branch" in h.last_text(HOUSING, housing)

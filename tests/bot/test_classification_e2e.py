"""The classification proposal in Slack: confirm, change with the menus or by typing, and only the
facilitator or a lead may."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from localslack.webapi import Message
from storage.models import AnswerVersion, Workspace
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered
from tests.bot.test_five_whys_e2e import say, start


def reach_classification(h: Harness, problem: str = "Residents can't pay council tax online") -> str:
    thread = start(h, f"start five-whys {problem}")
    say(h, thread, "The payment form times out", user=ALEX)
    say(h, thread, "The supplier's product caps sessions at two minutes", user=SAM)
    say(h, thread, "Our contract doesn't let us change the supplier's settings")
    say(h, thread, "yes")  # fixing it would stop the problem
    say(h, thread, "yes")  # the suggested root cause
    say(h, thread, "no")  # no second branch
    assert "Where does the root cause lie?" in h.last_text(CHANNEL, thread)
    return thread


def finish(h: Harness, thread: str) -> None:
    """Past the interventions list when the template has one."""
    if "Intervention 1" in h.last_text(CHANNEL, thread):
        say(h, thread, "done")


def classification_versions(h: Harness) -> list[AnswerVersion]:
    with h.deps.session_factory() as orm:
        return list(
            orm.scalars(
                select(AnswerVersion)
                .where(AnswerVersion.key == "classification")
                .order_by(AnswerVersion.version)
            )
        )


def proposal_message(h: Harness, thread: str, channel: str = CHANNEL) -> Message:
    return next(
        m for m in reversed(h.thread(channel, thread)) if "Where does the root cause lie?" in rendered(m)
    )


def menu_option(message: Message, action_id: str, reply: str) -> dict[str, Any]:
    for block in message.blocks or []:
        for element in block.get("elements", []) or []:
            if element.get("action_id") == action_id:
                for option in element["options"]:
                    if json.loads(option["value"])["r"] == reply:
                        return dict(option)
    raise AssertionError(f"no {reply!r} in {action_id}")


def choose(h: Harness, thread: str, user: str, action_id: str, reply: str) -> None:
    message = proposal_message(h, thread)
    response = h.client.block_action(
        team_id=TEAM,
        user_id=user,
        action_id=action_id,
        selected_option=menu_option(message, action_id, reply),
        channel_id=CHANNEL,
        message_ts=message.ts,
        thread_ts=thread,
        message={"blocks": message.blocks, "text": message.text},
    )
    assert response.status == 200, response.body


def show_details(h: Harness, thread: str, user: str = FACILITATOR, channel: str = CHANNEL) -> str:
    """Click "Show details" on the proposal; the text of the modal Slack was asked to open."""
    message = proposal_message(h, thread, channel)
    button = next(
        e
        for b in message.blocks or []
        for e in b.get("elements", []) or []
        if e.get("action_id") == "classification.details"
    )
    opened = len(h.slack.views)
    response = h.client.block_action(
        team_id=TEAM,
        user_id=user,
        action_id="classification.details",
        value=button["value"],
        channel_id=channel,
        message_ts=message.ts,
        thread_ts=thread,
        trigger_id=f"trigger-{opened}",
    )
    assert response.status == 200, response.body
    views = h.slack.views
    assert len(views) == opened + 1, "no modal was opened"
    assert views[-1].opened_by == "views.open"
    return "\n".join(
        str(block["text"]["text"]) for block in views[-1].blocks if isinstance(block.get("text"), dict)
    )


def test_the_proposal_says_scope_category_and_why_in_plain_words(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    text = rendered(proposal_message(h, thread))
    assert "*product* scope, in the *procurement-market* category" in text
    assert "_fairly sure_" in text or "_not sure, please check_" in text
    why = [line for line in text.splitlines() if line.startswith("Why: ")]
    assert len(why) == 1 and len(why[0]) < 300
    # The workings are details: no margins, scores or lists of matched words in the thread.
    for internal in ("margin", "Confidence", "the root cause mentions", "Most similar", "Reasons", " by 0."):
        assert internal not in text
    # The question, the proposal, why, how to change it, and the buttons' labels: not fifteen lines.
    assert len([line for line in text.splitlines() if line.strip()]) <= 6
    selects = [
        e["action_id"] for b in proposal_message(h, thread).blocks or [] for e in b.get("elements", []) or []
    ]
    assert "classification.scope" in selects and "classification.category" in selects
    assert "classification.details" in selects


def test_show_details_opens_the_reasons_for_whoever_clicks(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    details = show_details(h, thread, user=ALEX)
    assert "Proposed: *product* scope, *procurement-market* category" in details
    assert "the root cause mentions" in details and "most similar known cases" in details
    assert "margin" not in details
    # Once decided, the details are still those of the proposal that was decided on.
    say(h, thread, "scope service")
    assert "Proposed: *product* scope" in show_details(h, thread)
    # Nothing was posted in the thread for a click on "Show details".
    assert "Proposed:" not in "\n".join(rendered(m) for m in h.thread(CHANNEL, thread))


def test_show_details_from_another_channel_is_refused(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    opened = len(h.slack.views)
    response = h.client.block_action(
        team_id=TEAM,
        user_id=ALEX,
        action_id="classification.details",
        value="1",
        channel_id="C0ELSEWHERE",
        message_ts=thread,
        trigger_id="trigger-x",
    )
    assert response.status == 200
    assert len(h.slack.views) == opened


def test_the_facilitator_changes_scope_and_category_with_the_menus(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    choose(h, thread, FACILITATOR, "classification.scope", "scope council-wide")
    # The decision is recorded on the proposal and the menus stay, so the category can change too.
    assert "council-wide" in rendered(proposal_message(h, thread))
    choose(h, thread, FACILITATOR, "classification.category", "category funding-investment")
    versions = classification_versions(h)
    assert [(v.value["scope"], v.value["category"], v.value["status"]) for v in versions] == [
        ("council-wide", "procurement-market", "changed"),
        ("council-wide", "funding-investment", "changed"),
    ]
    assert all(v.author_id == FACILITATOR and v.created_at is not None for v in versions)
    assert versions[1].value["proposed"]["scope"] == "product"
    shown = rendered(proposal_message(h, thread))
    assert "funding-investment" in shown and f"changed by <@{FACILITATOR}>" in shown
    # The later change is said in the thread as well as on the proposal.
    notices = [m for m in h.thread(CHANNEL, thread) if m.text == "Classification changed"]
    assert len(notices) == 1 and "category *funding-investment*, changed by" in rendered(notices[0])


def test_a_typed_override_by_the_facilitator_is_stored(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    say(h, thread, "scope service category data")
    [version] = classification_versions(h)
    assert (version.value["scope"], version.value["category"], version.value["status"]) == (
        "service",
        "data",
        "changed",
    )
    assert version.author_id == FACILITATOR and version.raw_text == "scope service category data"
    finish(h, thread)
    summary = "\n".join(rendered(m) for m in h.thread(CHANNEL, thread)[-3:])
    assert "service, data (changed)" in summary and f"<@{FACILITATOR}>" in summary


def test_anyone_else_is_refused_and_nothing_is_stored(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    say(h, thread, "scope service", user=ALEX)
    assert "Only the facilitator or a lead" in h.last_text(CHANNEL, thread)
    # The confirm button: refused privately.
    message = proposal_message(h, thread)
    confirm = next(
        e for b in message.blocks or [] if b["type"] == "actions" for e in b["elements"] if e.get("value")
    )
    h.client.block_action(
        team_id=TEAM,
        user_id=ALEX,
        action_id=confirm["action_id"],
        value=confirm["value"],
        channel_id=CHANNEL,
        message_ts=message.ts,
        thread_ts=thread,
    )
    choose(h, thread, SAM, "classification.scope", "scope service")
    ephemeral = [m for m in h.slack.messages(channel=CHANNEL) if m.ephemeral_user]
    assert {m.ephemeral_user for m in ephemeral} == {ALEX, SAM}
    assert all("Only the facilitator or a lead" in m.text for m in ephemeral)
    assert classification_versions(h) == []
    # The facilitator's confirmation still works afterwards.
    say(h, thread, "confirm")
    [version] = classification_versions(h)
    assert version.value["status"] == "confirmed" and version.author_id == FACILITATOR


def test_a_lead_may_confirm(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    with h.deps.session_factory() as orm:
        workspace = orm.get(Workspace, TEAM)
        assert workspace is not None
        workspace.settings = {"lead_user_ids": [SAM]}
        orm.commit()
    say(h, thread, "confirm", user=SAM)
    [version] = classification_versions(h)
    assert version.value["status"] == "confirmed" and version.author_id == SAM

"""Editing answers through the modal: typed `edit` offers the button, the button opens the modal, a
submission keeps history and the summary shows the new value."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.ids import EditActionId, EditCallbackId, edit_answer_block
from storage.models import AnswerVersion, Session
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered


def start(h: Harness, text: str) -> str:
    response = h.client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=text)
    assert response.status == 200, response.body
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def say(h: Harness, thread: str, text: str, user: str = FACILITATOR) -> None:
    h.clock.advance(timedelta(seconds=2))
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def completed_levels(h: Harness) -> str:
    thread = start(h, "start problem-levels Residents can't renew permits online")
    say(h, thread, "They queue at the counter", ALEX)
    for reply in ("Staff re-key forms", "No API", "No budget", "no", "It is this service's system"):
        say(h, thread, reply)
    return thread


def open_modal(h: Harness, thread: str, user: str) -> dict[str, Any]:
    """Type `edit`, click the offered button, and return the modal that opened."""
    say(h, thread, "edit", user)
    offer = h.thread(CHANNEL, thread)[-1]
    assert "Every change is kept as a new version" in rendered(offer)
    button = next(
        e for b in offer.blocks or [] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"]
    )
    assert button["action_id"] == EditActionId.OPEN
    opened = len(h.slack.views)
    response = h.client.block_action(
        team_id=TEAM,
        user_id=user,
        action_id=button["action_id"],
        value=button["value"],
        channel_id=CHANNEL,
        message_ts=offer.ts,
        thread_ts=thread,
    )
    assert response.status == 200
    views = h.slack.views
    assert len(views) == opened + 1 and views[-1].callback_id == EditCallbackId.MODAL
    return views[-1].view


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def submit(h: Harness, view: dict[str, Any], user: str, changes: dict[str, str]) -> Any:
    state = {}
    for block_id, block in inputs(view).items():
        value = block["element"].get("initial_value", "")
        for key, new in changes.items():
            if block_id == edit_answer_block(key):
                value = new
        state[block_id] = {EditActionId.INPUT: {"type": "plain_text_input", "value": value}}
    return h.client.view_submission(
        team_id=TEAM,
        user_id=user,
        callback_id=EditCallbackId.MODAL,
        state_values=state,
        private_metadata=view["private_metadata"],
    )


def versions(h: Harness, key: str) -> list[AnswerVersion]:
    with h.deps.session_factory() as orm:
        return list(
            orm.scalars(select(AnswerVersion).where(AnswerVersion.key == key).order_by(AnswerVersion.version))
        )


def test_an_edited_answer_keeps_its_history_and_the_summary_shows_the_new_value(harness: Harness) -> None:
    h = harness
    thread = completed_levels(h)
    view = open_modal(h, thread, FACILITATOR)
    fields = inputs(view)
    residents = fields[edit_answer_block("residents")]
    assert residents["label"]["text"] == "For residents"
    assert residents["element"]["initial_value"] == "They queue at the counter"
    assert all(0 < b["element"]["max_length"] <= 3000 for b in fields.values())

    h.clock.advance(timedelta(hours=1))
    response = submit(h, view, FACILITATOR, {"residents": "They queue for an hour at the counter"})
    assert response.status == 200 and not response.body  # the modal closes

    history = versions(h, "residents")
    assert [(v.version, v.value, v.author_id) for v in history] == [
        (1, "They queue at the counter", ALEX),
        (2, "They queue for an hour at the counter", FACILITATOR),
    ]
    assert history[1].raw_text == "They queue for an hour at the counter"
    summary = "\n".join(rendered(m) for m in h.thread(CHANNEL, thread)[-2:])
    assert f"<@{FACILITATOR}> changed 1 answer(s): For residents." in summary
    assert "Problem levels: summary" in summary
    assert "*For residents:* They queue for an hour at the counter" in summary
    assert "They queue at the counter" not in summary


def test_an_unreadable_edit_is_refused_on_its_input_and_nothing_is_stored(harness: Harness) -> None:
    h = harness
    thread = completed_levels(h)
    view = open_modal(h, thread, FACILITATOR)
    before = len(versions(h, "council_wide"))
    response = submit(h, view, FACILITATOR, {"council_wide": "perhaps", "technology": "Two old systems"})
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {edit_answer_block("council_wide")}
    assert (
        body["errors"][edit_answer_block("council_wide")]
        == "Please answer yes or no.\nFor example: `yes`, `no`"
    )
    assert len(versions(h, "council_wide")) == before and len(versions(h, "technology")) == 1

    response = submit(h, view, FACILITATOR, {"council_wide": "yes"})
    assert response.status == 200 and not response.body
    assert versions(h, "council_wide")[-1].value is True


def test_people_edit_only_their_own_answers_and_outsiders_none(harness: Harness) -> None:
    h = harness
    thread = completed_levels(h)
    view = open_modal(h, thread, ALEX)
    assert set(inputs(view)) == {edit_answer_block("residents")}
    # A forged input for someone else's answer is ignored.
    forged = {"block_id": edit_answer_block("service"), "type": "input", "element": {}, "label": {}}
    view["blocks"].append(forged)
    submit(h, view, ALEX, {"service": "Hijacked"})
    assert [v.value for v in versions(h, "service")] == ["Staff re-key forms"]

    posted = len(h.thread(CHANNEL, thread))
    say(h, thread, "edit", SAM)  # never took part: no offer
    assert len(h.thread(CHANNEL, thread)) == posted


def test_editing_a_cost_line_updates_the_yearly_total(harness: Harness) -> None:
    h = harness
    thread = start(h, "start cost-impacts Paper forms")
    for reply in (
        "staff",
        "Scanning forms",
        "both",
        "1 hour",
        "10 a year",
        "1",
        "skip",
        "skip",
        "skip",
        "done",
        "skip",
    ):
        say(h, thread, reply)
    view = open_modal(h, thread, FACILITATOR)
    submit(h, view, FACILITATOR, {"costs.1.people": "3"})
    summary = "\n".join(rendered(m) for m in h.thread(CHANNEL, thread)[-2:])
    # 1 hour × 10 a year × 3 people × £30 = £900.
    assert "*Total a year:* £900" in summary
    with h.deps.session_factory() as orm:
        assert orm.scalars(select(Session)).one().status == "completed"

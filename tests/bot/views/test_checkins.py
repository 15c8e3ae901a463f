"""Block Kit for check-ins and interventions, built without Slack: what the owner reads, what each
button stands for, and Slack's limits."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.codec import CheckInValue, SessionValue, decode
from bot.ids import CheckInActionId, CheckInBlockId, CheckInCallbackId
from bot.views.checkins import (
    ANSWER_BUTTONS,
    CheckInCard,
    InterventionSubmission,
    ReasonSubmission,
    answered_blocks,
    answered_checkin_message,
    answered_label,
    checkin_message,
    intervention_modal,
    reason_modal,
)
from bot.views.common import SECTION_LIMIT
from flows.interventions import MAX_REASON, CheckInAnswer

# Slack's limits: section text, modal title, private_metadata, button labels.
MODAL_TITLE_LIMIT = 24
METADATA_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75


def _dicts(blocks: list[Any]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def _texts(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [actions] = [b for b in blocks if b["type"] == "actions"]
    return list(actions["elements"])


def test_the_checkin_asks_about_the_intervention_with_six_answer_buttons() -> None:
    text, blocks = checkin_message(CheckInCard(12, "Ask the supplier to fix postcode validation", 3))
    content = _dicts(blocks)
    read = _texts(content)
    assert "*Check-in:* Ask the supplier to fix postcode validation" in read
    assert "Agreed in session 3. How is it going?" in read
    assert "`snooze week`" in read  # every answer can also be typed
    assert text.startswith("*Check-in:* Ask the supplier")
    buttons = _buttons(content)
    assert [b["text"]["text"] for b in buttons] == [
        "On track",
        "Blocked",
        "Done",
        "Not doing",
        "Snooze 1 day",
        "Snooze 1 week",
    ]
    assert [decode(CheckInValue, b["value"]) for b in buttons] == [
        CheckInValue(c=12, r=answer.value) for answer in ANSWER_BUTTONS
    ]
    assert len({b["action_id"] for b in buttons}) == 6
    assert all(b["action_id"].startswith(f"{CheckInActionId.RESPOND}:") for b in buttons)
    assert [b.get("style") for b in buttons] == ["primary", None, None, None, None, None]
    # The block id names the check-in (the process tests count deliveries by it).
    assert [b["block_id"] for b in content if b["type"] == "actions"] == ["checkin.12"]
    assert all(len(b["text"]["text"]) <= BUTTON_TEXT_LIMIT for b in buttons)


def test_the_owners_wording_is_escaped_and_clipped() -> None:
    text, blocks = checkin_message(CheckInCard(1, "Tell <!channel> & <@U0X> " + "x" * 5000, 2))
    read = _texts(_dicts(blocks))
    assert "<!channel>" not in read and "<@U0X>" not in read
    assert "Tell &lt;!channel&gt; &amp; &lt;@U0X&gt;" in read
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in _dicts(blocks) if b["type"] == "section")
    assert "…" in text


def test_a_catch_up_says_when_it_was_due() -> None:
    _text, blocks = checkin_message(CheckInCard(1, "Fix it", 2, catch_up_from=date(2026, 12, 1)))
    assert "This check-in was due on Tuesday 1 December 2026" in _texts(_dicts(blocks))
    _text, on_time = checkin_message(CheckInCard(1, "Fix it", 2))
    assert "was due on" not in _texts(_dicts(on_time))


def test_the_answered_state_says_who_answered_what_with_no_buttons() -> None:
    label = answered_label(CheckInAnswer.BLOCKED, "supplier <late>")
    assert label == "Blocked: supplier <late>"
    assert answered_label(CheckInAnswer.ON_TRACK, None) == "On track"
    content = _dicts(answered_blocks("U0SAM", label))
    assert _texts(content) == "<@U0SAM> answered: Blocked: supplier &lt;late&gt;"
    assert all(b["type"] != "actions" for b in content)
    # Someone erased with forget-me is never a broken mention.
    assert "former participant answered" in _texts(_dicts(answered_blocks("former-participant", "Done")))


def test_the_answered_message_keeps_its_question_above_the_answer() -> None:
    card = CheckInCard(1, "Fix the <form>", 2)
    asked_text, asked = checkin_message(card)
    text, content = answered_checkin_message(card, "U0SAM", "On track")
    content_dicts = _dicts(content)
    question = [b for b in _dicts(asked) if b["type"] == "section"]
    assert content_dicts[: len(question)] == question
    assert "Fix the &lt;form&gt;" in _texts(content_dicts)
    assert _texts(content_dicts).endswith("<@U0SAM> answered: On track")
    assert all(b["type"] != "actions" for b in content_dicts)
    assert text.startswith(asked_text.split("\n")[0]) and text.endswith("answered: On track")


def test_the_reason_modal_asks_why_and_carries_its_checkin() -> None:
    for answer, question in (
        (CheckInAnswer.BLOCKED, "What's blocking it?"),
        (CheckInAnswer.NOT_DOING, "Why isn't it going ahead?"),
    ):
        view = reason_modal(7, answer).to_dict()
        assert view["callback_id"] == CheckInCallbackId.REASON
        assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
        [block] = view["blocks"]
        assert block["block_id"] == CheckInBlockId.REASON and block["label"]["text"] == question
        assert block["element"]["max_length"] == MAX_REASON
        assert decode(CheckInValue, view["private_metadata"]) == CheckInValue(c=7, r=answer.value)


def _submitted(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {"private_metadata": view["private_metadata"], "state": {"values": values}}


def test_a_submitted_reason_is_read_once_into_a_model() -> None:
    view = reason_modal(7, CheckInAnswer.NOT_DOING).to_dict()
    typed = {CheckInBlockId.REASON: {CheckInActionId.REASON: {"value": "  no budget  "}}}
    assert ReasonSubmission.from_view(_submitted(view, typed)) == ReasonSubmission(
        checkin_id=7, answer=CheckInAnswer.NOT_DOING, reason="no budget"
    )
    blank = ReasonSubmission.from_view(_submitted(view, {}))
    assert blank is not None and blank.reason == ""
    assert ReasonSubmission.from_view({"private_metadata": "not json"}) is None
    assert ReasonSubmission.from_view({"private_metadata": json.dumps({"c": 7, "r": "nonsense"})}) is None


def test_the_intervention_form_suggests_a_first_checkin_a_week_ahead() -> None:
    view = intervention_modal(4, date(2026, 11, 25)).to_dict()
    assert view["callback_id"] == CheckInCallbackId.ADD_INTERVENTION
    assert decode(SessionValue, view["private_metadata"]) == SessionValue(s=4)
    assert len(view["private_metadata"]) <= METADATA_LIMIT
    assert len(view["title"]["text"]) <= MODAL_TITLE_LIMIT
    assert [b["label"]["text"] for b in view["blocks"]] == [
        "What will be done?",
        "Who owns it?",
        "First check-in",
        "Then check in",
    ]
    what, _owner, first, cadence = (b["element"] for b in view["blocks"])
    assert what["max_length"] <= 3000
    assert first["initial_date"] == "2026-12-02"
    assert [o["text"]["text"] for o in cadence["options"]] == ["Weekly", "Fortnightly", "Monthly"]
    assert cadence["initial_option"]["value"] == "weekly"


def test_a_submitted_intervention_form_is_read_once_into_a_model() -> None:
    view = intervention_modal(4, date(2026, 11, 25)).to_dict()
    values = {
        CheckInBlockId.WHAT: {CheckInActionId.WHAT: {"value": " Publish a guide "}},
        CheckInBlockId.OWNER: {CheckInActionId.OWNER: {"selected_user": "U0ALEX"}},
        CheckInBlockId.FIRST_CHECKIN: {CheckInActionId.FIRST_CHECKIN: {"selected_date": "2026-12-07"}},
        CheckInBlockId.CADENCE: {CheckInActionId.CADENCE: {"selected_option": {"value": "monthly"}}},
    }
    form = InterventionSubmission.from_view(_submitted(view, values))
    assert form is not None
    assert (form.session_id, form.what, form.owner, form.picked_date) == (
        4,
        "Publish a guide",
        "U0ALEX",
        "2026-12-07",
    )
    assert form.chosen_cadence == "monthly"
    empty = InterventionSubmission.from_view(_submitted(view, {}))
    assert empty is not None and (empty.what, empty.owner, empty.picked_date, empty.chosen_cadence) == (
        "",
        "",
        "",
        None,
    )
    assert InterventionSubmission.from_view({"private_metadata": "{}"}) is None

"""The conversation's Block Kit, built from models without Slack: prompts, their answered state,
summaries, the classification menus, the edit modal, status lines, help and error notices."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.codec import AnswerValue, decode
from bot.ids import ActionId, ClassificationActionId, EditCallbackId
from bot.views.classification import decision_context, menus
from bot.views.common import MESSAGE_BLOCK_LIMIT, SECTION_LIMIT, chunk_text, split_messages
from bot.views.edit import EditSubmission, edit_modal
from bot.views.errors import modal_notice
from bot.views.help import help_text, templates_list
from bot.views.prompt import answered_context, prompt_blocks, replace_actions
from bot.views.status import session_line
from bot.views.summary import summary_blocks
from flows.editing import Editable
from flows.engine import Answer, ReplyContext, current_prompt
from flows.schema import get_template, load_templates
from flows.summary import build_summary
from storage.models import FORMER_PARTICIPANT, Session, SessionStatus


def _texts(blocks: list) -> str:
    return json.dumps([b.to_dict() for b in blocks])


def _buttons(blocks: list) -> list[dict]:
    return [e for b in blocks for e in (b.to_dict().get("elements") or []) if e.get("type") == "button"]


def test_a_yes_no_question_has_yes_and_no_buttons_whose_values_decode_to_typed_replies() -> None:
    template = get_template("five-whys")
    answers = {
        "problem": Answer("Bins missed"),
        "whys.1.answer": Answer("Rounds changed"),
        "whys.2.answer": Answer("New software"),
        "whys.3.answer": Answer("No training"),
    }
    prompt = current_prompt(template, answers)
    assert prompt is not None
    blocks = prompt_blocks(prompt, session_id=42)
    buttons = _buttons(blocks)
    assert [b["text"]["text"] for b in buttons] == ["Yes", "No"]
    values = [decode(AnswerValue, b["value"]) for b in buttons]
    assert [(v.s, v.k, v.r) for v in values if v] == [(42, prompt.key, "yes"), (42, prompt.key, "no")]
    assert all(b["action_id"].startswith(ActionId.ANSWER) for b in buttons)


def test_an_optional_question_offers_skip_and_its_hint() -> None:
    template = get_template("pain-points")
    prompt = current_prompt(
        template, {"context": Answer("Council tax"), "points.1.text": Answer("Long waits")}
    )
    assert prompt is not None
    blocks = prompt_blocks(prompt, session_id=1)
    labels = [b["text"]["text"] for b in _buttons(blocks)]
    assert prompt.optional == ("Skip" in labels)


def test_a_classification_prompt_carries_the_scope_and_category_menus() -> None:
    blocks = menus(7, "classification")
    selects = blocks[0].to_dict()["elements"]
    assert [s["action_id"] for s in selects] == [
        ClassificationActionId.SCOPE,
        ClassificationActionId.CATEGORY,
        ClassificationActionId.DETAILS,  # the reasons in full, behind a button
    ]
    first = decode(AnswerValue, selects[0]["options"][0]["value"])
    assert first is not None and first.r.startswith("scope ")


def test_answering_replaces_the_buttons_with_who_answered_what_escaped() -> None:
    posted = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Why?"}},
        {"type": "actions", "elements": []},
    ]
    replaced = replace_actions(posted, answered_context("U0ALEX", "<!channel> yes"))
    assert [b["type"] for b in replaced] == ["section", "context"]
    shown = replaced[1]["elements"][0]["text"]
    assert "<@U0ALEX>" in shown and "&lt;!channel&gt; yes" in shown and "<!channel>" not in shown


def test_a_summary_names_a_forgotten_person_in_plain_words_and_fits_in_messages() -> None:
    template = get_template("five-whys")
    answers = {
        "problem": Answer("Bins missed", author=FORMER_PARTICIPANT),
        **{f"whys.{n}.answer": Answer("x" * 2900, author="U0ALEX") for n in range(1, 8)},
    }
    summary = build_summary(template, answers, context=ReplyContext(today=datetime(2026, 1, 1).date()))
    blocks = summary_blocks(
        summary, session_id=3, facilitator=FORMER_PARTICIPANT, when="1 January 2026, 10:00"
    )
    text = _texts(blocks)
    assert "former participant" in text and "<@former-participant>" not in text
    for message in split_messages(blocks):
        assert len(message) <= MESSAGE_BLOCK_LIMIT
    for block in blocks:
        body = block.to_dict().get("text")
        if isinstance(body, dict):
            assert len(body["text"]) <= SECTION_LIMIT


def test_chunking_keeps_every_character_within_the_limit() -> None:
    text = "\n".join(["a" * 1000] * 7 + ["b" * 7000])
    pieces = chunk_text(text)
    assert all(len(p) <= SECTION_LIMIT for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")


def test_the_decision_says_who_decided() -> None:
    block = decision_context("service", "process", "confirmed", "U0FAC").to_dict()
    assert "<@U0FAC>" in block["elements"][0]["text"] and "service" in block["elements"][0]["text"]


def test_the_edit_modal_round_trips_through_its_submission() -> None:
    editables = [
        Editable(key="whys.1.answer", label="Why 1", text="Rounds changed", optional=False, max_length=3000)
    ]
    view = edit_modal(9, "Five whys", editables).to_dict()
    assert view["callback_id"] == EditCallbackId.MODAL and len(view["title"]["text"]) <= 24
    block_id = view["blocks"][1]["block_id"]
    state = {"values": {block_id: {view["blocks"][1]["element"]["action_id"]: {"value": "New rounds"}}}}
    submission = EditSubmission.from_view({**view, "state": state})
    assert submission is not None
    assert (submission.session_id, submission.texts) == (9, {"whys.1.answer": "New rounds"})
    assert EditSubmission.from_view({"private_metadata": "not json"}) is None


def test_a_status_line_says_where_a_dm_session_runs_without_a_channel_link() -> None:
    session = Session(
        id=5,
        template_id="five-whys",
        status=SessionStatus.PAUSED,
        channel_id="D0FRAN",
        is_dm=True,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    line = session_line(session, "Why 2")
    assert "our DM" in line and "<#" not in line and "Why 2" in line


def test_help_names_every_template_and_the_list_describes_each() -> None:
    for template_id in load_templates():
        assert template_id in help_text()
        assert template_id in templates_list()


def test_an_error_in_a_modal_becomes_a_notice_with_a_close_button() -> None:
    view = modal_notice("x" * 5000).to_dict()
    assert view["close"]["text"] and len(view["blocks"][0]["text"]["text"]) <= SECTION_LIMIT

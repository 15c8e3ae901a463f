"""A prompt's pickers and cadence buttons, and what replaces a prompt's controls once it is answered."""

from __future__ import annotations

from bot.codec import picked_answer, picker_block
from bot.ids import ActionId
from bot.views.controls import has_prompt_controls, replace_actions
from bot.views.prompt import answered_context, prompt_blocks
from flows.engine import Prompt, PromptOption
from flows.schema import StepKind


def _dicts(prompt: Prompt) -> list[dict]:
    return [b.to_dict() for b in prompt_blocks(prompt, 7)]


def _elements(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_question_about_a_person_offers_a_people_picker_naming_its_session_and_question() -> None:
    blocks = _dicts(Prompt("interventions.1.owner", StepKind.USER, "Who owns it?", None))
    picker_blocks = [b for b in blocks if b["type"] == "actions"]
    assert len(picker_blocks) == 1
    (picker,) = picker_blocks[0]["elements"]
    assert picker["type"] == "users_select" and picker["action_id"] == ActionId.PICK_PERSON
    assert picker["placeholder"]["text"] == "Choose a person"
    chosen = picked_answer(picker_blocks[0]["block_id"], "<@U0ALEX>")
    assert chosen is not None and (chosen.s, chosen.k, chosen.r) == (7, "interventions.1.owner", "<@U0ALEX>")
    assert has_prompt_controls(blocks)


def test_a_date_question_offers_a_date_picker() -> None:
    blocks = _dicts(Prompt("interventions.1.first_checkin", StepKind.DATE, "When?", None))
    (picker,) = _elements(blocks)
    assert picker["type"] == "datepicker" and picker["action_id"] == ActionId.PICK_DATE
    assert (
        picked_answer(next(b["block_id"] for b in blocks if b["type"] == "actions"), "2026-12-08") is not None
    )


def test_a_picker_block_that_is_not_ours_or_carries_nothing_decodes_to_nothing() -> None:
    assert picked_answer("prompt.actions.0", "<@U0ALEX>") is None
    assert picked_answer("prompt.actions.pick:{not json", "<@U0ALEX>") is None
    assert picked_answer(picker_block(7, "owner"), "") is None
    assert picked_answer(None, "2026-12-08") is None


def test_cadence_buttons_come_from_the_prompt_options() -> None:
    options = tuple(PromptOption(c, c.title()) for c in ("weekly", "fortnightly", "monthly"))
    blocks = _dicts(Prompt("interventions.1.cadence", StepKind.CADENCE, "How often?", None, options=options))
    assert [e["text"]["text"] for e in _elements(blocks)] == ["Weekly", "Fortnightly", "Monthly"]


def test_answered_controls_are_replaced_where_they_were_and_a_chosen_person_stays_a_mention() -> None:
    posted = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Got it."}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Who owns it?"}},
        {"type": "actions", "block_id": picker_block(7, "owner"), "elements": []},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "Intervention 1 · 2 of 4 questions"}]},
    ]
    replaced = replace_actions(posted, answered_context("U0SAM", "<@U0ALEX>"))
    assert [b["type"] for b in replaced] == ["section", "section", "context", "context"]
    assert replaced[2]["elements"][0]["text"] == "✓ <@U0ALEX> — <@U0SAM>"
    assert not has_prompt_controls(replaced)
    # A summary's own button is not a prompt's control.
    assert not has_prompt_controls([{"type": "actions", "block_id": "edit.offer", "elements": []}])


def test_an_answered_proposal_keeps_its_show_details_button_and_counts_as_answered() -> None:
    posted = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Proposed: product"}},
        {"type": "actions", "block_id": "prompt.actions.0", "elements": [{"action_id": "prompt.answer:0"}]},
        {
            "type": "actions",
            "block_id": "classification.menus",
            "elements": [{"action_id": "classification.scope"}, {"action_id": "classification.details"}],
        },
    ]
    assert has_prompt_controls(posted)
    replaced = replace_actions(posted, answered_context("U0SAM", "confirm"))
    assert [b["type"] for b in replaced] == ["section", "context", "actions"]
    # The menus stay (a decided classification can still be changed), and so does Show details.
    assert [e["action_id"] for e in replaced[2]["elements"]] == [
        "classification.scope",
        "classification.details",
    ]
    assert not has_prompt_controls(replaced)

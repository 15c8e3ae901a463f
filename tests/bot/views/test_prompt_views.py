"""A prompt's progress line and the buttons of a question the session waits on (pure builders)."""

from __future__ import annotations

from typing import Any

from bot.codec import AnswerValue, decode
from bot.views.prompt import prompt_blocks
from flows.engine import PENDING, Answer, current_prompt
from flows.schema import get_template


def _dicts(prompt: Any, session_id: int) -> list[dict[str, Any]]:
    return [block.to_dict() for block in prompt_blocks(prompt, session_id=session_id)]


def test_progress_is_a_grey_line_under_the_question() -> None:
    answers = {"problem": Answer("Bins missed"), "whys.1.answer": Answer("w1"), "whys.2.answer": Answer("w2")}
    prompt = current_prompt(get_template("five-whys"), answers)
    assert prompt is not None
    blocks = _dicts(prompt, 7)
    assert blocks[0]["type"] == "section" and "*Why 3.*" in blocks[0]["text"]["text"]
    assert blocks[1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Why 3 · up to 7"}]}


def test_the_buttons_of_a_waiting_question_answer_it() -> None:
    answers = {
        "problem": Answer("Bins missed"),
        "costs.1.bearer": Answer("residents"),
        "costs.1.what": Answer("Postage"),
        "costs.1.kind": Answer("money"),
        "costs.1.occurrences": Answer({"per_year": "104", "text": "2 times a week"}),
        PENDING: Answer({"ask": "basis", "key": "costs.1.direct_cost", "amount": "1200.00"}),
    }
    prompt = current_prompt(get_template("cost-impacts"), answers)
    assert prompt is not None and prompt.key == PENDING
    blocks = _dicts(prompt, 9)
    assert "is *£1,200* each time it happens (that's £124,800 a year)" in blocks[0]["text"]["text"]
    buttons = [element for block in blocks if block["type"] == "actions" for element in block["elements"]]
    assert [button["text"]["text"] for button in buttons] == ["Each time", "A year"]
    values = [decode(AnswerValue, button["value"]) for button in buttons]
    assert [(v.s, v.k, v.r) for v in values if v] == [(9, PENDING, "each time"), (9, PENDING, "a year")]

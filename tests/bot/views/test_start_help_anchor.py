"""The start modal, the help card and the anchor as pure builders: what a person reads, within Slack's
limits, and the submitted form read back."""

from __future__ import annotations

from typing import Any

from bot.codec import StartValue, decode
from bot.ids import StartActionId, StartBlockId
from bot.views.anchor import Anchor, anchor_message
from bot.views.help import help_blocks, unknown_command, unknown_template
from bot.views.start import ProblemChoice, StartForm, StartSubmission, start_modal
from flows.commands import COMMAND_NAMES, near_miss
from flows.i18n import message_keys
from flows.schema import load_templates
from localslack.webapi import validate_blocks, validate_view


def _text(blocks: list[dict[str, Any]]) -> str:
    parts: list[str] = []
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for element in block.get("elements", []) or []:
            parts.append(str(element.get("text", "")))
    return "\n".join(parts)


def test_the_help_card_lists_every_command_once_in_order_and_fits_slack() -> None:
    blocks = [b.to_dict() for b in help_blocks()]
    assert validate_blocks(blocks, limit=50) == []
    card = _text(blocks)
    positions = [card.index(f"`/playbook {name}") for name in COMMAND_NAMES]
    assert positions == sorted(positions)
    for name in COMMAND_NAMES:
        assert card.count(f"• `/playbook {name}") == 1, name


def test_near_misses() -> None:
    assert near_miss("five-why", load_templates()) == "five-whys"
    assert near_miss("Five-Whys", load_templates()) is None  # the same name, not a slip
    assert near_miss("statsu", COMMAND_NAMES) == "status"
    assert near_miss("banana", COMMAND_NAMES) is None
    assert near_miss("", COMMAND_NAMES) is None
    assert "Did you mean `/playbook resume`?" in unknown_command("resum")
    assert "<b>" not in unknown_command("<b>resum</b>")
    assert "Did you mean `cost-impacts`?" in unknown_template("cost-impact")
    assert "Did you mean" not in unknown_template("x")


def test_the_start_modal_for_a_conversation_and_for_the_shortcut() -> None:
    templates = list(load_templates().values())
    long_statement = "A problem " * 30
    in_channel = start_modal(
        StartForm(templates, [ProblemChoice(7, long_statement)], channel_id="C1")
    ).to_dict()
    assert validate_view(in_channel, expected_type="modal") == []
    ids = [b.get("block_id") for b in in_channel["blocks"]]
    assert ids == [StartBlockId.TEMPLATE, StartBlockId.PROBLEM, StartBlockId.EXISTING]
    existing = in_channel["blocks"][2]["element"]["options"][0]
    assert existing["value"] == "7" and existing["text"]["text"].startswith("#7 A problem")
    assert len(existing["text"]["text"]) <= 75
    meta = decode(StartValue, in_channel["private_metadata"])
    assert meta == StartValue(c="C1", d=False, m="")

    shortcut = start_modal(StartForm(templates)).to_dict()
    assert validate_view(shortcut, expected_type="modal") == []
    assert [b.get("block_id") for b in shortcut["blocks"]] == [
        StartBlockId.TEMPLATE,
        StartBlockId.PROBLEM,
        StartBlockId.CHANNEL,
    ]
    picker = shortcut["blocks"][-1]["element"]
    assert picker["type"] == "conversations_select" and picker["default_to_current_conversation"] is True


def test_a_message_fills_the_problem_box_and_links_back() -> None:
    form = StartForm(
        list(load_templates().values()),
        channel_id="C1",
        statement="x" * 5000,
        source_link="https://example.slack.com/archives/C1/p1",
    )
    view = start_modal(form).to_dict()
    assert validate_view(view, expected_type="modal") == []
    problem = view["blocks"][1]["element"]
    assert len(problem["initial_value"]) <= 3000 and problem["max_length"] == 3000
    assert "https://example.slack.com/archives/C1/p1" in _text(view["blocks"])


def test_the_submitted_form_is_read_back_once() -> None:
    view = {
        "private_metadata": '{"c":"C1","d":false,"m":"https://x"}',
        "state": {
            "values": {
                StartBlockId.TEMPLATE: {StartActionId.TEMPLATE: {"selected_option": {"value": "five-whys"}}},
                StartBlockId.PROBLEM: {StartActionId.PROBLEM: {"value": "  Bins  "}},
                StartBlockId.EXISTING: {StartActionId.EXISTING: {"selected_option": None}},
            }
        },
    }
    submitted = StartSubmission.from_view(view)
    assert submitted is not None
    assert (submitted.template_id, submitted.statement, submitted.problem_id) == ("five-whys", "Bins", None)
    assert (submitted.channel_id, submitted.source_link, submitted.picked_channel) == (
        "C1",
        "https://x",
        None,
    )
    assert StartSubmission.from_view({"private_metadata": "not ours"}) is None


def test_the_anchor_names_template_problem_and_facilitator_and_escapes_the_problem() -> None:
    text, blocks = anchor_message(Anchor("Five whys", "U0FAC", "Bins <!channel> & more", session_id=12))
    shown = _text([b.to_dict() for b in blocks])
    for expected in ("*Five whys*", "session 12", "<@U0FAC>", "Bins &lt;!channel&gt; &amp; more"):
        assert expected in shown and expected in text
    assert "Reply in this thread" in shown

    _, pending = anchor_message(Anchor("Pain points", "U0FAC", None))
    assert "first question in the thread" in _text([b.to_dict() for b in pending])

    _, linked = anchor_message(Anchor("Five whys", "U0FAC", "Bins", 3, "https://t.slack.com/archives/C/p1"))
    assert "<https://t.slack.com/archives/C/p1|this message>" in _text([b.to_dict() for b in linked])


def test_every_command_the_listener_answers_is_on_the_help_card_and_has_a_line() -> None:
    """The help card reads flows.commands.COMMAND_NAMES; a subcommand the listener answers but the
    list lacks would be a command nobody is told about."""
    from bot.listeners.commands import PREPARED, SUBCOMMANDS

    answered = (set(SUBCOMMANDS) | set(PREPARED)) - {""}  # "" is bare /playbook (the start form)
    assert answered, "the listener's subcommands were not found"
    assert answered <= set(COMMAND_NAMES), answered - set(COMMAND_NAMES)
    catalogue = message_keys()
    assert [name for name in COMMAND_NAMES if f"help_command_{name}" not in catalogue] == []

"""A prompt's controls (buttons, menus, pickers) in a posted message, and replacing them once the
question is answered. Pure, on Block Kit as dicts (as Slack holds a message)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Any

from slack_sdk.models.blocks import Block

from bot.codec import AnswerValue, decode
from bot.ids import BlockId, ClassificationActionId, ClassificationBlockId
from flows.engine import normalise_command
from flows.team import STEER_WORDS

_PROMPT_CONTROLS = (str(BlockId.PROMPT_ACTIONS), str(ClassificationBlockId.MENUS))
# Controls that stay useful once the question is answered: kept in place. The classification's menus
# change a decided classification later (the leads post is updated); Show details answers nothing.
_LASTING = frozenset(
    {
        str(ClassificationActionId.SCOPE),
        str(ClassificationActionId.CATEGORY),
        str(ClassificationActionId.DETAILS),
    }
)


def _answering(block: dict[str, Any]) -> bool:
    """Whether an actions block holds a control that answers the question."""
    return any(str(e.get("action_id")) not in _LASTING for e in block.get("elements") or [])


def _lasting(block: dict[str, Any]) -> dict[str, Any] | None:
    kept = [e for e in block.get("elements") or [] if str(e.get("action_id")) in _LASTING]
    return {**block, "elements": kept} if kept else None


def _values(block: dict[str, Any]) -> Iterator[AnswerValue]:
    """What the block's answering controls answer: each button's or option's value, and a picker's
    block id (a picker has no value of its own)."""
    picker = f"{BlockId.PROMPT_PICKER}:"
    block_id = str(block.get("block_id") or "")
    if block_id.startswith(picker):
        named = decode(AnswerValue, block_id[len(picker) :])
        if named is not None:
            yield named
    for element in block.get("elements") or []:
        if str(element.get("action_id")) in _LASTING:
            continue
        for raw in [element.get("value"), *(o.get("value") for o in element.get("options") or [])]:
            value = decode(AnswerValue, raw if isinstance(raw, str) else None)
            if value is not None:
                yield value


def _answered_by(value: AnswerValue, keys: Collection[str]) -> bool:
    """Whether a control is answered by changes to ``keys``: a question's by its own key; a team
    list's Next (offered on the list's question) only once the list is closed (its ``.done`` key),
    since items added meanwhile leave it open."""
    if normalise_command(value.r) in STEER_WORDS:
        return f"{value.k.split('.', 1)[0]}.done" in keys
    return value.k in keys


def has_prompt_controls(blocks: Sequence[dict[str, Any]], answered: Collection[str] | None = None) -> bool:
    """Whether a posted message still offers a prompt's buttons, menus or pickers (not a summary's
    Edit answers button, say); with ``answered``, only controls of those questions count (a team
    list, where each person has a question of their own, names the one a typed answer answered)."""
    return any(
        b.get("type") == "actions"
        and str(b.get("block_id") or "").startswith(_PROMPT_CONTROLS)
        and _answering(b)
        and (answered is None or any(_answered_by(v, answered) for v in _values(b)))
        for b in blocks
    )


def replace_actions(
    blocks: Sequence[dict[str, Any]], replacement: Sequence[Block | dict[str, Any]]
) -> list[dict[str, Any]]:
    """A posted message's blocks with its buttons swapped for ``replacement`` (where the buttons were,
    so the question stays above the answer)."""
    kept: list[dict[str, Any]] = []
    placed = False
    for block in blocks:
        if block.get("type") != "actions":
            kept.append(block)
            continue
        if not placed:
            kept += _dicts(replacement)
            placed = True
        lasting = _lasting(block)
        if lasting is not None:
            kept.append(lasting)
    if not placed:
        kept += _dicts(replacement)
    return kept


def _dicts(blocks: Sequence[Block | dict[str, Any]]) -> list[dict[str, Any]]:
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]

"""A question in a session: its text, hints and shortcut buttons (typing the same words always works
too), and what replaces the buttons once it is answered. Pure: the engine's prompt in, blocks out.

The prompt text was built by the engine with user answers already escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, PlainTextObject

from bot.codec import answer_value
from bot.ids import ActionId, BlockId, indexed
from bot.mrkdwn import escape, mention
from bot.views import classification as classification_views
from bot.views.common import ACTIONS_PER_BLOCK, BUTTON_LABEL_LIMIT, SECTION_LIMIT, clip, context, sections
from flows.engine import Prompt, PromptOption
from flows.i18n import t
from flows.schema import StepKind


def _buttons(prompt: Prompt, session_id: int, locale: str) -> list[ButtonElement]:
    options = list(prompt.options)
    if prompt.done_allowed:
        options.append(PromptOption("done", t("button_done", locale)))
    if prompt.optional:
        options.append(PromptOption("skip", t("button_skip", locale)))
    return [
        ButtonElement(
            text=PlainTextObject(text=clip(option.label, BUTTON_LABEL_LIMIT)),
            action_id=indexed(ActionId.ANSWER, number),
            value=answer_value(session_id, prompt.key, option.reply),
            style="primary" if option.primary else None,
        )
        for number, option in enumerate(options)
    ]


def prompt_blocks(prompt: Prompt, session_id: int, *, locale: str = "en") -> list[Block]:
    text = prompt.text
    if prompt.hints:
        text += "\n_" + " ".join(prompt.hints) + "_"
    blocks: list[Block] = sections(text, BlockId.PROMPT)
    if prompt.progress:
        blocks.append(context(prompt.progress))
    buttons = _buttons(prompt, session_id, locale)
    for start in range(0, len(buttons), ACTIONS_PER_BLOCK):
        blocks.append(
            ActionsBlock(
                block_id=f"{BlockId.PROMPT_ACTIONS}.{start // ACTIONS_PER_BLOCK}",
                elements=list(buttons[start : start + ACTIONS_PER_BLOCK]),
            )
        )
    if prompt.kind is StepKind.CLASSIFICATION:
        blocks += classification_views.menus(session_id, prompt.key, locale)
    return blocks


def prompt_fallback_text(prompt: Prompt) -> str:
    return clip(prompt.text, SECTION_LIMIT)


def answered_context(who: str, reply: str, locale: str = "en") -> list[Block]:
    """Shown in place of a prompt's buttons once someone has clicked one."""
    return [context(t("prompt_answered", locale, who=mention(who, locale), reply=escape(clip(reply, 200))))]


def answered_fallback(reply: str, locale: str = "en") -> str:
    return t("prompt_answered_fallback", locale, reply=escape(clip(reply, 200)))


def replace_actions(blocks: Sequence[dict[str, object]], replacement: list[Block]) -> list[dict[str, object]]:
    """A posted message's blocks with its buttons swapped for ``replacement``."""
    kept = [b for b in blocks if b.get("type") != "actions"]
    return kept + [b.to_dict() for b in replacement]

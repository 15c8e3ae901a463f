"""Pure Block Kit builders (typed ``slack_sdk.models.blocks``): models in, blocks out.

Every piece of user text passes through :func:`bot.mrkdwn.escape` before it lands in mrkdwn. Builders keep
within Slack's limits: section text ≤ 3,000 characters, ≤ 50 blocks a message (longer content is split
into several messages by :func:`split_messages`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.ids import ActionId, BlockId, CheckInActionId, indexed
from bot.mrkdwn import escape, mention
from bot.views import classification as classification_views
from flows.engine import Prompt
from flows.i18n import t
from flows.schema import StepKind
from flows.summary import SessionSummary

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HEADER_LIMIT = 150


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunk_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split text into pieces of at most ``limit`` characters, on line breaks where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = line if not current else current + "\n" + line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current or not pieces:
        pieces.append(current or " ")
    return pieces


def sections(mrkdwn: str, block_id: str | None = None) -> list[Block]:
    chunks = chunk_text(mrkdwn)
    return [
        SectionBlock(text=MarkdownTextObject(text=chunk), block_id=block_id if i == 0 else None)
        for i, chunk in enumerate(chunks)
    ]


def button_value(session_id: int, key: str, reply: str) -> str:
    return json.dumps({"s": session_id, "k": key, "r": reply}, separators=(",", ":"))


def prompt_blocks(prompt: Prompt, session_id: int, *, locale: str = "en") -> list[Block]:
    """A question with its hints and shortcut buttons (typing the same words always works too).

    The prompt text was built by the engine with user answers already escaped.
    """
    text = prompt.text
    if prompt.hints:
        text += "\n_" + " ".join(prompt.hints) + "_"
    blocks: list[Block] = sections(text, BlockId.PROMPT)
    buttons: list[ButtonElement] = []
    for option in prompt.options:
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text=clip(option.label, 75)),
                action_id=indexed(ActionId.ANSWER, len(buttons)),
                value=button_value(session_id, prompt.key, option.reply),
                style="primary" if option.primary else None,
            )
        )
    if prompt.done_allowed:
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text="Done"),
                action_id=indexed(ActionId.ANSWER, len(buttons)),
                value=button_value(session_id, prompt.key, "done"),
            )
        )
    if prompt.optional:
        buttons.append(
            ButtonElement(
                text=PlainTextObject(text="Skip"),
                action_id=indexed(ActionId.ANSWER, len(buttons)),
                value=button_value(session_id, prompt.key, "skip"),
            )
        )
    # Slack allows 25 elements in an actions block; prompts never come close, but stay safe.
    for start in range(0, len(buttons), 25):
        blocks.append(
            ActionsBlock(
                block_id=f"{BlockId.PROMPT_ACTIONS}.{start // 25}", elements=list(buttons[start : start + 25])
            )
        )
    if prompt.kind is StepKind.CLASSIFICATION:
        blocks += classification_views.menus(session_id, prompt.key, locale)
    return blocks


def prompt_fallback_text(prompt: Prompt) -> str:
    return clip(prompt.text, 3000)


def answered_context(who: str, reply: str) -> list[Block]:
    """Shown in place of a prompt's buttons once someone has clicked one."""
    return [
        ContextBlock(
            elements=[MarkdownTextObject(text=f"{mention(who)} answered: {escape(clip(reply, 200))}")]
        )
    ]


def replace_actions(blocks: Sequence[dict[str, object]], replacement: list[Block]) -> list[dict[str, object]]:
    kept = [b for b in blocks if b.get("type") != "actions"]
    return kept + [b.to_dict() for b in replacement]


def notice_blocks(text: str) -> list[Block]:
    return sections(text)


def summary_blocks(
    summary: SessionSummary,
    *,
    session_id: int,
    facilitator: str,
    when: str,
    locale: str = "en",
    permalink: str | None = None,
) -> list[Block]:
    """The whole summary as one list of blocks (split it with :func:`split_messages`)."""
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=clip(t("summary_heading", locale, title=summary.title), HEADER_LIMIT))
        )
    ]
    if summary.problem:
        blocks.extend(sections(f"*Problem*\n{escape(summary.problem)}"))
    for section in summary.sections:
        if section.heading:
            blocks.append(DividerBlock())
            blocks.extend(sections(f"*{escape(section.heading)}*"))
        for number, item in enumerate(section.items, start=1):
            lead = f"{number}. " if section.numbered else f"*{escape(item.label)}:* "
            line = lead + escape(item.text)
            if item.author:
                line += f"  _({mention(item.author, locale)})_"
            for detail in item.details:
                line += f"\n      {escape(detail)}"
            for label, person in item.people:
                line += f"\n      {escape(label)}: {mention(person, locale)}"
            blocks.extend(sections(line))
    if summary.root_cause:
        blocks.append(DividerBlock())
        blocks.extend(sections(f"*Root cause*\n{escape(summary.root_cause)}"))
    blocks.append(add_intervention_actions(session_id, locale))
    footer = t(
        "summary_footer", locale, session=session_id, facilitator=mention(facilitator, locale), when=when
    )
    if permalink:
        footer += f" · <{permalink}|open the thread>"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=footer)]))
    return blocks


def add_intervention_actions(session_id: int, locale: str = "en") -> ActionsBlock:
    """The "Add intervention" button under a summary: it opens the intervention form for the session
    (``bot/listeners/checkins.py``; ``/playbook intervene <session>`` does the same)."""
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=PlainTextObject(text=t("summary_add_intervention", locale)),
                action_id=CheckInActionId.ADD_INTERVENTION,
                value=str(session_id),
            )
        ]
    )


def split_messages(blocks: Iterable[Block], limit: int = MESSAGE_BLOCK_LIMIT) -> list[list[Block]]:
    """Group blocks into messages of at most ``limit`` blocks (Slack rejects more than 50)."""
    messages: list[list[Block]] = [[]]
    for block in blocks:
        if len(messages[-1]) >= limit:
            messages.append([])
        messages[-1].append(block)
    return [m for m in messages if m]


def as_dicts(blocks: Iterable[Block]) -> list[dict[str, object]]:
    return [b.to_dict() for b in blocks]

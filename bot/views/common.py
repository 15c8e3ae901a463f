"""Block Kit building blocks every view uses: sections that respect Slack's limits, splitting long
content into messages, clipping.

Section text is at most 3,000 characters (longer text is split on line breaks); a message has at most
50 blocks (:func:`split_messages`); a header at most 150 characters.
"""

from __future__ import annotations

from collections.abc import Iterable

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
HEADER_LIMIT = 150
BUTTON_LABEL_LIMIT = 75
ACTIONS_PER_BLOCK = 25


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
    """mrkdwn text as one or more sections (the first carries ``block_id``)."""
    chunks = chunk_text(mrkdwn)
    return [
        SectionBlock(text=MarkdownTextObject(text=chunk), block_id=block_id if i == 0 else None)
        for i, chunk in enumerate(chunks)
    ]


def notice_blocks(text: str) -> list[Block]:
    return sections(text)


def context(mrkdwn: str, block_id: str | None = None) -> ContextBlock:
    """A small grey line (a footer, a note under a prompt)."""
    return ContextBlock(block_id=block_id, elements=[MarkdownTextObject(text=clip(mrkdwn, SECTION_LIMIT))])


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

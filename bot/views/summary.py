"""The summary posted in a session's thread when it completes (or after an edit). Pure: the summary
model in, blocks out; split into messages of at most 50 blocks with :func:`split_messages`."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    PlainTextObject,
)

from bot.codec import session_button
from bot.ids import CheckInActionId
from bot.mrkdwn import escape, mention
from bot.views.common import HEADER_LIMIT, clip, context, sections
from flows.i18n import t
from flows.summary import SessionSummary


def summary_blocks(
    summary: SessionSummary,
    *,
    session_id: int,
    facilitator: str,
    when: str,
    locale: str = "en",
    permalink: str | None = None,
) -> list[Block]:
    """The whole summary as one list of blocks."""
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=clip(t("summary_heading", locale, title=summary.title), HEADER_LIMIT))
        )
    ]
    if summary.problem:
        blocks.extend(sections(f"{t('summary_problem', locale)}\n{escape(summary.problem)}"))
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
        blocks.extend(sections(f"{t('summary_root_cause', locale)}\n{escape(summary.root_cause)}"))
    blocks.append(add_intervention_actions(session_id, locale))
    footer = t(
        "summary_footer", locale, session=session_id, facilitator=mention(facilitator, locale), when=when
    )
    if permalink:
        footer += " · " + t("summary_thread_link", locale, link=permalink)
    blocks.append(context(footer))
    return blocks


def add_intervention_actions(session_id: int, locale: str = "en") -> ActionsBlock:
    """The "Add intervention" button under a summary: it opens the intervention form for the session
    (``/playbook intervene <session>`` does the same)."""
    return ActionsBlock(
        elements=[
            ButtonElement(
                text=PlainTextObject(text=t("summary_add_intervention", locale)),
                action_id=CheckInActionId.ADD_INTERVENTION,
                value=session_button(session_id),
            )
        ]
    )

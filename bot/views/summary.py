"""The summary posted in a session's thread when it completes (or after an edit). Pure: the summary
model in, blocks out; split into messages of at most 50 blocks with :func:`split_messages`.

Each person is mentioned once per section: the people who answered are credited in one line under
it, and items that name an owner (interventions) are grouped under that owner."""

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
from flows.formatting import format_list
from flows.i18n import t
from flows.summary import Credit, SessionSummary, SummaryItem, SummarySection


def _item_line(item: SummaryItem, numbered: bool, position: int, locale: str) -> str:
    number = item.number if item.number is not None else position
    lead = f"{number}. " if numbered else f"*{escape(item.label)}:* "
    line = lead + escape(item.text)
    if item.figure:
        line += f" — *{escape(item.figure)}*"
    if item.picked_as:
        line += "  ← " + t("summary_picked_as", locale, label=escape(item.picked_as))
    for detail in item.details:
        line += f"\n      {escape(detail)}"
    return line


def _credits_line(credits: tuple[Credit, ...], numbered: bool, only_one_item: bool, locale: str) -> str:
    """``Answered by @Alex (1), @Sam (2) and @Fran (3, 4)``; just the names when there is nothing to tell
    apart (one person, or a single item)."""
    if len(credits) == 1 or only_one_item:
        people = [mention(c.user_id, locale) for c in credits]
    else:
        people = [
            t(
                "summary_answered_what",
                locale,
                who=mention(c.user_id, locale),
                what=", ".join(c.answered if numbered else (escape(label) for label in c.answered)),
            )
            for c in credits
        ]
    return t("summary_answered_by", locale, people=format_list(people, locale))


def _grouped_by_owner(section: SummarySection, locale: str) -> list[str]:
    """Items that name a person, grouped under that person (named once), in the order first named."""
    groups: dict[str | None, list[SummaryItem]] = {}
    for item in section.items:
        owner = item.people[0][1] if item.people else None
        groups.setdefault(owner, []).append(item)
    lines: list[str] = []
    for owner, items in groups.items():
        if owner is None:
            lines.append(t("summary_no_owner", locale))
        else:
            lines.append(t("summary_owner_heading", locale, who=mention(owner, locale)))
        lines += [_item_line(item, section.numbered, 0, locale) for item in items]
    return lines


def _section_blocks(section: SummarySection, facilitator: str, locale: str) -> list[Block]:
    blocks: list[Block] = []
    if section.heading:
        blocks.append(DividerBlock())
        blocks.extend(sections(f"*{escape(section.heading)}*"))
    if any(item.people for item in section.items):
        for line in _grouped_by_owner(section, locale):
            blocks.extend(sections(line))
    else:
        for position, item in enumerate(section.items, start=1):
            blocks.extend(sections(_item_line(item, section.numbered, position, locale)))
    # The facilitator is named in the footer; a section only they answered needs no credit.
    if section.credits and [c.user_id for c in section.credits] != [facilitator]:
        only_one = len(section.items) == 1
        blocks.append(context(_credits_line(section.credits, section.numbered, only_one, locale)))
    return blocks


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
        blocks += _section_blocks(section, facilitator, locale)
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

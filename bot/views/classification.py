"""The classification proposal's menus: Change scope / Change category (static selects) and a "Show
details" button that opens the reasons in full (:func:`details_modal`), and what
"seen elsewhere in the council" shows: similar root causes from other sessions with their channel,
date and link, and whether the cause may be council-wide.

Each option carries the same reply a person could type (``scope service``, ``category data``), so the
menus are shortcuts for typing, like every other button. Pure: the prompt in, blocks out.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.codec import answer_value, session_button
from bot.ids import ClassificationActionId, ClassificationBlockId
from bot.mrkdwn import escape, mention
from bot.views.common import clip, sections
from flows.classification import CATEGORIES, SCOPES
from flows.classification_step import category_name, scope_name
from flows.formatting import format_date, format_list
from flows.i18n import t
from flows.related import ElsewhereFound, ShownRootCause

# Slack's limit on a modal's title.
MODAL_TITLE_LIMIT = 24
# A root cause quoted under "seen elsewhere" is cut at this many characters.
QUOTED_ROOT_CAUSE = 240


def menus(session_id: int, key: str, locale: str = "en") -> list[Block]:
    scope = StaticSelectElement(
        action_id=ClassificationActionId.SCOPE,
        placeholder=PlainTextObject(text=t("classification_change_scope", locale)),
        options=[
            Option(
                text=PlainTextObject(text=scope_name(s, locale)),
                value=answer_value(session_id, key, f"scope {s}"),
            )
            for s in SCOPES
        ],
    )
    category = StaticSelectElement(
        action_id=ClassificationActionId.CATEGORY,
        placeholder=PlainTextObject(text=t("classification_change_category", locale)),
        options=[
            Option(
                text=PlainTextObject(text=category_name(c, locale)),
                value=answer_value(session_id, key, f"category {c}"),
            )
            for c in CATEGORIES
        ],
    )
    details = ButtonElement(
        text=PlainTextObject(text=t("classification_details_button", locale)),
        action_id=ClassificationActionId.DETAILS,
        value=session_button(session_id),
    )
    return [ActionsBlock(block_id=ClassificationBlockId.MENUS, elements=[scope, category, details])]


def details_modal(intro: str, reasons: Sequence[str], locale: str = "en") -> View:
    """The proposal's reasons in full (``reasons`` already escaped): the words found in the answers,
    the most similar known cases and how sure it is; what the thread message sums up in a sentence."""
    blocks: list[Block] = [*sections(intro)]
    if reasons:
        blocks += sections("\n".join(f"• {reason}" for reason in reasons))
    else:
        blocks += sections(t("classification_details_none", locale))
    return View(
        type="modal",
        title=PlainTextObject(text=clip(t("classification_details_title", locale), MODAL_TITLE_LIMIT)),
        close=PlainTextObject(text=t("classification_details_close", locale)),
        blocks=blocks,
    )


def decision_context(scope: str, category: str, status: str, who: str, locale: str = "en") -> Block:
    """Shown on the proposal once it is confirmed or changed (``who`` is a Slack user id)."""
    text = t(
        "classification_recorded",
        locale,
        scope=scope_name(scope, locale),
        category=category_name(category, locale),
        status=t(f"classification_status_{status}", locale),
        who=mention(who, locale),
    )
    return ContextBlock(block_id=ClassificationBlockId.DECISION, elements=[MarkdownTextObject(text=text)])


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > QUOTED_ROOT_CAUSE:
        text = text[: QUOTED_ROOT_CAUSE - 1].rsplit(" ", 1)[0] + "…"
    return escape(text)


def _link(item: ShownRootCause, locale: str) -> str:
    label = t("seen_elsewhere_link", locale, session=item.session_id)
    url = item.link or ""
    # A permalink from Slack is an https URL; anything else is not made into a link.
    if not url.startswith("https://") or any(c in url for c in "<>| "):
        return label
    return f"<{escape(url)}|{label}>"


def _channel(name: str) -> str:
    return "#" + escape(name.removeprefix("#"))


def _item_line(item: ShownRootCause, locale: str) -> str:
    return t(
        "seen_elsewhere_item",
        locale,
        text=_quoted(item.text),
        channel=_channel(item.channel),
        date=format_date(item.started, locale),
        link=_link(item, locale),
    )


def _found_blocks(found: ElsewhereFound, heading: str, locale: str) -> list[Block]:
    lines = [heading, *(_item_line(item, locale) for item in found.shown)]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="\n".join(lines)))]
    if found.council_wide:
        named = [_channel(name) for name in found.channels]
        # A DM session's own service has no channel name: it is "this session".
        unnamed = [t("seen_elsewhere_this_session", locale)] if len(named) < found.service_count else []
        channels = format_list(unnamed + named, locale)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=t(
                        "seen_elsewhere_council_wide", locale, count=found.service_count, channels=channels
                    )
                )
            )
        )
    return blocks


def seen_elsewhere_blocks(found: ElsewhereFound, locale: str = "en") -> list[Block]:
    """Posted in the thread when a root cause is confirmed and similar ones may be shown there."""
    return _found_blocks(found, t("seen_elsewhere_heading", locale), locale)


def similar_answer_blocks(
    session_id: int, results: Sequence[ElsewhereFound], locale: str = "en"
) -> list[Block]:
    """The private answer to ``/playbook similar <session>``: for each of the session's confirmed
    root causes, the similar ones, or that there are none the asker may see."""
    blocks: list[Block] = []
    for found in results:
        heading = t("similar_heading", locale, session=session_id, text=_quoted(found.root_cause))
        if found.shown:
            blocks += _found_blocks(found, heading, locale)
        else:
            none = t("similar_none", locale)
            blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{heading}\n{none}")))
    return blocks


__all__ = [
    "ClassificationActionId",
    "ClassificationBlockId",
    "decision_context",
    "details_modal",
    "menus",
    "seen_elsewhere_blocks",
    "similar_answer_blocks",
]

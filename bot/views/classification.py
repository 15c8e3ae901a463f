"""The classification proposal's menus: Change scope / Change category (static selects).

Each option carries the same reply a person could type (``scope service``, ``category data``), so the
menus are shortcuts for typing, like every other button. Pure: the prompt in, blocks out.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    StaticSelectElement,
)

from bot.codec import answer_value
from bot.ids import ClassificationActionId, ClassificationBlockId
from bot.mrkdwn import mention
from flows.classification import CATEGORIES, SCOPES
from flows.classification_step import category_name, scope_name
from flows.i18n import t


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
    return [ActionsBlock(block_id=ClassificationBlockId.MENUS, elements=[scope, category])]


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


__all__ = ["ClassificationActionId", "ClassificationBlockId", "decision_context", "menus"]

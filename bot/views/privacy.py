"""Block Kit for a person's own data: the forget-me confirmation. Pure."""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, PlainTextObject

from bot.codec import workspace_button
from bot.ids import PrivacyActionId
from bot.views.common import notice_blocks
from flows.i18n import DEFAULT_LOCALE, t


def forget_me_confirmation(team_id: str, locale: str = DEFAULT_LOCALE) -> list[Block]:
    """What erasure does and that it can't be undone, with the one button that confirms it (it names
    the workspace, so it erases nothing anywhere else)."""
    button = ButtonElement(
        text=PlainTextObject(text=t("forget_me_button", locale)),
        action_id=PrivacyActionId.FORGET_ME,
        value=workspace_button(team_id),
        style="danger",
    )
    return [*notice_blocks(t("forget_me_confirm", locale)), ActionsBlock(elements=[button])]

"""What a person sees when something they asked for can't be done: in a modal, the modal turns into a
short notice with a Close button."""

from __future__ import annotations

from slack_sdk.models.blocks import PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.views.common import SECTION_LIMIT, clip
from flows.i18n import language_of, t


def modal_notice(text: str, locale: str = "en") -> View:
    return View(
        type="modal",
        title=PlainTextObject(text=t("modal_notice_title", language_of(locale))),
        close=PlainTextObject(text=t("modal_notice_close", language_of(locale))),
        blocks=[SectionBlock(text=PlainTextObject(text=clip(text, SECTION_LIMIT)))],
    )

"""Block Kit for editing answers: the "Edit answers" offer and the modal. Pure: models in, blocks out.

The modal has one ``plain_text_input`` per answer (``max_length`` from the step), labelled with the
question's short title and pre-filled with what was typed; its state is read back with
:class:`EditSubmission`, once, into a typed model.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.ids import EditActionId, EditBlockId, EditCallbackId, answer_key_of_block, edit_answer_block
from bot.mrkdwn import escape
from bot.views.common import clip, sections
from flows.editing import Editable
from flows.i18n import language_of, t

MODAL_TITLE_LIMIT = 24
INPUT_LABEL_LIMIT = 2000
# Inputs longer than this are shown over several lines.
MULTILINE_FROM = 80


def edit_offer_blocks(session_id: int, locale: str = "en") -> list[Block]:
    """The reply to a typed ``edit``: a message has no trigger to open a modal with, so offer a button."""
    button = ButtonElement(
        text=PlainTextObject(text=t("edit_button", locale)),
        action_id=EditActionId.OPEN,
        value=str(session_id),
        style="primary",
    )
    return [*sections(t("edit_offer", locale)), ActionsBlock(block_id=EditBlockId.OFFER, elements=[button])]


def edit_modal(session_id: int, title: str, editables: list[Editable], locale: str = "en") -> View:
    intro = t("edit_modal_intro", locale, title=escape(title), session=session_id)
    content: list[Block] = sections(intro, EditBlockId.INTRO)[:1]
    for item in editables:
        content.append(
            InputBlock(
                block_id=edit_answer_block(item.key),
                label=PlainTextObject(text=clip(item.label or item.key, INPUT_LABEL_LIMIT)),
                element=PlainTextInputElement(
                    action_id=EditActionId.INPUT,
                    initial_value=item.text,
                    max_length=item.max_length,
                    multiline=len(item.text) > MULTILINE_FROM or "\n" in item.text,
                ),
            )
        )
    return View(
        type="modal",
        callback_id=EditCallbackId.MODAL,
        title=PlainTextObject(text=clip(t("edit_modal_title", language_of(locale)), MODAL_TITLE_LIMIT)),
        submit=PlainTextObject(text=t("edit_modal_submit", language_of(locale))),
        close=PlainTextObject(text=t("edit_modal_close", language_of(locale))),
        private_metadata=json.dumps({"s": session_id}),
        blocks=content,
    )


class EditSubmission(BaseModel):
    """A submitted edit modal: the session, and the text of each answer's input by answer key."""

    model_config = ConfigDict(frozen=True)

    session_id: int
    texts: dict[str, str]

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> EditSubmission | None:
        """Read the view payload once; None when it is not one of ours (malformed metadata)."""
        try:
            metadata = json.loads(view.get("private_metadata") or "{}")
            values = (view.get("state") or {}).get("values") or {}
            texts: dict[str, str] = {}
            for block_id, actions in values.items():
                key = answer_key_of_block(str(block_id))
                element = (actions or {}).get(EditActionId.INPUT)
                if key is not None and isinstance(element, dict):
                    texts[key] = str(element.get("value") or "")
            return cls(session_id=metadata["s"], texts=texts)
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            return None

    @staticmethod
    def error_block(key: str) -> str:
        return edit_answer_block(key)

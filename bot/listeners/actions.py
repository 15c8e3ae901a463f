"""Buttons and menus in session messages: each is a shortcut for typing its reply in the thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.codec import AnswerValue, decode, picked_answer, session_of_button
from bot.deps import Deps
from bot.ids import ActionId, ClassificationActionId, EditActionId, matching
from bot.request import Caller
from bot.services import classification, conversation, edit


def _answer(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, value: AnswerValue | None
) -> None:
    """Answer the prompt with a clicked or picked value (nothing for a value that can't be read)."""
    if value is None:
        ack()
        return
    shown = conversation.on_button(
        context["deps"], client, context["caller"], value, body.get("message") or {}
    )
    ack()
    delivery.deliver(client, shown, context["deps"])


def handle_answer_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    _answer(ack, body, client, context, decode(AnswerValue, action.get("value")))


def handle_picker(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """A prompt's people or date picker: the same as typing the mention or the date."""
    if action.get("selected_user"):
        chosen = f"<@{action['selected_user']}>"
    else:
        chosen = str(action.get("selected_date") or "")
    _answer(ack, body, client, context, picked_answer(action.get("block_id"), chosen))


def handle_classification_menu(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    value = decode(AnswerValue, (action.get("selected_option") or {}).get("value"))
    if value is None:
        ack()
        return
    shown = classification.choose(
        context["deps"], client, context["caller"], value, body.get("message") or {}
    )
    ack()
    delivery.deliver(client, shown, context["deps"])


def handle_classification_details(
    ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    session_id = session_of_button(action.get("value"))
    if session_id is None:
        ack()
        return
    shown = classification.details(context["deps"], client, context["caller"], session_id)
    ack()
    delivery.deliver(client, shown)


def handle_edit_button(ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    deps: Deps = context["deps"]
    caller: Caller = context["caller"]
    session_id = session_of_button(action.get("value"))
    if session_id is None:
        return
    delivery.deliver(client, edit.open_modal(deps, caller, session_id))


def register(app: App) -> None:
    app.action(matching(ActionId.ANSWER))(handle_answer_button)
    app.action(ActionId.PICK_PERSON)(handle_picker)
    app.action(ActionId.PICK_DATE)(handle_picker)
    app.action(ClassificationActionId.SCOPE)(handle_classification_menu)
    app.action(ClassificationActionId.CATEGORY)(handle_classification_menu)
    app.action(ClassificationActionId.DETAILS)(handle_classification_details)
    app.action(EditActionId.OPEN)(handle_edit_button)

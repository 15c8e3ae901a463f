"""Modal submissions: the edit-answers form and the start form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.ids import EditCallbackId, StartCallbackId
from bot.services import edit, start_form


def handle_edit_submission(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    shown = edit.submit(context["deps"], context["caller"], view, client)
    if shown.view_errors:
        ack(response_action="errors", errors=shown.view_errors)
        return
    ack()
    delivery.deliver(client, shown, context["deps"])


def handle_start_submission(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    shown = start_form.submit(context["deps"], client, context["caller"], view)
    if shown.view_errors:
        ack(response_action="errors", errors=shown.view_errors)
        return
    ack()
    delivery.deliver(client, shown)


def register(app: App) -> None:
    app.view(EditCallbackId.MODAL)(handle_edit_submission)
    app.view(StartCallbackId.MODAL)(handle_start_submission)

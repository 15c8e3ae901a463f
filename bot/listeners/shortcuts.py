"""The shortcuts (manifest.yml): the global "Start a playbook session" and the message shortcut
"Analyse this message". Both open the start modal; its submission is in ``listeners/modals.py``."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.ids import ShortcutCallbackId
from bot.services import start_form


def handle_start_shortcut(ack: Ack, client: WebClient, context: BoltContext) -> None:
    shown = start_form.open_from_shortcut(context["deps"], context["caller"])
    delivery.deliver(client, shown)
    ack()


def handle_analyse_message(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    message = body.get("message") if isinstance(body.get("message"), dict) else {}
    shown = start_form.open_from_message(context["deps"], client, context["caller"], message or {})
    delivery.deliver(client, shown)
    ack()


def register(app: App) -> None:
    app.shortcut(ShortcutCallbackId.START)(handle_start_shortcut)
    app.shortcut(ShortcutCallbackId.ANALYSE_MESSAGE)(handle_analyse_message)

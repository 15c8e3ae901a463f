"""The forget-me confirmation button (the commands ``forget-me``, ``my-data`` and ``retention`` are
dispatched by :mod:`bot.listeners.commands`)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.codec import workspace_of_button
from bot.ids import PrivacyActionId
from bot.services import privacy


def handle_forget_me_button(
    ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    claimed = workspace_of_button(action.get("value"))
    shown = privacy.forget_me_button(context["deps"], client, context["caller"], claimed)
    ack()
    delivery.deliver(client, shown)


def register(app: App) -> None:
    app.action(PrivacyActionId.FORGET_ME.value)(handle_forget_me_button)

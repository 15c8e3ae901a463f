"""Listeners grouped by surface; :func:`register_listeners` wires them all."""

from __future__ import annotations

from slack_bolt import App

from bot import errors
from bot.listeners import actions, checkins, classification, commands, edit, home, journey, messages, privacy


def register_listeners(app: App) -> None:
    # First: its matchers take only check-in replies and `/playbook intervene|nation` (first match wins).
    checkins.register(app)
    commands.register(app)
    # Before messages: typed `edit` and `start <template>` in a thread (their matchers take only those).
    edit.register(app)
    journey.register(app)
    messages.register(app)
    actions.register(app)
    classification.register(app)
    home.register(app)
    privacy.register(app)
    errors.register(app)

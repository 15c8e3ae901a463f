"""Listeners grouped by surface; :func:`register_listeners` wires them all.

Each listener turns a Slack request into a typed call to a service (``bot/services/``) and hands what
the service returns to :mod:`bot.delivery`. Bolt runs the first listener whose matchers pass, so the
order below matters only where two listeners share an event type.
"""

from __future__ import annotations

from slack_bolt import App

from bot import errors
from bot.listeners import actions, checkins, commands, home, messages, modals, privacy, shortcuts


def register_listeners(app: App) -> None:
    commands.register(app)
    messages.register(app)
    actions.register(app)
    modals.register(app)
    checkins.register(app)
    home.register(app)
    privacy.register(app)
    shortcuts.register(app)
    errors.register(app)

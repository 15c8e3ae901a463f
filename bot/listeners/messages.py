"""Messages: a reply in a session's thread (or in the app's DM) answers the session's question;
``edit`` opens the edit form; ``start <template>`` in a thread starts another tool on the same problem;
in the DM, a reply to a check-in answers it. A mention outside a session says how to start one."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.deps import Deps
from bot.mrkdwn import unescape
from bot.request import Caller
from bot.services import checkins, conversation, edit, journey
from flows import engine
from flows.i18n import t

log = logging.getLogger("playbook.messages")

# Message subtypes that are people talking; everything else (edits, deletions, joins, bot posts) is ignored.
_HUMAN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
EDIT_WORD = "edit"


def handle_message(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps: Deps = context["deps"]
    caller: Caller = context["caller"]
    if event.get("subtype") not in _HUMAN_SUBTYPES or event.get("bot_id") or not caller.user_id:
        return
    if not caller.team_id or not caller.channel_id or (not caller.is_dm and not caller.thread_ts):
        return
    text = unescape(str(event.get("text") or ""))
    command = engine.normalise_command(text)
    typed = event.get("subtype") is None
    # In the DM, an owner's reply to their latest check-in answers it (the rule is in the check-ins
    # service); anything else goes on to the session.
    answered = checkins.answer_typed(deps, client, caller, text) if caller.is_dm else None
    if answered is not None:
        shown = answered
    elif command == EDIT_WORD and typed:
        shown = edit.offer(deps, caller)
    elif not caller.is_dm and typed and (template := journey.template_named_in_thread(command)):
        shown = journey.start_in_thread(deps, client, caller, template)
    else:
        shown = conversation.on_message(deps, client, caller, text)
    delivery.deliver(client, shown, context["deps"])


def handle_mention(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A mention outside a session: say how to start one (only to the person who asked)."""
    caller: Caller = context["caller"]
    if event.get("thread_ts") or not caller.channel_id or not caller.user_id:
        return
    hint = delivery.Ephemeral(
        channel=caller.channel_id, user=caller.user_id, text=t("start_hint"), best_effort=True
    )
    delivery.send(client, [hint])


def register(app: App) -> None:
    app.event("message")(handle_message)
    app.event("app_mention")(handle_mention)

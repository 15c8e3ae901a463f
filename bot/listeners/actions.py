"""Buttons: each one is a shortcut for typing its reply in the thread."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import blocks, conversation
from bot.deps import Deps
from bot.errors import PlaybookError
from bot.ids import ActionId, matching


def handle_answer_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    try:
        value = json.loads(action.get("value") or "{}")
        session_id = int(value["s"])
        key = str(value["k"])
        reply_text = str(value["r"])
    except (ValueError, KeyError, TypeError):
        ack()
        return
    team_id = str((body.get("team") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    member = conversation.channel_member_check(client, channel_id, user_id) if channel_id else None
    reply = conversation.Reply(team_id, user_id, reply_text, expected_key=key, channel_member=member)
    with deps.uow() as uow:
        session = conversation.load_session(uow, team_id, session_id)
        conversation.ensure_same_place(session, channel_id, user_id)
        result = conversation.apply(deps, uow, session, reply)
        uow.commit()
    ack()
    if result.notice and result.outcome is None:
        raise PlaybookError(result.notice)
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    if result.outcome is not None and not result.outcome.rejected and channel and message.get("ts"):
        client.chat_update(
            channel=channel,
            ts=message["ts"],
            text=str(message.get("text") or f"Answered: {reply_text}"),
            blocks=blocks.replace_actions(
                message.get("blocks") or [], blocks.answered_context(user_id, reply_text)
            ),
        )
    conversation.deliver_committed(deps, client, result, team_id)


def register(app: App) -> None:
    app.action(matching(ActionId.ANSWER))(handle_answer_button)

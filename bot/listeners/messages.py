"""Messages: a reply in a session's thread (or in the app's DM) answers the session's question."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import conversation
from bot.deps import Deps
from bot.errors import NotAllowed
from bot.mrkdwn import unescape
from flows.i18n import t

log = logging.getLogger("playbook.messages")

# Message subtypes that are people talking; everything else (edits, deletions, joins, bot posts) is ignored.
_HUMAN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def handle_message(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    if event.get("subtype") not in _HUMAN_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return
    team_id = str(body.get("team_id") or event.get("team") or "")
    channel_id = str(event.get("channel") or "")
    is_dm = event.get("channel_type") == "im"
    thread_ts = event.get("thread_ts")
    if not team_id or not channel_id or (not is_dm and not thread_ts):
        return
    event_id = str(body.get("event_id") or f"{channel_id}:{event.get('ts')}")
    user_id = str(event["user"])
    member = None if is_dm else conversation.channel_member_check(client, channel_id, user_id)
    text = unescape(str(event.get("text") or ""))
    reply = conversation.Reply(team_id, user_id, text, channel_member=member)
    with deps.uow() as uow:
        session = conversation.find_session_for_message(
            uow, team_id=team_id, channel_id=channel_id, thread_ts=thread_ts, is_dm=is_dm
        )
        if session is None:
            # Someone writing to the app's DM with nothing running would otherwise hear nothing back.
            hint = is_dm and uow.events.claim(event_id, team_id)
            uow.commit()
            if hint:
                _post_hint(client, channel_id, None)
            return
        session_id = session.id
        # The claim and the answer commit together: a crash before the commit leaves neither, so
        # Slack's retry is processed in full; a retry after the commit is recognised here.
        if not uow.events.claim(event_id, team_id):
            uow.rollback()
            duplicate = True
        else:
            duplicate = False
            try:
                result = conversation.apply(deps, uow, session, reply)
            except NotAllowed:
                uow.commit()
                return
            uow.commit()
    if duplicate:
        log.info("retried delivery of %s ignored", event_id)
        conversation.repost_lost_prompt(deps, client, team_id, session_id)
        return
    conversation.deliver_committed(deps, client, result, team_id)


def handle_mention(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
    """A mention outside a session: say how to start one (in the thread it came from)."""
    if event.get("thread_ts") or not event.get("channel") or not event.get("user"):
        return
    _post_hint(client, str(event["channel"]), str(event["user"]))


def _post_hint(client: WebClient, channel_id: str, ephemeral_for: str | None) -> None:
    """How to start a session: ephemeral to ``ephemeral_for`` in a channel, or a plain DM reply."""
    try:
        if ephemeral_for is None:
            client.chat_postMessage(channel=channel_id, text=t("start_hint"))
        else:
            client.chat_postEphemeral(channel=channel_id, user=ephemeral_for, text=t("start_hint"))
    except SlackApiError as error:  # a hint that can't be shown is not worth Slack retrying the event
        log.info("start hint not shown: %s", error.response.get("error"))


def register(app: App) -> None:
    app.event("message")(handle_message)
    app.event("app_mention")(handle_mention)

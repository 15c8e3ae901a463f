"""Who and where a request comes from, read once from Slack's payload by one middleware.

Listeners take ``context["caller"]`` (a :class:`Caller`) instead of digging ids out of each payload
shape; services take the ids as plain arguments. The ids are Slack's (team, user, channel from the
signed request), never anything a button's value can choose. An interaction's channel is the one
its payload claims in both ``channel`` and ``container`` (see :func:`_claimed_channel`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext

from bot.deps import Deps
from bot.keepalive import keep_alive


@dataclass(frozen=True)
class Caller:
    team_id: str
    user_id: str
    # The conversation the request came from (a channel, a DM), when there is one.
    channel_id: str
    # The thread the message or button was in, and the message itself (events and buttons).
    thread_ts: str | None
    message_ts: str | None
    is_dm: bool
    trigger_id: str | None
    # Slack's id for an event delivery (retries carry the same one); for messages without one, the
    # channel and message ts.
    event_id: str | None


def _str(value: Any) -> str:
    return str(value) if value not in (None, "") else ""


def _id(value: Any) -> str:
    """An id given as a string, or as an object with an ``id`` (Slack uses both shapes)."""
    if isinstance(value, dict):
        return _str(value.get("id"))
    return _str(value)


def _claimed_channel(body: dict[str, Any], container: dict[str, Any]) -> str:
    """The conversation an interaction says it came from: the payload's ``channel`` and its
    ``container``'s channel must agree. Two different claims are no claim at all (""), and a service
    refuses a session's button that names no channel (``flows.policy.container_matches``)."""
    stated = _id(body.get("channel"))
    contained = _str(container.get("channel_id"))
    if stated and contained and stated != contained:
        return ""
    return stated or contained


def caller_of(body: dict[str, Any]) -> Caller:
    """The :class:`Caller` of any payload Bolt hands us (event, slash command, interaction)."""
    if "command" in body:
        channel = _str(body.get("channel_id"))
        return Caller(
            team_id=_str(body.get("team_id")),
            user_id=_str(body.get("user_id")),
            channel_id=channel,
            thread_ts=None,
            message_ts=None,
            is_dm=channel.startswith("D") or body.get("channel_name") == "directmessage",
            trigger_id=_str(body.get("trigger_id")) or None,
            event_id=None,
        )
    event = body.get("event")
    if isinstance(event, dict):
        channel = _id(event.get("channel"))
        ts = _str(event.get("ts")) or None
        return Caller(
            team_id=_str(body.get("team_id")) or _id(event.get("team")),
            user_id=_id(event.get("user")),
            channel_id=channel,
            thread_ts=_str(event.get("thread_ts")) or None,
            message_ts=ts,
            is_dm=event.get("channel_type") == "im",
            trigger_id=None,
            event_id=_str(body.get("event_id")) or (f"{channel}:{ts}" if channel and ts else None),
        )
    container: dict[str, Any] = body["container"] if isinstance(body.get("container"), dict) else {}
    message: dict[str, Any] = body["message"] if isinstance(body.get("message"), dict) else {}
    channel = _claimed_channel(body, container)
    return Caller(
        team_id=_id(body.get("team")) or _str(body.get("team_id")),
        user_id=_id(body.get("user")) or _str(body.get("user_id")),
        channel_id=channel,
        thread_ts=_str(message.get("thread_ts")) or _str(container.get("thread_ts")) or None,
        message_ts=_str(message.get("ts")) or _str(container.get("message_ts")) or None,
        is_dm=channel.startswith("D"),
        trigger_id=_str(body.get("trigger_id")) or None,
        event_id=None,
    )


def context_middleware(deps: Deps) -> Any:
    """Bolt middleware: puts the app's :class:`Deps` and the request's :class:`Caller` in the context."""

    def middleware(body: dict[str, Any], context: BoltContext, next: Any) -> None:
        context["deps"] = deps
        context["caller"] = caller_of(body)
        if context.client is not None:
            # Bolt makes a plain WebClient per request; this one reuses the thread's connection.
            context["client"] = keep_alive(context.client)
        next()

    return middleware

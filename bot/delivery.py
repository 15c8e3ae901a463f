"""The one place that sends to Slack: messages, ephemeral messages, updates, files, modals and the
Home tab.

Services decide *what* must be shown and return it as :data:`Outgoing` values (plain data: channel,
thread, fallback text, Block Kit as dicts); :func:`send` turns each into one Web API call. Clipping
(Slack's 40,000-character message text, 3,000 in our fallbacks), unfurl options and what a failure
means live here, once, not in every feature.

User text is escaped where it is put into mrkdwn (``bot/views/``); the fallback ``text`` given here is
already mrkdwn-safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.views.common import clip

log = logging.getLogger("playbook.delivery")

FALLBACK_LIMIT = 3000
# Errors that mean "the bot can't post there" (not a fault to retry).
NOT_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def as_dicts(blocks: Iterable[Block | dict[str, Any]]) -> list[dict[str, Any]]:
    return [b if isinstance(b, dict) else b.to_dict() for b in blocks]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)

    # A courtesy message: a failure is logged and the rest goes on (never a reason to retry the event).
    best_effort: bool = False


class Post(_Out):
    """``chat.postMessage``. ``reply_to_previous``: in the thread of the previous post of this batch
    (a long summary continues under its first message)."""

    kind: Literal["post"] = "post"
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    reply_to_previous: bool = False
    # Sent instead when Slack says the bot isn't in ``channel`` (e.g. tell the facilitator how to invite it).
    if_not_there: Ephemeral | Post | None = None
    # Slack message metadata (``{"event_type": ..., "event_payload": {...}}``): names what the message
    # is, so that a sender unsure whether an earlier attempt reached Slack can look for it.
    metadata: dict[str, Any] | None = None


class Ephemeral(_Out):
    """``chat.postEphemeral``: only ``user`` sees it."""

    kind: Literal["ephemeral"] = "ephemeral"
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None


class Update(_Out):
    """``chat.update`` of a message the bot posted."""

    kind: Literal["update"] = "update"
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None = None


class FileUpload(BaseModel):
    model_config = ConfigDict(frozen=True)

    filename: str
    title: str
    content: str | bytes


class Upload(_Out):
    """``files_upload_v2`` of one or more files into a conversation (a DM: ``channel`` is a user id,
    opened first)."""

    kind: Literal["upload"] = "upload"
    channel: str
    files: list[FileUpload]
    comment: str
    thread_ts: str | None = None
    to_user_dm: bool = False


class OpenView(_Out):
    """``views.open``: a modal, for a click or a command that came with a ``trigger_id``."""

    kind: Literal["open_view"] = "open_view"
    trigger_id: str
    view: dict[str, Any]


class PublishHome(_Out):
    """``views.publish``: a person's Home tab."""

    kind: Literal["publish_home"] = "publish_home"
    user: str
    view: dict[str, Any]


Outgoing = Post | Ephemeral | Update | Upload | OpenView | PublishHome


@dataclass(frozen=True)
class Sent:
    """Where a message landed: its conversation and its ts (None where Slack gives none)."""

    channel: str | None
    ts: str | None


# How a scheduled job (no request, so no Bolt client) gets the Web API client of a workspace.
ClientFor = Callable[[str], WebClient]


def one_client(client: WebClient) -> ClientFor:
    """A client factory for a single-workspace install (the same client for every workspace)."""
    return lambda _workspace_id: client


class Shown(BaseModel):
    """What a service wants shown: the ephemeral reply to a command or button (``ack``) and messages."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    ack: str | None = None
    ack_blocks: list[dict[str, Any]] | None = None
    # For a modal submission: errors to show under its inputs (block id → message); the modal stays open.
    view_errors: dict[str, str] | None = None
    messages: list[Outgoing] = Field(default_factory=list)
    # Run if sending fails before the error is raised again (e.g. forget that a prompt was posted, so
    # Slack's retry of the event posts it).
    on_failure: Callable[[], None] | None = None
    # Run after everything was sent, with each message and where it landed (e.g. record a post's ts to
    # update it later).
    after_sent: Callable[[Sequence[tuple[Outgoing, Sent]]], None] | None = None

    def then(self, *more: Outgoing) -> Shown:
        return self.model_copy(update={"messages": [*self.messages, *more]})


def post(
    channel: str,
    text: str,
    blocks: Sequence[Block] | None = None,
    *,
    thread_ts: str | None = None,
    best_effort: bool = False,
    metadata: dict[str, Any] | None = None,
) -> Post:
    return Post(
        channel=channel,
        text=text,
        blocks=as_dicts(blocks) if blocks is not None else None,
        thread_ts=thread_ts,
        best_effort=best_effort,
        metadata=metadata,
    )


def open_view(trigger_id: str, view: View) -> OpenView:
    return OpenView(trigger_id=trigger_id, view=view.to_dict())


def publish_home(user: str, view: View) -> PublishHome:
    return PublishHome(user=user, view=view.to_dict())


def _error_code(error: SlackApiError) -> str:
    response = getattr(error, "response", None)
    code = response.get("error") if response is not None else None
    return str(code or error)


def _send_one(client: WebClient, message: Outgoing, previous_ts: str | None) -> Sent:
    if isinstance(message, Post):
        thread_ts = previous_ts if message.reply_to_previous and previous_ts else message.thread_ts
        response = client.chat_postMessage(
            channel=message.channel,
            thread_ts=thread_ts,
            text=clip(message.text, FALLBACK_LIMIT),
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
            metadata=message.metadata,
        )
        ts, channel = response.get("ts"), response.get("channel")
        return Sent(str(channel) if channel else None, str(ts) if ts else None)
    if isinstance(message, Ephemeral):
        client.chat_postEphemeral(
            channel=message.channel,
            user=message.user,
            thread_ts=message.thread_ts,
            text=clip(message.text, FALLBACK_LIMIT),
            blocks=message.blocks,
        )
        return Sent(message.channel, None)
    if isinstance(message, Update):
        client.chat_update(
            channel=message.channel,
            ts=message.ts,
            text=clip(message.text, FALLBACK_LIMIT),
            blocks=message.blocks,
        )
        return Sent(message.channel, message.ts)
    if isinstance(message, Upload):
        channel = message.channel
        if message.to_user_dm:
            channel = open_dm(client, channel)
        client.files_upload_v2(
            file_uploads=[
                {"content": f.content, "filename": f.filename, "title": f.title} for f in message.files
            ],
            channel=channel,
            thread_ts=message.thread_ts,
            initial_comment=message.comment,
        )
        return Sent(channel, None)
    if isinstance(message, OpenView):
        client.views_open(trigger_id=message.trigger_id, view=message.view)
        return Sent(None, None)
    client.views_publish(user_id=message.user, view=message.view)
    return Sent(None, None)


def send(client: WebClient, messages: Iterable[Outgoing]) -> list[str | None]:
    """Send in order; returns each message's ts (None where Slack gives none). A message Slack refuses
    raises :class:`SlackApiError`, unless it is ``best_effort`` (logged) or has ``if_not_there`` and
    the bot isn't in that channel (the alternative is sent instead)."""
    return [sent.ts for sent in send_located(client, messages)]


def send_located(client: WebClient, messages: Iterable[Outgoing]) -> list[Sent]:
    """:func:`send`, saying where each message landed as well (channel and ts, None where there is
    none): a post to a user id lands in the app's DM with them, a channel id of its own, which a
    later ``chat.update`` of that message needs."""
    sent: list[Sent] = []
    previous: str | None = None
    for message in messages:
        try:
            landed = _send_one(client, message, previous)
        except SlackApiError as error:
            code = _error_code(error)
            if isinstance(message, Post) and message.if_not_there is not None and code in NOT_THERE:
                send(client, [message.if_not_there])
                landed = Sent(None, None)
            elif message.best_effort:
                log.warning("%s to %s not sent: %s", message.kind, _where(message), code)
                landed = Sent(None, None)
            else:
                raise
        except (SlackClientError, OSError):
            if not message.best_effort:
                raise
            log.warning("%s to %s not sent: Slack unreachable", message.kind, _where(message))
            landed = Sent(None, None)
        sent.append(landed)
        if isinstance(message, Post) and landed.ts is not None and not message.reply_to_previous:
            previous = landed.ts
    return sent


def deliver(client: WebClient, shown: Shown) -> list[str | None]:
    """Send what a service returned; on failure run its ``on_failure`` and raise again; afterwards its
    ``after_sent``."""
    try:
        sent = send_located(client, shown.messages)
    except Exception:
        if shown.on_failure is not None:
            shown.on_failure()
        raise
    if shown.after_sent is not None:
        shown.after_sent(list(zip(shown.messages, sent, strict=True)))
    return [landed.ts for landed in sent]


def open_dm(client: WebClient, user_id: str) -> str:
    """The id of the app's DM with ``user_id`` (``conversations.open``)."""
    opened = client.conversations_open(users=user_id)
    return str(opened["channel"]["id"])


def _where(message: Outgoing) -> str:
    if isinstance(message, Post | Ephemeral | Update | Upload):
        return message.channel
    if isinstance(message, PublishHome):
        return message.user
    return "a modal"


Post.model_rebuild()

"""The one place that sends to Slack: messages, ephemeral messages, updates, files, modals and the
Home tab; and the sender of the outbox.

Services decide *what* must be shown and return it as :data:`Outgoing` values (plain data: channel,
thread, fallback text, Block Kit as dicts); :func:`send` turns each into one Web API call. Clipping
(Slack's 40,000-character message text, 3,000 in our fallbacks), unfurl options and what a failure
means live here, once, not in every feature.

Messages owed by a stored change (the next prompt, an anchor, a summary, a leads post, an escalation,
an idle nudge, the weekly digest, a chart) do not go straight to Slack: the service adds them to the
outbox through a :class:`Queue`, in the transaction of the change, and returns their ids in
:attr:`Shown.queued`. After the commit the request path sends them within
``PLAYBOOK_OUTBOX_REQUEST_BUDGET_SECONDS`` (:func:`send_queued`), so Slack's ack holds; a scheduled job
sends what it queued at once (:func:`send_these`); what is left (a crash, a 429 with a long
Retry-After, Slack down, a chart still to draw) is sent by :func:`send_ready`, which the scheduler runs
every few seconds. Every message posted carries Slack message metadata naming its outbox id
(:data:`METADATA_EVENT`), and every file uploaded (kind :data:`UPLOAD`) has it in its file name
(:func:`marked_filename`), so what a sender that died before recording the outcome had sent is found
in the conversation instead of being sent twice (``storage/outbox.py`` has the states).

User text is escaped where it is put into mrkdwn (``bot/views/``); the fallback ``text`` given here is
already mrkdwn-safe.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.keepalive import TRANSPORT_ERRORS, KeepAliveWebClient
from bot.pacing import retry_after_header
from bot.views.common import clip
from bot.views.controls import has_prompt_controls, replace_actions
from flows.i18n import t
from storage.outbox import PROMPT_KIND, Claimed, thread_not_sent
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.deps import Deps
    from storage.models import Session

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
    # A link to this message, resolved (chat.getPermalink) when it is sent: every
    # :data:`PERMALINK_SLOT` in the text and blocks becomes it.
    permalink_of: MessageRef | None = None
    # Slack message metadata (``{"event_type": ..., "event_payload": {...}}``): names what the message
    # is, so that a sender unsure whether an earlier attempt reached Slack can look for it. (The
    # outbox's sender sets its own: the message's outbox id.)
    metadata: dict[str, Any] | None = None
    # What the message is, when its ts must be recorded once Slack has it (:data:`LEADS_ROLE`).
    role: str | None = None
    # Posted only if this conversation is public when the message is sent (asked of Slack then, never
    # inside a transaction); otherwise ``if_private`` is sent instead and the message is not.
    only_if_public: str | None = None
    if_private: Ephemeral | Post | None = None


class MessageRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: str
    ts: str


class Ephemeral(_Out):
    """``chat.postEphemeral``: only ``user`` sees it."""

    kind: Literal["ephemeral"] = "ephemeral"
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None


class Update(_Out):
    """``chat.update`` of a message the bot posted. With ``replace_controls``: the message's blocks are
    read from Slack when it is sent and its prompt's controls are replaced by these blocks (``blocks``
    is then unused). A typed answer no longer queues these (the outbox keeps a sent prompt's blocks:
    ``services/answered.py``); the sender still applies any queued before."""

    kind: Literal["update"] = "update"
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    replace_controls: list[dict[str, Any]] | None = None
    # With ``replace_controls``: only if the message's controls answer one of these questions (a team
    # list's typed answer names its question, not its message: see ``services/answered.py``).
    answered: list[str] | None = None
    # As ``Post.permalink_of``: resolved when the update is sent (a queued leads post's link).
    permalink_of: MessageRef | None = None


class FileUpload(BaseModel):
    model_config = ConfigDict(frozen=True)

    filename: str
    title: str
    content: str | bytes = b""
    # An image's description for people who cannot see it (Slack's ``alt_txt``).
    alt_text: str | None = None
    # A chart to draw when the file is sent (``flows.charts.draw``), instead of ``content``: the outbox's
    # background sender draws it, never a request or a transaction (matplotlib is slow to start).
    chart: dict[str, Any] | None = None


class Upload(_Out):
    """``files_upload_v2`` of one or more files into a conversation (a DM: ``channel`` is a user id,
    opened first)."""

    kind: Literal["upload"] = "upload"
    channel: str
    files: list[FileUpload]
    comment: str
    thread_ts: str | None = None
    to_user_dm: bool = False
    # In the thread of the previous post of this batch (a digest's charts go under it).
    reply_to_previous: bool = False


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
    # Outbox ids committed with the change, sent (in order, after ``messages``) by :func:`deliver`;
    # ``held``: those the change's own transaction claimed (sent without claiming them again).
    queued: list[int] = Field(default_factory=list)
    held: list[Claimed] = Field(default_factory=list)

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
    if isinstance(message, Post) and (held := _held_as_private(client, message)) is not None:
        if held[1] is not None:
            _send_one(client, held[1], None)
        return Sent(None, None)
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
        thread_ts = previous_ts if message.reply_to_previous and previous_ts else message.thread_ts
        _upload(client, message, channel, thread_ts)
        return Sent(channel, None)
    if isinstance(message, OpenView):
        client.views_open(trigger_id=message.trigger_id, view=message.view)
        return Sent(None, None)
    client.views_publish(user_id=message.user, view=message.view)
    return Sent(None, None)


def _file_content(upload: FileUpload) -> str | bytes:
    if upload.chart is not None:
        from flows import charts

        return charts.draw(upload.chart).png
    return upload.content


def _upload(
    client: WebClient,
    message: Upload,
    channel: str,
    thread_ts: str | None,
    *,
    names: Sequence[str] = (),
    contents: Sequence[str | bytes] = (),
) -> None:
    """``files_upload_v2`` of ``message``'s files (``names``: the file names to give them instead;
    ``contents``: their contents, drawn already)."""
    contents = contents or [_file_content(f) for f in message.files]
    client.files_upload_v2(
        file_uploads=[
            {"content": content, "filename": name or f.filename, "title": f.title}
            | ({"alt_txt": f.alt_text} if f.alt_text else {})
            for f, name, content in zip(
                message.files, names or [""] * len(message.files), contents, strict=True
            )
        ],
        channel=channel,
        thread_ts=thread_ts,
        initial_comment=message.comment,
    )


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
        except TRANSPORT_ERRORS:
            if not message.best_effort:
                raise
            log.warning("%s to %s not sent: Slack unreachable", message.kind, _where(message))
            landed = Sent(None, None)
        sent.append(landed)
        if isinstance(message, Post) and landed.ts is not None and not message.reply_to_previous:
            previous = landed.ts
    return sent


def deliver(client: WebClient, shown: Shown, deps: Deps | None = None) -> list[str | None]:
    """Send what a service returned: its direct messages (courtesies: a notice, a "seen elsewhere"),
    then what it queued in the outbox (within the request's budget; the rest is left to the
    background sender), so that a queued question stays the last message in its thread."""
    if shown.queued and deps is None:
        raise ValueError("queued messages need the app's dependencies to be sent")
    sent = send(client, shown.messages)
    if shown.queued and deps is not None:
        send_queued(deps, client, shown.queued, held=shown.held)
    return sent


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


# --- the outbox ----------------------------------------------------------------------------------------

METADATA_EVENT = "playbook_message"
# Stands for a message's permalink until it is sent (see ``Post.permalink_of``).
PERMALINK_SLOT = "https://playbook.invalid/permalink"
# A message whose permalink slot is filled when it is sent.
_Linked = TypeVar("_Linked", Post, Update)
# The background sender's timeout for one Web API call.
SENDER_TIMEOUT_SECONDS = 10
# Slack's ``ok: false`` errors that say nothing about the message itself: try again later.
TRANSIENT = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
ANCHOR = "anchor"
# A post carrying a question's buttons, menus or pickers (sent as any post; its payload is kept once
# sent, until the question is answered: ``bot/services/answered.py``).
PROMPT = PROMPT_KIND
# The first part of a leads post: where it lands is recorded, so later changes can update it.
LEADS_ROLE = "leads_post"
# Files (``files_upload_v2``): no message metadata can go with them, so each file's name carries its
# outbox id (:func:`marked_filename`) and a file whose sender died is looked for by that name.
UPLOAD = "upload"
# The first part of a weekly digest (``digest_role``): Slack having it marks the week's digest sent;
# Slack refusing it for good gives the week's claim back, so that the next run tries again.
DIGEST_ROLE = "weekly_digest"


def digest_role(send_week: str) -> str:
    return f"{DIGEST_ROLE}:{send_week}"


def _digest_week(role: object) -> str | None:
    if isinstance(role, str) and role.startswith(f"{DIGEST_ROLE}:"):
        return role.removeprefix(f"{DIGEST_ROLE}:")
    return None


def upload_payload(message: Upload) -> dict[str, Any]:
    """An upload as the outbox stores it: JSON, each file's bytes in base64 (or the chart to draw)."""
    payload = message.model_dump(mode="json", exclude={"files"})
    files: list[dict[str, Any]] = []
    for upload in message.files:
        entry: dict[str, Any] = {
            "filename": upload.filename,
            "title": upload.title,
            "alt_text": upload.alt_text,
        }
        if upload.chart is not None:
            entry["chart"] = upload.chart
        else:
            content = upload.content.encode() if isinstance(upload.content, str) else upload.content
            entry["content_b64"] = base64.b64encode(content).decode("ascii")
        files.append(entry)
    payload["files"] = files
    return payload


def upload_from_payload(payload: dict[str, Any]) -> Upload:
    files = [
        FileUpload(
            filename=entry["filename"],
            title=entry["title"],
            alt_text=entry.get("alt_text"),
            chart=entry.get("chart"),
            content=base64.b64decode(entry["content_b64"]) if "content_b64" in entry else b"",
        )
        for entry in payload.get("files") or []
    ]
    return Upload.model_validate({**payload, "files": files})


def marked_filename(filename: str, outbox_id: int) -> str:
    """``filename`` carrying the outbox id of the upload it belongs to: ``chart.png`` → ``chart-pb42.png``."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem:
        return f"{filename}-pb{outbox_id}"
    return f"{stem}-pb{outbox_id}.{extension}"


def _draws(payload: dict[str, Any]) -> bool:
    """Whether sending this upload means drawing a chart first."""
    return any(entry.get("chart") is not None for entry in payload.get("files") or [])


def ordering_key(channel: str, session_id: int | None) -> str:
    """Messages with one key are sent in order: a session's messages in one conversation, or else
    everything for a channel."""
    return f"session:{session_id}:{channel}" if session_id is not None else f"channel:{channel}"


class Queue:
    """Adds messages to the outbox in the caller's unit of work (the transaction of the change that
    owes them); :meth:`shown` carries their ids to the request path.

    A message is also claimed in that transaction when nothing earlier with its ordering key is
    unsent (it is then :attr:`held`): the request path sends it straight after the commit, without a
    transaction of its own to claim it. One claimed in a transaction that does not commit was never
    claimed."""

    def __init__(self, uow: UnitOfWork, workspace_id: str, now: datetime, *, hold: bool = False) -> None:
        """``hold``: claim what may be sent at once in this transaction (the caller must pass
        :meth:`shown`, or :attr:`held`, to the request path, which then sends it without claiming it
        again: one statement here, for the ordering key and the database's clock together, saves a
        claiming select, update and clock read after the commit)."""
        self._uow, self._workspace_id, self._now, self._hold = uow, workspace_id, now, hold
        self.ids: list[int] = []
        self.held: list[Claimed] = []
        # Where each held message is in ``held`` (a later reply in its thread makes it a leader).
        self._held_at: dict[int, int] = {}
        self._anchors: dict[int, int] = {}
        self._last_top: dict[str, int] = {}
        self._holding: dict[str, bool] = {}
        self._db_now: datetime | None = None

    def shown(self, **fields: Any) -> Shown:
        """A :class:`Shown` that sends what was queued (with any other fields: ``ack``, …); taken once
        everything is queued (a held message learns here that a later one is in its thread)."""
        return Shown(queued=list(self.ids), held=list(self.held), **fields)

    def anchor(self, session: Session, message: Post) -> int:
        """A channel session's anchor: once Slack has it, its ts names the session's thread."""
        queued = self._add(message, session, kind=ANCHOR, thread_of=None)
        self._anchors[session.id] = queued
        return queued

    def add(
        self, message: Post | Update | Upload, session: Session | None = None, *, aside: bool = False
    ) -> int:
        """Queue one message (of ``session``, if it belongs to one). A post or an upload to a channel
        session whose anchor is not in Slack yet waits for it and goes in its thread. ``aside``: in
        an order of its own beside its conversation's (a chart the background sender draws must not
        hold up the conversation's later messages), once its thread is known."""
        thread_of: int | None = None
        if isinstance(message, Post | Upload):
            key = ordering_key(message.channel, session.id if session is not None else None)
            if message.reply_to_previous:
                thread_of = self._last_top.get(key)
            elif (
                session is not None
                and not session.is_dm
                and session.thread_ts is None
                and message.channel == session.channel_id
            ):
                thread_of = self._anchors.get(session.id) or self._uow.outbox.anchor_of(session.id)
        kind: str = message.kind
        if isinstance(message, Post) and has_prompt_controls(message.blocks or []):
            kind = PROMPT  # so a typed answer can find it once sent (its payload is not kept)
        return self._add(message, session, kind=kind, thread_of=thread_of, aside=aside and thread_of is None)

    def extend(self, messages: Iterable[Outgoing], session: Session | None = None) -> None:
        for message in messages:
            if not isinstance(message, Post | Update | Upload):
                raise TypeError(f"only posts, updates and uploads go through the outbox, not {message.kind}")
            self.add(message, session)

    def _add(
        self,
        message: Post | Update | Upload,
        session: Session | None,
        *,
        kind: str,
        thread_of: int | None,
        aside: bool = False,
    ) -> int:
        session_id = session.id if session is not None else None
        key = ordering_key(message.channel, session_id) + (f":{kind}" if aside else "")
        held_since: datetime | None = None
        if self._hold:
            holding = self._holding.get(key)
            if holding is None:
                # Held only when nothing earlier with its key is unsent: the order holds, since the
                # request path sends what it holds in id order and gives back the rest of a key after
                # one of them is not sent. (The database's clock, the claim's time, comes with it.)
                unsent, db_now = self._uow.outbox.unsent_and_now(key)
                holding = not unsent
                self._db_now = self._db_now or db_now
            # An upload is left to the sender's own claim (and so is everything after it in its key).
            holding = self._holding[key] = holding and not isinstance(message, Upload)
            if holding:
                if self._db_now is None:
                    self._db_now = self._uow.outbox.database_now()
                held_since = self._db_now
        thread_ts = message.thread_ts if isinstance(message, Post | Upload) else None
        payload = upload_payload(message) if isinstance(message, Upload) else message.model_dump(mode="json")
        queued = self._uow.outbox.add(
            workspace_id=self._workspace_id,
            session_id=session_id,
            ordering_key=key,
            channel=message.channel,
            thread_ts=thread_ts,
            thread_of=thread_of,
            kind=kind,
            payload=payload,
            now=self._now,
            held_since=held_since,
        )
        self.ids.append(queued)
        if thread_of is not None and (at := self._held_at.get(thread_of)) is not None:
            # Sent, it gives this one its thread.
            self.held[at] = replace(self.held[at], leads=True)
        if held_since is not None:
            self._held_at[queued] = len(self.held)
            self.held.append(
                Claimed(
                    id=queued,
                    workspace_id=self._workspace_id,
                    session_id=session_id,
                    ordering_key=key,
                    channel=message.channel,
                    thread_ts=thread_ts,
                    kind=kind,
                    payload=payload,
                    attempts=1,
                    thread_of=thread_of,
                    uncertain=False,
                    # Only an anchor is the thread of messages queued by later transactions; any
                    # other message's followers are queued after it here (above).
                    leads=kind == ANCHOR,
                )
            )
        if isinstance(message, Post) and not message.reply_to_previous and thread_of is None:
            self._last_top[key] = queued
        return queued


@dataclass
class Flushed:
    """What one run of the sender did: ids sent (with their ts), dead (with Slack's error), and
    claimed but left (Retry-After, an unknown outcome, out of time)."""

    sent: dict[int, str | None] = field(default_factory=dict)
    dead: dict[int, str] = field(default_factory=dict)
    left: set[int] = field(default_factory=set)
    dead_anchors: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Outcome:
    claimed: Claimed
    # "sent", "retry" (pending again after not_before), "unknown" (the same, looked for before it is
    # posted again), "dead"
    what: Literal["sent", "retry", "unknown", "dead"]
    ts: str | None = None
    not_before: datetime | None = None
    error: str | None = None
    fallback: Outgoing | None = None


def _metadata(outbox_id: int) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": outbox_id}}


def _outbox_id(message: dict[str, Any]) -> int | None:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != METADATA_EVENT:
        return None
    value = (metadata.get("event_payload") or {}).get("outbox_id")
    return int(value) if isinstance(value, int | str) and str(value).isdecimal() else None


def _conversation(client: WebClient, channel: str) -> str:
    """The conversation a post to ``channel`` lands in: a user id means the app's DM with them."""
    return open_dm(client, channel) if channel[:1] in ("U", "W") else channel


def find_posted(client: WebClient, claimed: Claimed) -> str | None:
    """The ts of the message this outbox id was posted as, if it is in the conversation (its thread,
    or the channel's recent history). Raises if Slack cannot be asked."""
    return _find(client, claimed, lambda message: _outbox_id(message) == claimed.id)


def find_uploaded(client: WebClient, claimed: Claimed, channel: str) -> str | None:
    """The ts of the message that shared this upload's files (named with its outbox id), if it is in
    the conversation (its thread, or the channel's recent history). Raises if Slack cannot be asked."""
    upload = upload_from_payload(claimed.payload)
    names = {marked_filename(f.filename, claimed.id) for f in upload.files}

    def shared(message: dict[str, Any]) -> bool:
        return any(isinstance(f, dict) and f.get("name") in names for f in message.get("files") or [])

    return _find(client, replace(claimed, channel=channel), shared)


def _find(client: WebClient, claimed: Claimed, matches: Callable[[dict[str, Any]], bool]) -> str | None:
    channel = _conversation(client, claimed.channel)
    cursor: str | None = None
    for _page in range(5):
        if claimed.thread_ts is not None:
            try:
                response = client.conversations_replies(
                    channel=channel,
                    ts=claimed.thread_ts,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except SlackApiError as error:
                if _error_code(error) == "thread_not_found":
                    return None
                raise
        else:
            response = client.conversations_history(
                channel=channel, include_all_metadata=True, limit=200, cursor=cursor
            )
        for message in response.get("messages") or []:
            if matches(message):
                return str(message.get("ts"))
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return None
    return None


def _with_permalink(client: WebClient, message: _Linked) -> _Linked:
    ref = message.permalink_of
    if ref is None:
        return message
    link: str | None = None
    try:
        link = client.chat_getPermalink(channel=ref.channel, message_ts=ref.ts).get("permalink")
    except SlackApiError as error:
        log.warning("no permalink for %s/%s: %s", ref.channel, ref.ts, _error_code(error))
    # Without one, a link that opens the channel.
    link = str(link) if link else f"https://slack.com/app_redirect?channel={ref.channel}"
    filled = json.loads(json.dumps(message.model_dump(mode="json")).replace(PERMALINK_SLOT, link))
    return type(message).model_validate(filled)


def _held_as_private(client: WebClient, message: Post) -> tuple[str, Outgoing | None] | None:
    """``(conversation, what to send instead)`` when ``message`` may only go out for a public
    conversation and Slack says this one isn't (or can't find it); None to send it. A rate limit or a
    server error propagates: the message is tried again later."""
    channel = message.only_if_public
    if channel is None:
        return None
    try:
        info = client.conversations_info(channel=channel).get("channel") or {}
    except SlackApiError as error:
        status = getattr(error.response, "status_code", 200)
        if status == 429 or status >= 500 or _error_code(error) in TRANSIENT:
            raise
        return channel, message.if_private
    public = not (info.get("is_private") or info.get("is_im") or info.get("is_mpim"))
    return None if public else (channel, message.if_private)


def _with_controls_replaced(client: WebClient, update: Update) -> Update | None:
    """``update`` with the blocks the message has in Slack now, its prompt's controls replaced; None
    when it has none left (answered already) or is gone."""
    response = client.conversations_replies(channel=update.channel, ts=update.ts, limit=1)
    found = next((m for m in response.get("messages") or [] if m.get("ts") == update.ts), None)
    if found is None or not has_prompt_controls(found.get("blocks") or [], update.answered):
        return None
    blocks = replace_actions(found.get("blocks") or [], update.replace_controls or [])
    return update.model_copy(update={"blocks": blocks, "text": str(found.get("text") or update.text)})


def _post_claimed(client: WebClient, claimed: Claimed) -> str | None:
    message = Post.model_validate(claimed.payload)
    message = _with_permalink(client, message)
    response = client.chat_postMessage(
        channel=message.channel,
        thread_ts=claimed.thread_ts,
        text=clip(message.text, FALLBACK_LIMIT),
        blocks=message.blocks,
        unfurl_links=False,
        unfurl_media=False,
        metadata=_metadata(claimed.id),
    )
    ts = response.get("ts")
    return str(ts) if ts else None


# Slack shares an upload's files in the conversation after ``files.completeUploadExternal`` has
# answered: an upload whose outcome was unknown is looked for no sooner than this.
UPLOAD_SHARED_WITHIN_SECONDS = 15


def _backoff(claimed: Claimed) -> timedelta:
    """How long to leave a message after a send whose outcome was unknown: 2 s, 4 s, … up to 5 min
    (an upload: at least :data:`UPLOAD_SHARED_WITHIN_SECONDS`, so that its share can be found)."""
    wait = min(300, 2 ** min(claimed.attempts, 9))
    if claimed.kind == UPLOAD:
        wait = max(wait, UPLOAD_SHARED_WITHIN_SECONDS)
    return timedelta(seconds=wait)


def _upload_claimed(client: WebClient, claimed: Claimed) -> _Outcome:
    """Upload a claimed upload's files, each named with its outbox id; one whose last claim went stale
    (or whose outcome was unknown) is first looked for by those names."""
    upload = upload_from_payload(claimed.payload)
    channel = open_dm(client, upload.channel) if upload.to_user_dm else upload.channel
    if claimed.uncertain:
        found = find_uploaded(client, claimed, channel)
        if found is not None:
            log.info("outbox %s was already in Slack (%s): not uploaded again", claimed.id, found)
            return _Outcome(claimed, "sent", ts=None)
    try:
        contents = [_file_content(f) for f in upload.files]
    except (ImportError, ValueError, KeyError, TypeError) as error:
        # A chart this process cannot draw will not be drawn by trying again: it must not hold up
        # the messages behind it.
        log.error("outbox %s: its chart could not be drawn: %r", claimed.id, error)
        return _Outcome(claimed, "dead", error=f"chart_not_drawn:{type(error).__name__}")
    names = [marked_filename(f.filename, claimed.id) for f in upload.files]
    _upload(client, upload, channel, claimed.thread_ts, names=names, contents=contents)
    # The share's ts is not in the answer (Slack shares the files after it): nothing waits for it.
    return _Outcome(claimed, "sent", ts=None)


def _attempt(client: WebClient, claimed: Claimed, now: datetime) -> _Outcome:
    """Send one claimed message (after looking for it, if its last claim went stale)."""
    try:
        if claimed.kind == UPLOAD:
            return _upload_claimed(client, claimed)
        if claimed.kind == "update":
            update = Update.model_validate(claimed.payload)
            if update.replace_controls is not None:
                current = _with_controls_replaced(client, update)
                if current is None:  # no longer there, or already answered: nothing to change
                    return _Outcome(claimed, "sent", ts=None)
                update = current
            update = _with_permalink(client, update)
            client.chat_update(
                channel=update.channel,
                ts=update.ts,
                text=clip(update.text, FALLBACK_LIMIT),
                blocks=update.blocks,
            )
            return _Outcome(claimed, "sent", ts=update.ts)
        if claimed.kind != "update":
            held = _held_as_private(client, Post.model_validate(claimed.payload))
            if held is not None:
                log.info("outbox %s held: %s is not a public conversation", claimed.id, held[0])
                return _Outcome(claimed, "dead", error="not_public", fallback=held[1])
        if claimed.uncertain:
            found = find_posted(client, claimed)
            if found is not None:
                log.info("outbox %s was already in Slack (%s): not posted again", claimed.id, found)
                return _Outcome(claimed, "sent", ts=found)
        return _Outcome(claimed, "sent", ts=_post_claimed(client, claimed))
    except SlackApiError as error:
        code = _error_code(error)
        status = getattr(error.response, "status_code", 200)
        if status == 429 or code == "ratelimited":
            wait = retry_after_header(error.response)
            return _Outcome(claimed, "retry", not_before=now + timedelta(seconds=wait), error=code)
        if status >= 500 or code in TRANSIENT:
            return _Outcome(claimed, "unknown", not_before=now + _backoff(claimed), error=code)
        fallback: Outgoing | None = None
        if claimed.kind not in ("update", UPLOAD):
            message = Post.model_validate(claimed.payload)
            if message.if_not_there is not None and code in NOT_THERE:
                fallback = message.if_not_there
        if not claimed.payload.get("best_effort"):
            log.error(
                "outbox %s (%s to %s) refused by Slack: %s", claimed.id, claimed.kind, claimed.channel, code
            )
        return _Outcome(claimed, "dead", error=code, fallback=fallback)
    except TRANSPORT_ERRORS as error:
        log.warning(
            "outbox %s: Slack unreachable (%s); it is looked for before it is sent again",
            claimed.id,
            type(error).__name__,
        )
        return _Outcome(claimed, "unknown", not_before=now + _backoff(claimed), error=type(error).__name__)


def _dead_anchor_notice(uow: UnitOfWork, claimed: Claimed) -> Post | None:
    """A session whose anchor Slack refused is cancelled; its facilitator hears why in the app's DM."""
    if claimed.session_id is None:
        return None
    cancelled = uow.sessions.cancel_unanchored(claimed.session_id)
    if cancelled is None:
        return None
    _workspace, _channel, facilitator, locale = cancelled
    return Post(channel=facilitator, text=t("bot_not_in_channel", locale), best_effort=True)


def _record(
    uow: UnitOfWork,
    outcome: _Outcome,
    flushed: Flushed,
    *,
    tell: bool,
    now: datetime,
    behind: dict[str, bool] | None = None,
) -> list[Outgoing]:
    """Store one outcome; returns the notices to send once this is committed. ``behind`` (the
    request path): for a message recorded sent, whether anything with its ordering key waits to be
    claimed, by its key."""
    claimed = outcome.claimed
    notices: list[Outgoing] = []
    if outcome.what == "sent":
        # Only a post can be the thread of a later message (an update never is), and only one whose
        # claim says so (an anchor, or one with a reply queued with it).
        may_lead = claimed.kind != "update" and claimed.leads
        keep_payload = claimed.kind == PROMPT
        if behind is None:
            recorded = uow.outbox.mark_sent(
                claimed.id, claimed.attempts, outcome.ts, may_lead=may_lead, keep_payload=keep_payload
            )
        else:
            waiting = uow.outbox.mark_sent_looking_behind(
                claimed.id, claimed.attempts, outcome.ts, may_lead=may_lead, keep_payload=keep_payload
            )
            recorded = waiting is not None
            if waiting is not None:
                behind[claimed.ordering_key] = behind.get(claimed.ordering_key, False) or waiting
        if recorded and claimed.session_id is not None and outcome.ts:
            if claimed.kind == ANCHOR:
                uow.sessions.set_thread(claimed.session_id, outcome.ts)
            elif claimed.payload.get("role") == LEADS_ROLE:
                uow.leads_posts.record(
                    claimed.workspace_id, claimed.session_id, claimed.channel, outcome.ts, now
                )
        if recorded and (week := _digest_week(claimed.payload.get("role"))) is not None:
            uow.digests.mark_sent(claimed.workspace_id, week, now, claimed.channel, outcome.ts)
        flushed.sent[claimed.id] = outcome.ts
    elif outcome.what == "retry":
        uow.outbox.release(claimed.id, claimed.attempts, not_before=outcome.not_before, error=outcome.error)
        flushed.left.add(claimed.id)
    elif outcome.what == "unknown":
        uow.outbox.release(
            claimed.id, claimed.attempts, not_before=outcome.not_before, error=outcome.error, uncertain=True
        )
        flushed.left.add(claimed.id)
    else:
        followers = uow.outbox.mark_dead(claimed.id, claimed.attempts, outcome.error or "refused")
        if (week := _digest_week(claimed.payload.get("role"))) is not None:
            uow.digests.give_back(claimed.workspace_id, week)
        flushed.dead[claimed.id] = outcome.error or "refused"
        for follower in followers:
            flushed.dead[follower] = thread_not_sent(claimed.id)
        if outcome.fallback is not None:
            notices.append(outcome.fallback)
        if claimed.kind == ANCHOR:
            flushed.dead_anchors.append(claimed.id)
            notice = _dead_anchor_notice(uow, claimed)
            if notice is not None and tell:
                notices.append(notice)
    return notices


def _send_batch(
    clients: ClientFor, claimed: list[Claimed], deadline: float | None, adjust_timeout: bool, now: datetime
) -> list[_Outcome]:
    """Send claimed messages in id order. Several of one ordering key (held by the request that
    queued them) go one after another; once one of them is not sent, the rest of its key is given
    back unsent. A message whose thread is an earlier one of the batch takes that one's ts."""
    outcomes: list[_Outcome] = []
    stopped: set[str] = set()
    sent_ts: dict[int, str | None] = {}
    dead: set[int] = set()
    for one in claimed:
        if one.ordering_key in stopped:
            outcomes.append(_Outcome(one, "retry"))
            continue
        if one.thread_of is not None and one.thread_of in dead:
            outcomes.append(_Outcome(one, "dead", error=thread_not_sent(one.thread_of)))
            dead.add(one.id)
            continue
        if one.thread_ts is None and one.thread_of is not None and sent_ts.get(one.thread_of):
            one = replace(one, thread_ts=sent_ts[one.thread_of])
        if deadline is not None and time.monotonic() >= deadline:
            # Out of time: give it back untouched for the background sender.
            outcome = _Outcome(one, "retry")
        elif adjust_timeout and one.kind == UPLOAD and _draws(one.payload):
            # A chart is drawn by the background sender, never while Slack waits for an ack.
            outcome = _Outcome(one, "retry")
        else:
            try:
                client = clients(one.workspace_id)
            except SlackClientError as error:
                client = None
                outcome = _Outcome(one, "retry", not_before=now + timedelta(seconds=60), error=str(error))
            if client is not None:
                if adjust_timeout and deadline is not None:
                    # The request path's own client: each call may use what is left of the budget
                    # (and a little more, so a post under way is not cut off at the last moment).
                    client.timeout = max(0.5, deadline - time.monotonic() + 0.5)  # type: ignore[assignment]
                outcome = _attempt(client, one, now)
        outcomes.append(outcome)
        if outcome.what == "sent":
            sent_ts[one.id] = outcome.ts
        elif outcome.what == "dead":
            dead.add(one.id)
        else:
            stopped.add(one.ordering_key)
    return outcomes


def _pending_behind(uow: UnitOfWork, keys: set[str], looked: dict[str, bool]) -> bool:
    """Whether a message with one of ``keys`` waits to be claimed: ``looked`` says it of some keys
    already (asked as their sends were recorded); the rest are looked for."""
    if any(looked.values()):
        return True
    rest = keys - looked.keys()
    return bool(rest) and uow.outbox.has_pending(rest)


def _run(
    deps: Deps,
    clients: ClientFor,
    *,
    only: Collection[int] | None,
    held: Sequence[Claimed] = (),
    deadline: float | None,
    tell_dead_anchors: bool,
    request_path: bool,
) -> Flushed:
    flushed = Flushed()
    tried: set[int] = {one.id for one in held}
    claimed: list[Claimed] = sorted(held, key=lambda one: one.id)
    outcomes: list[_Outcome] = []
    stale_after = deps.settings.playbook_outbox_claim_seconds
    # Keys whose messages this run sent: the request path also sends what was queued behind them
    # meanwhile (by a request that found them unsent), instead of leaving it to the background.
    keys: set[str] = set()
    if claimed:
        outcomes = _send_batch(clients, claimed, deadline, request_path, deps.clock.now())
    while True:
        notices: list[tuple[str, Outgoing]] = []
        if request_path:
            keys.update(o.claimed.ordering_key for o in outcomes if o.what == "sent")
        wanted = None if only is None else [i for i in only if i not in tried]
        more = wanted is None or bool(wanted) or bool(keys)
        if outcomes or more:
            # The request path: whether anything waits behind what it sent, asked as each send is
            # recorded (by its key), so the look below is needed only for keys of earlier rounds.
            behind: dict[str, bool] | None = {} if request_path else None
            with deps.uow() as uow:
                for outcome in outcomes:
                    for notice in _record(
                        uow, outcome, flushed, tell=tell_dead_anchors, now=deps.clock.now(), behind=behind
                    ):
                        notices.append((outcome.claimed.workspace_id, notice))
                claimed = []
                if wanted == [] and not _pending_behind(uow, keys, behind or {}):
                    more = False  # nothing was queued behind what this request sent
                if more and (deadline is None or time.monotonic() < deadline):
                    claimed = uow.outbox.claim_ready(
                        now=deps.clock.now(), stale_after=stale_after, only=wanted, keys=keys, exclude=tried
                    )
                uow.commit()
        else:
            claimed = []
        for workspace_id, notice in notices:
            send(clients(workspace_id), [notice.model_copy(update={"best_effort": True})])
        if not claimed:
            return flushed
        tried.update(one.id for one in claimed)
        outcomes = _send_batch(clients, claimed, deadline, request_path, deps.clock.now())


def request_client(client: WebClient, timeout: float) -> WebClient:
    """A client like the request's (same token and URL) that never waits: no retries (the outbox
    owns them) and a timeout within the request's budget. It reuses the listener thread's kept-alive
    connection (``bot/keepalive.py``): a new connection per post cost as much as the post."""
    fast = KeepAliveWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=timeout,  # type: ignore[arg-type]
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        logger=client.logger,
        retry_handlers=[],  # slack_sdk's default would post again after a dropped connection
    )
    fast.default_params = dict(client.default_params)
    return fast


def send_queued(
    deps: Deps,
    client: WebClient,
    ids: Collection[int],
    *,
    held: Sequence[Claimed] = (),
    budget: float | None = None,
) -> Flushed:
    """The request path: send what this request queued, in order, for at most ``budget`` seconds
    (``PLAYBOOK_OUTBOX_REQUEST_BUDGET_SECONDS``, 1.5 by default: Slack waits 3 s for the ack). A 429 is
    never waited out here (its Retry-After goes on the message for the background sender)."""
    if budget is None:
        budget = deps.settings.playbook_outbox_request_budget_seconds
    fast = request_client(client, budget)
    return _run(
        deps,
        one_client(fast),
        only=list(ids),
        held=held,
        deadline=time.monotonic() + budget,
        tell_dead_anchors=False,
        request_path=True,
    )


def send_ready(deps: Deps, clients: ClientFor, *, budget: float | None = None) -> Flushed:
    """The background sender: everything that may be sent now, in order per conversation."""
    deadline = time.monotonic() + budget if budget is not None else None
    return _run(deps, clients, only=None, deadline=deadline, tell_dead_anchors=True, request_path=False)


def without_retries(clients: ClientFor) -> ClientFor:
    """``clients`` as the outbox's sender needs them: never repeating a call by themselves (after a
    dropped connection Slack may have the message already; the sender looks before posting again)
    nor sleeping out a Retry-After (the message waits in the outbox instead)."""

    def for_workspace(workspace_id: str) -> WebClient:
        client = copy.copy(clients(workspace_id))
        client.retry_handlers = []
        client.timeout = min(client.timeout, SENDER_TIMEOUT_SECONDS)
        return client

    return for_workspace


def send_these(deps: Deps, clients: ClientFor, ids: Collection[int]) -> Flushed:
    """A scheduled job (no request, no ack to keep) sends what it has just queued and committed, at
    once and in order, with ``clients`` :func:`without_retries`; whatever Slack does not take now stays
    for :func:`send_ready`."""
    if not ids:
        return Flushed()
    return _run(
        deps,
        without_retries(clients),
        only=list(ids),
        deadline=None,
        tell_dead_anchors=True,
        request_path=False,
    )

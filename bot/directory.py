"""What the bot asks Slack (reads only): channel membership, whether a channel is public, whether
someone is a workspace admin, a person's time zone, a message's permalink, whether a conversation is
private or shared, the app's DM with someone, and whether a message the bot may have posted (named by
its metadata) is in a conversation.

Services call these before or after a database transaction, never while one is open: a slow Slack
must not hold a row lock or SQLite's writer lock.

Who is an admin and who can read a channel are asked on many requests (every settings change, every
``status`` and Home tab; a channel's facts and permalinks on every root cause confirmed; whether
someone new to a session is in its channel), so the answers are kept for :data:`LOOKUP_TTL` in a
:class:`LookupCache` that lives with the app (``deps.lookups``), keyed by workspace. A failed lookup is
never kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from flows.clock import Clock, SystemClock
from flows.policy import UNREADABLE, ChannelAccess
from flows.related import ChannelFacts

log = logging.getLogger("playbook.directory")

# How far back a look for a message by its metadata reads a conversation, newest first: 1,000 messages
# (five pages), well beyond what a DM gathers while a claim goes stale.
HISTORY_PAGE = 200
HISTORY_PAGES = 5

# How long a person's admin status or a channel's members are trusted before Slack is asked again:
# short, so someone removed from a private channel (or demoted) loses access within a minute.
LOOKUP_TTL = timedelta(seconds=60)
# At most this many answers are kept (the oldest go first); far more than one workspace's channels.
LOOKUP_CAPACITY = 5000


class LookupCache:
    """Answers from Slack kept briefly: ``(kind, workspace, id) → (value, fetched at)``. Thread-safe;
    one per app (it lives in ``Deps``)."""

    def __init__(self, ttl: timedelta = LOOKUP_TTL, capacity: int = LOOKUP_CAPACITY) -> None:
        self._ttl = ttl
        self._capacity = capacity
        self._entries: dict[tuple[str, str, str], tuple[Any, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str], now: datetime) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            value, fetched = entry
            if not fetched <= now < fetched + self._ttl:
                del self._entries[key]
                return None
            return value

    def put(self, key: tuple[str, str, str], value: Any, now: datetime) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self._capacity:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (value, now)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Directory:
    """Slack reads for one workspace. With ``cache`` (and ``team_id``), admin status and channel access
    are kept briefly; without, every call asks Slack."""

    def __init__(
        self,
        client: WebClient,
        *,
        team_id: str = "",
        cache: LookupCache | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.team_id = team_id
        self._cache = cache
        self._clock = clock or SystemClock()

    def _cached(self, kind: str, key: str) -> Any | None:
        if self._cache is None or not self.team_id:
            return None
        return self._cache.get((kind, self.team_id, key), self._clock.now())

    def _keep(self, kind: str, key: str, value: Any) -> None:
        if self._cache is not None and self.team_id:
            self._cache.put((kind, self.team_id, key), value, self._clock.now())

    def in_channel(self, channel_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is a member of ``channel_id`` (``conversations.members``, every page).
        A failing call raises: an event is then not acknowledged and Slack retries it. A yes is kept
        (:meth:`known_member`); a no is not, so someone just added to the channel can answer at once."""
        cursor = None
        while True:
            page = self.client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            if user_id in (page.get("members") or []):
                self._keep("member", f"{channel_id}/{user_id}", True)
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False

    def known_member(self, channel_id: str, user_id: str) -> bool | None:
        """True when Slack said in the last :data:`LOOKUP_TTL` that ``user_id`` is in ``channel_id``
        (:meth:`in_channel`, or the channel's members read for :meth:`channel_access`); otherwise None,
        without asking Slack. A team's members joining each new session are then not looked up again
        and again, and whoever is removed from the channel is refused within the minute."""
        if self._cached("member", f"{channel_id}/{user_id}"):
            return True
        access = self._cached("channel", channel_id)
        if isinstance(access, ChannelAccess) and user_id in access.members:
            return True
        return None

    def is_workspace_admin(self, user_id: str) -> bool:
        """A Slack workspace admin or owner (``users.info``; needs ``users:read``). A failed lookup is
        a no (and is not kept)."""
        known = self._cached("admin", user_id)
        if known is not None:
            return bool(known)
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return False
        is_admin = bool(
            not user.get("deleted")
            and (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        )
        self._keep("admin", user_id, is_admin)
        return is_admin

    def channel_access(self, channel_id: str) -> ChannelAccess:
        """Whether ``channel_id`` is public (``conversations.info``) and, if not, who is in it
        (``conversations.members``, every page). A channel Slack won't describe (archived, private
        without the bot, a failed call) is readable by nobody, and that answer is not kept."""
        known = self._cached("channel", channel_id)
        if isinstance(known, ChannelAccess):
            return known
        try:
            info = self.client.conversations_info(channel=channel_id).get("channel") or {}
            if info.get("is_archived"):
                return UNREADABLE
            # A public channel: is_channel and not is_private. Private channels, group DMs and DMs
            # are read by their members only.
            is_public = bool(info.get("is_channel")) and not info.get("is_private") and not info.get("is_im")
            members: frozenset[str] = frozenset()
            if not is_public:
                members = frozenset(self._members(channel_id))
        except SlackApiError as error:
            log.warning("channel lookup failed for %s: %s", channel_id, error.response.get("error"))
            return UNREADABLE
        access = ChannelAccess(is_public=is_public, members=members)
        self._keep("channel", channel_id, access)
        return access

    def readable_channels(self, channel_ids: Iterable[str], user_id: str) -> frozenset[str]:
        """Of ``channel_ids``, the ones ``user_id`` can read (public, or a member)."""
        return frozenset(c for c in set(channel_ids) if self.channel_access(c).readable_by(user_id))

    def _members(self, channel_id: str) -> list[str]:
        members: list[str] = []
        cursor = None
        while True:
            page = self.client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            members += [str(m) for m in page.get("members") or []]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return members

    def timezone(self, user_id: str) -> str | None:
        """The person's IANA time zone (``users.info`` ``tz``); None if Slack doesn't say. A transport
        failure raises (the caller decides whether to try again later)."""
        info = self.client.users_info(user=user_id)
        return str((info.get("user") or {}).get("tz") or "") or None

    def display_name(self, user_id: str) -> str | None:
        """The name Slack shows for ``user_id`` (display name, else real name); None when Slack cannot
        say (an unknown or deleted user, or a failed call: a file then names them without their id)."""
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return None
        profile = user.get("profile") or {}
        for name in (
            profile.get("display_name"),
            profile.get("real_name"),
            user.get("real_name"),
            user.get("name"),
        ):
            if isinstance(name, str) and name.strip():
                return name.strip()
        return None

    def permalink(self, channel_id: str, message_ts: str) -> str | None:
        """A message's link (``chat.getPermalink``); it never changes, so it is kept like the rest."""
        known = self._cached("permalink", f"{channel_id}/{message_ts}")
        if isinstance(known, str):
            return known
        try:
            link = self.client.chat_getPermalink(channel=channel_id, message_ts=message_ts).get("permalink")
        except SlackApiError as error:
            log.warning("no permalink for %s/%s: %s", channel_id, message_ts, error.response.get("error"))
            return None
        if not link:
            return None
        self._keep("permalink", f"{channel_id}/{message_ts}", str(link))
        return str(link)

    def channel_facts(self, channel_id: str) -> ChannelFacts | None:
        """``conversations.info``: the conversation's name, whether it is private (a private channel,
        a DM or a group DM) and whether it is shared beyond this workspace. None when Slack does not
        say (the caller then shows nothing from it). Kept for :data:`LOOKUP_TTL` (a channel made
        private is private to the bot within a minute); a failed lookup is not kept."""
        known = self._cached("facts", channel_id)
        if isinstance(known, ChannelFacts):
            return known
        try:
            info = self.client.conversations_info(channel=channel_id).get("channel") or {}
        except SlackApiError as error:
            log.warning("conversations.info failed for %s: %s", channel_id, error.response.get("error"))
            return None
        if not info:
            return None
        private = any(info.get(flag) for flag in ("is_private", "is_im", "is_mpim", "is_group"))
        shared = any(
            info.get(flag)
            for flag in ("is_shared", "is_ext_shared", "is_org_shared", "is_pending_ext_shared")
        )
        name = info.get("name")
        facts = ChannelFacts(channel_id, str(name) if name else None, private, shared)
        self._keep("facts", channel_id, facts)
        return facts

    def dm_with(self, user_id: str) -> str:
        """The id of the app's DM with ``user_id`` (``conversations.open``; needs ``im:write``)."""
        opened = self.client.conversations_open(users=user_id)
        return str(opened["channel"]["id"])

    def find_by_metadata(
        self, channel_id: str, event_type: str, payload: Mapping[str, Any], *, thread_ts: str | None = None
    ) -> str | None:
        """The ts of the newest message in ``channel_id`` (in the thread ``thread_ts``, if given) whose
        metadata has ``event_type`` and an ``event_payload`` containing ``payload``; None if there is
        none among the most recent :data:`HISTORY_PAGES` pages (``conversations.history`` or
        ``conversations.replies`` with ``include_all_metadata``; needs the ``*:history`` scope). A
        failing call raises: the caller must not conclude that the message is not there."""
        cursor = None
        for _ in range(HISTORY_PAGES):
            if thread_ts is None:
                page = self.client.conversations_history(
                    channel=channel_id, limit=HISTORY_PAGE, cursor=cursor, include_all_metadata=True
                )
            else:
                page = self.client.conversations_replies(
                    channel=channel_id,
                    ts=thread_ts,
                    limit=HISTORY_PAGE,
                    cursor=cursor,
                    include_all_metadata=True,
                )
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                found = metadata.get("event_payload") or {}
                if metadata.get("event_type") == event_type and all(
                    found.get(key) == value for key, value in payload.items()
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

"""What the bot asks Slack (reads only): channel membership, whether someone is a workspace admin,
a person's time zone, a message's permalink, whether a conversation is private or shared, the app's
DM with someone, and whether a message the bot may have posted (named by its metadata) is in a
conversation.

Services call these before or after a database transaction, never while one is open: a slow Slack
must not hold a row lock or SQLite's writer lock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from flows.related import ChannelFacts

log = logging.getLogger("playbook.directory")

# How far back a look for a message by its metadata reads a conversation, newest first: 1,000 messages
# (five pages), well beyond what a DM gathers while a claim goes stale.
HISTORY_PAGE = 200
HISTORY_PAGES = 5


class Directory:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def in_channel(self, channel_id: str, user_id: str) -> bool:
        """Whether ``user_id`` is a member of ``channel_id`` (``conversations.members``, every page).
        A failing call raises: an event is then not acknowledged and Slack retries it."""
        cursor = None
        while True:
            page = self.client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            if user_id in (page.get("members") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False

    def is_workspace_admin(self, user_id: str) -> bool:
        """A Slack workspace admin or owner (``users.info``; needs ``users:read``). A failed lookup is
        a no."""
        try:
            user = self.client.users_info(user=user_id).get("user") or {}
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

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
        try:
            link = self.client.chat_getPermalink(channel=channel_id, message_ts=message_ts).get("permalink")
        except SlackApiError as error:
            log.warning("no permalink for %s/%s: %s", channel_id, message_ts, error.response.get("error"))
            return None
        return str(link) if link else None

    def channel_facts(self, channel_id: str) -> ChannelFacts | None:
        """``conversations.info``: the conversation's name, whether it is private (a private channel,
        a DM or a group DM) and whether it is shared beyond this workspace. None when Slack does not
        say (the caller then shows nothing from it)."""
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
        return ChannelFacts(channel_id, str(name) if name else None, private, shared)

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

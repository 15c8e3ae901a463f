"""What the bot asks Slack (reads only): channel membership, whether someone is a workspace admin,
a person's time zone, a message's permalink, whether a conversation is private or shared.

Services call these before or after a database transaction, never while one is open: a slow Slack
must not hold a row lock or SQLite's writer lock.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from flows.related import ChannelFacts

log = logging.getLogger("playbook.directory")


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

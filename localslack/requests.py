"""Requests into our app exactly as Slack sends them: signed (v0 HMAC-SHA256), with Slack's content
types (slash commands and interactivity form-encoded, interactivity as a ``payload=`` JSON field,
events as JSON) and Slack's retry headers.

Person-typed text (``slash_command``, ``message``, ``app_mention``) is entity-encoded as Slack encodes
it (``&`` → ``&amp;``, ``<`` → ``&lt;``, ``>`` → ``&gt;``) unless ``encoded=True`` says the text is
already in Slack's wire format (for example containing a ``<@U123>`` mention).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

JsonDict = dict[str, Any]

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Where response_url posts go when no stand-in is given: a closed loopback port, so an app that uses
# respond() fails fast and locally instead of reaching out to hooks.slack.com.
UNROUTABLE_RESPONSE_URL_BASE = "http://127.0.0.1:9/hooks/response/"


@dataclass
class SlackResponse:
    """What our app answered."""

    status: int
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def slack_encode(text: str) -> str:
    """Encode text as Slack delivers what a person typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SignedSlackClient:
    """Sends signed Slack requests to one URL (e.g. ``http://127.0.0.1:PORT/slack/events``).
    Thread-safe: generated ts, event ids and trigger ids are unique across threads."""

    def __init__(
        self,
        url: str,
        signing_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        bot_user_id: str = "UBOT",
        api_app_id: str = "A0PLAYBOOK",
        response_url_base: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.clock = clock
        self.bot_user_id = bot_user_id
        self.api_app_id = api_app_id
        self.response_url_base = response_url_base or UNROUTABLE_RESPONSE_URL_BASE
        self.timeout = timeout
        self._verifier = SignatureVerifier(signing_secret)
        self._lock = threading.Lock()
        self._last_ts = 0
        self._serial = 0

    # ------------------------------------------------------------------------------------ helpers

    def new_ts(self) -> str:
        """A fresh message ts from the clock, strictly increasing."""
        with self._lock:
            self._last_ts = max(int(self.clock() * 1_000_000), self._last_ts + 1)
            return f"{self._last_ts // 1_000_000}.{self._last_ts % 1_000_000:06d}"

    def _next(self) -> int:
        with self._lock:
            self._serial += 1
            return self._serial

    def new_event_id(self) -> str:
        return f"Ev0{self._next():08d}{uuid.uuid4().hex[:6].upper()}"

    def new_trigger_id(self) -> str:
        return f"{self._next()}.{int(self.clock())}.{uuid.uuid4().hex}"

    def _response_url(self, team_id: str, channel_id: str | None, user_id: str) -> str:
        return f"{self.response_url_base}{team_id}/{channel_id or '-'}/{user_id}/{uuid.uuid4().hex[:12]}"

    @staticmethod
    def _user(team_id: str, user_id: str, user_name: str | None) -> JsonDict:
        name = user_name or user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": team_id}

    # ----------------------------------------------------------------------------------- sending

    def signed_headers(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Slack's headers for ``body``: signed properly unless ``signature`` (or a stale ``timestamp``)
        is given; ``headers`` are added last."""
        stamp = str(int(self.clock())) if timestamp is None else str(timestamp)
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature
            or self._verifier.generate_signature(timestamp=stamp, body=body)
            or "",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }

    def raw(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SlackResponse:
        """POST ``body``; signed properly unless ``signature`` (or a stale ``timestamp``) is given."""
        sent = self.signed_headers(
            body, content_type, timestamp=timestamp, signature=signature, headers=headers
        )
        return self.send(body, sent)

    def send(self, body: bytes, headers: Mapping[str, str]) -> SlackResponse:
        """The transport: POST ``body`` with ``headers`` as they are (a new connection each time; a
        subclass may keep connections alive)."""
        request = urllib.request.Request(self.url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - http(s) checked in __init__
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return SlackResponse(response.status, response.read().decode("utf-8"), dict(response.headers))
        except urllib.error.HTTPError as error:
            with error:
                return SlackResponse(error.code, error.read().decode("utf-8", "replace"), dict(error.headers))

    def _form(self, fields: Mapping[str, str]) -> SlackResponse:
        return self.raw(urlencode(fields).encode(), FORM)

    def _interactive(self, payload: JsonDict) -> SlackResponse:
        return self._form({"payload": json.dumps(payload)})

    # ------------------------------------------------------------------------------ slash command

    def slash_command(
        self,
        *,
        team_id: str,
        user_id: str,
        channel_id: str,
        text: str,
        command: str = "/playbook",
        user_name: str | None = None,
        channel_name: str | None = None,
        trigger_id: str | None = None,
        encoded: bool = False,
    ) -> SlackResponse:
        in_dm = channel_id.startswith("D")
        return self._form(
            {
                "token": "verification-token",
                "team_id": team_id,
                "team_domain": team_id.lower(),
                "channel_id": channel_id,
                "channel_name": channel_name or ("directmessage" if in_dm else channel_id.lower()),
                "user_id": user_id,
                "user_name": user_name or user_id.lower(),
                "command": command,
                "text": text if encoded else slack_encode(text),
                "api_app_id": self.api_app_id,
                "is_enterprise_install": "false",
                "response_url": self._response_url(team_id, channel_id, user_id),
                "trigger_id": trigger_id or self.new_trigger_id(),
            }
        )

    # ------------------------------------------------------------------------------------- events

    def event(
        self,
        *,
        team_id: str,
        event: JsonDict,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> SlackResponse:
        """An ``event_callback`` envelope around ``event``; a retry carries Slack's retry headers."""
        envelope = {
            "token": "verification-token",
            "team_id": team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self.new_event_id(),
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        return self.raw(json.dumps(envelope).encode(), JSON, headers=headers)

    def message(
        self,
        *,
        team_id: str,
        user_id: str,
        channel_id: str,
        text: str,
        thread_ts: str | None = None,
        ts: str | None = None,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        channel_type: str = "channel",
        subtype: str | None = None,
        bot_id: str | None = None,
        api_app_id: str = "A0PLAYBOOK",
        encoded: bool = False,
    ) -> SlackResponse:
        """A ``message`` event from a person (or, with ``bot_id``/``subtype``, a bot or an edit)."""
        stamp = ts or self.new_ts()
        event: JsonDict = {
            "type": "message",
            "channel": channel_id,
            "user": user_id,
            "text": text if encoded else slack_encode(text),
            "ts": stamp,
            "event_ts": stamp,
            "channel_type": channel_type,
            "team": team_id,
        }
        if subtype is None and bot_id is None:
            event["client_msg_id"] = str(uuid.uuid4())
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        if subtype is not None:
            event["subtype"] = subtype
        if bot_id is not None:
            event["bot_id"] = bot_id
            event["app_id"] = api_app_id
        return self.event(
            team_id=team_id, event=event, event_id=event_id, retry_num=retry_num, retry_reason=retry_reason
        )

    def app_mention(
        self,
        *,
        team_id: str,
        user_id: str,
        channel_id: str,
        text: str = "",
        thread_ts: str | None = None,
        ts: str | None = None,
        event_id: str | None = None,
        encoded: bool = False,
    ) -> SlackResponse:
        """An ``app_mention``: ``text`` is what follows the ``@bot`` mention."""
        stamp = ts or self.new_ts()
        body = text if encoded else slack_encode(text)
        event: JsonDict = {
            "type": "app_mention",
            "user": user_id,
            "text": f"<@{self.bot_user_id}> {body}".rstrip(),
            "ts": stamp,
            "event_ts": stamp,
            "channel": channel_id,
            "team": team_id,
            "client_msg_id": str(uuid.uuid4()),
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return self.event(team_id=team_id, event=event, event_id=event_id)

    def app_home_opened(self, *, team_id: str, user_id: str, channel_id: str | None = None) -> SlackResponse:
        event: JsonDict = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": channel_id or f"D{user_id[1:]}",
            "tab": "home",
            "event_ts": self.new_ts(),
        }
        return self.event(team_id=team_id, event=event)

    def url_verification(self, challenge: str) -> SlackResponse:
        body = {"token": "verification-token", "challenge": challenge, "type": "url_verification"}
        return self.raw(json.dumps(body).encode(), JSON)

    # ------------------------------------------------------------------------------ interactivity

    def block_action(
        self,
        *,
        team_id: str,
        user_id: str,
        action_id: str,
        value: str | None = None,
        block_id: str = "b",
        channel_id: str | None = None,
        message_ts: str | None = None,
        thread_ts: str | None = None,
        selected_option: JsonDict | None = None,
        selected_user: str | None = None,
        selected_date: str | None = None,
        view: JsonDict | None = None,
        trigger_id: str | None = None,
        action_type: str | None = None,
        message: JsonDict | None = None,
        user_name: str | None = None,
    ) -> SlackResponse:
        """A ``block_actions`` payload for one element: a button (``value``), a select
        (``selected_option`` / ``selected_user``) or a date picker (``selected_date``), in a message
        (``channel_id`` + ``message_ts``) or in a ``view``. ``message`` adds fields (such as the
        message's blocks) to the payload's message."""
        action: JsonDict = {"action_id": action_id, "block_id": block_id, "action_ts": self.new_ts()}
        if selected_option is not None:
            action.update(type=action_type or "static_select", selected_option=selected_option)
        elif selected_user is not None:
            action.update(type=action_type or "users_select", selected_user=selected_user)
        elif selected_date is not None:
            action.update(type=action_type or "datepicker", selected_date=selected_date)
        else:
            action.update(
                type=action_type or "button", text={"type": "plain_text", "text": value or action_id}
            )
        if value is not None:
            action["value"] = value
        payload: JsonDict = {
            "type": "block_actions",
            "user": self._user(team_id, user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": "verification-token",
            "trigger_id": trigger_id or self.new_trigger_id(),
            "team": {"id": team_id, "domain": team_id.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [action],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "")}
            payload["view"] = view
        if channel_id is not None:
            container: JsonDict = {"type": "message", "channel_id": channel_id, "is_ephemeral": False}
            if message_ts is not None:
                container["message_ts"] = message_ts
            if thread_ts is not None:
                container["thread_ts"] = thread_ts
            payload.setdefault("container", container)
            payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
            payload["response_url"] = self._response_url(team_id, channel_id, user_id)
        if message_ts is not None:
            shown: JsonDict = {
                "type": "message",
                "user": self.bot_user_id,
                "ts": message_ts,
                "text": "",
                "blocks": [],
            }
            if thread_ts is not None:
                shown["thread_ts"] = thread_ts
            payload["message"] = {**shown, **(message or {})}
        return self._interactive(payload)

    def global_shortcut(
        self,
        *,
        team_id: str,
        user_id: str,
        callback_id: str,
        trigger_id: str | None = None,
        user_name: str | None = None,
    ) -> SlackResponse:
        """A global shortcut chosen from the shortcuts menu: no conversation, only a trigger."""
        payload: JsonDict = {
            "type": "shortcut",
            "token": "verification-token",
            "action_ts": self.new_ts(),
            "team": {"id": team_id, "domain": team_id.lower()},
            "user": self._user(team_id, user_id, user_name),
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": trigger_id or self.new_trigger_id(),
        }
        return self._interactive(payload)

    def message_shortcut(
        self,
        *,
        team_id: str,
        user_id: str,
        callback_id: str,
        channel_id: str,
        message: JsonDict,
        trigger_id: str | None = None,
        user_name: str | None = None,
        channel_name: str | None = None,
    ) -> SlackResponse:
        """A message shortcut chosen from a message's menu (``message_action``): the message as Slack
        sends it (``ts``, ``text`` entity-encoded, ``user``, ``thread_ts`` for a reply)."""
        payload: JsonDict = {
            "type": "message_action",
            "token": "verification-token",
            "action_ts": self.new_ts(),
            "team": {"id": team_id, "domain": team_id.lower()},
            "user": self._user(team_id, user_id, user_name),
            "channel": {"id": channel_id, "name": channel_name or channel_id.lower()},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": trigger_id or self.new_trigger_id(),
            "message_ts": message.get("ts"),
            "message": {"type": "message", **message},
            "response_url": self._response_url(team_id, channel_id, user_id),
        }
        return self._interactive(payload)

    def view_submission(
        self,
        *,
        team_id: str,
        user_id: str,
        callback_id: str,
        state_values: JsonDict,
        private_metadata: str = "",
        view_id: str | None = None,
        blocks: list[JsonDict] | None = None,
        user_name: str | None = None,
    ) -> SlackResponse:
        """A modal's submission. ``state_values`` is
        ``{block_id: {action_id: {"type": ..., "value": ...}}}``."""
        identifier = view_id or f"V0{self._next():08d}"
        view: JsonDict = {
            "id": identifier,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state_values},
            "hash": f"{int(self.clock())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": "Playbook"},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": None,
            "root_view_id": identifier,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "B0PLAYBOOK",
        }
        payload: JsonDict = {
            "type": "view_submission",
            "team": {"id": team_id, "domain": team_id.lower()},
            "user": self._user(team_id, user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": "verification-token",
            "trigger_id": self.new_trigger_id(),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._interactive(payload)

"""A gate in front of Bolt for request bodies Slack would never send.

Bolt parses the body before it checks the signature, and its parsing and id extraction assume Slack's
shapes (``team`` is an object or a string, ``actions`` a list of objects, …): malformed JSON or a
wrong-typed field raises inside Bolt and the server answers 500. :func:`acceptable` mirrors Bolt's
``parse_body`` and checks the shapes it relies on, so such a body gets a plain 400 instead.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

# Objects in Slack's payloads (some are ids as strings in events: "user", "channel", "team").
_OBJECT_OR_ID = frozenset({"team", "user", "channel", "enterprise"})
_OBJECT = frozenset(
    {"container", "message", "previous_message", "view", "event", "state", "response_metadata", "authed_user"}
)
_LIST_OF_OBJECTS = frozenset({"actions", "authorizations"})
_STRING = frozenset(
    {"type", "subtype", "action_id", "block_id", "callback_id", "team_id", "user_id", "api_app_id"}
    | {"ts", "thread_ts", "event_ts", "event_id", "channel_type", "bot_id", "trigger_id", "private_metadata"}
    | {"value"}
)
_MAX_DEPTH = 6


def _fits(key: str, item: Any) -> bool:
    if key in _OBJECT_OR_ID:
        return isinstance(item, dict | str)
    if key in _OBJECT:
        return isinstance(item, dict)
    if key in _LIST_OF_OBJECTS:
        return isinstance(item, list) and all(isinstance(i, dict) for i in item)
    if key in _STRING:
        return isinstance(item, str)
    return True


def _well_shaped(value: dict[str, Any], depth: int = 0) -> bool:
    if depth > _MAX_DEPTH:
        return True
    for key, item in value.items():
        if item is None:
            continue
        if not _fits(key, item):
            return False
        nested = [item] if isinstance(item, dict) else item if isinstance(item, list) else []
        if not all(_well_shaped(n, depth + 1) for n in nested if isinstance(n, dict)):
            return False
    return True


def acceptable(raw: bytes, content_type: str | None) -> bool:
    """Whether Bolt can parse ``raw`` the way it will try to, into something shaped like Slack's."""
    if not raw:
        return True
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        if content_type == "application/json" or body.startswith("{"):
            parsed: Any = json.loads(body)
        elif "payload" in body:
            payload = dict(parse_qsl(body, keep_blank_values=True)).get("payload")
            if payload is None:
                return True
            parsed = json.loads(payload)
        else:
            return True
    except (ValueError, RecursionError):
        return False
    return isinstance(parsed, dict) and _well_shaped(parsed)

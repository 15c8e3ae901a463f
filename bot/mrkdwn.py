"""Slack's mrkdwn escaping: only ``&``, ``<`` and ``>`` are special.

Incoming message text arrives entity-encoded: decode it once before storing; encode once when posting.
"""

from __future__ import annotations

import re

from flows.i18n import t
from storage.models import FORMER_PARTICIPANT

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: no ``<!channel>``, mentions or disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's encoding of an incoming message (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mention(user_id: str, locale: str = "en") -> str:
    """A stored user id in mrkdwn: ``<@U…>`` for a Slack user; plain "former participant" for someone
    who used ``/playbook forget-me`` (never a broken ``<@former-participant>``); anything else as
    escaped text, so a malformed id can't become markup."""
    if user_id == FORMER_PARTICIPANT:
        return t("former_participant", locale)
    return f"<@{user_id}>" if _USER_ID.match(user_id) else escape(user_id)

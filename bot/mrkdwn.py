"""Slack's mrkdwn escaping: only ``&``, ``<`` and ``>`` are special (SLACK-NOTES.md).

Incoming message text arrives entity-encoded: decode it once before storing; encode once when posting.
"""

from __future__ import annotations


def escape(text: str) -> str:
    """Make user text inert in mrkdwn: no ``<!channel>``, mentions or disguised links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's encoding of an incoming message (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

"""Check-in dispatch under Slack's rate limits: due check-ins sent through the stand-in with
``chat.postMessage`` limited (429 + ``Retry-After``), timed against the minimum the limits allow, with
duplicates and losses counted."""

from __future__ import annotations

from typing import Any


def run_dispatch(count: int, *, quick: bool) -> dict[str, Any]:
    return {
        "status": "pending",
        "checkins": count,
        "needs": "the check-in dispatcher (bot/checkins.py) has not landed",
    }

"""Interaction ids (action_id, block_id, callback_id) for every surface, as enums."""

from __future__ import annotations

import re
from enum import StrEnum


class ActionId(StrEnum):
    # A prompt's shortcut buttons: each is the same as typing its reply. Suffixed ``:n`` for uniqueness.
    ANSWER = "prompt.answer"
    RESUME = "session.resume"


class BlockId(StrEnum):
    PROMPT = "prompt"
    PROMPT_ACTIONS = "prompt.actions"


def indexed(action: ActionId, index: int) -> str:
    return f"{action}:{index}"


def matching(action: ActionId) -> re.Pattern[str]:
    """A pattern that matches ``action`` with or without an index suffix."""
    return re.compile(rf"^{re.escape(action.value)}(:\d+)?$")

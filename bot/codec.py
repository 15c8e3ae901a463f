"""Values carried by buttons, menus and modals (``value``, ``private_metadata``), through one typed
codec: each shape is a pydantic model, encoded compactly, and decoded once at the edge. A value that
doesn't decode (crafted, truncated, from an older release) is ``None``, never an exception deep in a
handler.
"""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from flows.commands import session_ref


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AnswerValue(_Value):
    """A prompt's button or menu option: the session, the question it belongs to, and the reply it
    stands for (the same words a person could type)."""

    s: int
    k: str
    r: str


class CheckInValue(_Value):
    """A check-in's button, or the reason modal it opens: the check-in and the answer."""

    c: int
    r: str


class SessionValue(_Value):
    """A modal's metadata naming its session."""

    s: int


class StartValue(_Value):
    """The start modal's metadata: where the session runs when the modal has no channel picker
    (``c``, the conversation the command came from; ``d``, whether that is the app's DM), and the
    link back to the message a message shortcut was used on (``m``)."""

    c: str = ""
    d: bool = False
    m: str = ""


ValueT = TypeVar("ValueT", bound=_Value)


def encode(value: _Value) -> str:
    return json.dumps(value.model_dump(), separators=(",", ":"))


def decode(kind: type[ValueT], raw: str | None) -> ValueT | None:
    if not raw:
        return None
    try:
        return kind.model_validate(json.loads(raw))
    except (ValueError, ValidationError, TypeError):
        return None


def answer_value(session_id: int, key: str, reply: str) -> str:
    return encode(AnswerValue(s=session_id, k=key, r=reply))


def session_button(session_id: int) -> str:
    """A button that names only its session (Resume, Edit answers, Add intervention)."""
    return str(session_id)


def session_of_button(raw: str | None) -> int | None:
    return session_ref(raw or "")


def workspace_button(team_id: str) -> str:
    """A button that names the workspace it was shown in (forget-me's confirmation): the service
    refuses it when clicked in any other."""
    return team_id


def workspace_of_button(raw: str | None) -> str | None:
    return raw or None

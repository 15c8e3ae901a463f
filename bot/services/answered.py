"""A prompt's buttons replaced by its answer once it is answered, whether the answer was typed or
clicked: the question stays, and where its buttons were a line says what was answered and by whom.

A click names its message (the payload carries its blocks and ts). A typed answer does not, so the
question it answered is the session's latest message that was posted with a prompt's controls (the
outbox's ``prompt`` kind). Once sent, its ts is known (``sent_ts``) and its blocks are still in the
outbox (a sent prompt keeps its payload until it is answered), so an update of it, with the controls
replaced, is queued at once: nothing is read back from Slack (``conversations.replies`` is a Tier 3
method, about 50 calls a minute per workspace). The kept payload is dropped then (and when a click
answers it); forget-me scrubs any still kept. Still pending, its blocks are changed before it is
sent; held by a sender at this moment, it is left as it is (a later click on it is answered as
stale). A prompt sent with no payload kept is already answered (or was sent before payloads were
kept): it is left alone.

In a team list each person has a question of their own, so the session's latest prompt may be someone
else's: a typed answer there names the questions it answered (``answered``), and only the prompt whose
controls (as kept) answer one of them gives way.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from bot.delivery import PROMPT, Update
from bot.views.controls import has_prompt_controls
from bot.views.prompt import answered_context, answered_fallback, replace_actions
from storage.models import OutboxStatus, Session
from storage.outbox import Recent
from storage.uow import UnitOfWork

# How far back a session's messages are looked at for its open prompt (a notice or two, a read-back).
_LOOK_BACK = 12
# In a team list: how far back (the people adding items at once, each with their own question).
_TEAM_LOOK_BACK = 30


def replace_typed(
    uow: UnitOfWork, session: Session, who: str, reply: str, answered: Collection[str] | None = None
) -> list[Update]:
    """After ``who``'s typed ``reply`` was accepted: the update (if any) that replaces the controls of
    the question it answered (``answered``: the keys it answered, in a team list). Call inside the
    reply's unit of work; queue what it returns before the next question."""
    line = [b.to_dict() for b in answered_context(who, reply, session.locale)]
    keys = sorted(answered) if answered is not None else None
    look_back = _LOOK_BACK if keys is None else _TEAM_LOOK_BACK
    for row in uow.outbox.recent_of_session(session.id, look_back):
        if row.kind != PROMPT:
            continue
        blocks = row.payload.get("blocks") or []
        if keys is not None and not has_prompt_controls(blocks, keys):
            continue  # someone else's question (or one answered already)
        if row.status == OutboxStatus.PENDING:
            uow.outbox.revise_pending(row.id, {**row.payload, "blocks": replace_actions(blocks, line)})
            return []
        return _replaced(uow, row, blocks, line, answered_fallback(reply, session.locale))
    return []


def _replaced(
    uow: UnitOfWork,
    row: Recent,
    blocks: list[dict[str, Any]],
    line: list[dict[str, Any]],
    fallback: str,
) -> list[Update]:
    """The update of a sent prompt from its kept blocks; nothing when it is being sent (claimed) or its
    controls are gone (answered already: its payload was dropped then)."""
    if row.status != OutboxStatus.SENT or row.sent_ts is None or not has_prompt_controls(blocks):
        return []
    uow.outbox.forget_payload(row.id)
    return [
        Update(
            channel=row.channel,
            ts=row.sent_ts,
            text=str(row.payload.get("text") or fallback),
            blocks=replace_actions(blocks, line),
            best_effort=True,
        )
    ]

"""A prompt's buttons replaced by its answer once it is answered, whether the answer was typed or
clicked: the question stays, and where its buttons were a line says what was answered and by whom.

A click names its message (the payload carries its blocks and ts). A typed answer does not, so the
question it answered is the session's latest message that was posted with a prompt's controls (the
outbox's ``prompt`` kind). Once sent, its ts is known (``sent_ts``) and its blocks are still in the
outbox (a sent prompt keeps its payload until it is answered), so an update of it, with the controls
replaced, is queued at once: nothing is read back from Slack. The kept payload is dropped then (and
when a click answers it); forget-me scrubs any still kept. Still pending, its blocks are changed
before it is sent; held by a sender at this moment, it is left as it is (a later click on it is
answered as stale).
"""

from __future__ import annotations

from bot.delivery import PROMPT, Update
from bot.views.controls import has_prompt_controls
from bot.views.prompt import answered_context, answered_fallback, replace_actions
from storage.models import OutboxStatus, Session
from storage.uow import UnitOfWork

# How far back a session's messages are looked at for its open prompt (a notice or two, a read-back).
_LOOK_BACK = 12


def replace_typed(uow: UnitOfWork, session: Session, who: str, reply: str) -> list[Update]:
    """After ``who``'s typed ``reply`` was accepted: the update (if any) that replaces the controls of
    the question it answered. Call inside the reply's unit of work; queue what it returns before the
    next question."""
    locale = session.locale
    line = [b.to_dict() for b in answered_context(who, reply, locale)]
    for row in uow.outbox.recent_of_session(session.id, _LOOK_BACK):
        if row.kind != PROMPT:
            continue
        if row.status == OutboxStatus.PENDING:
            blocks = row.payload.get("blocks") or []
            uow.outbox.revise_pending(row.id, {**row.payload, "blocks": replace_actions(blocks, line)})
            return []
        blocks = row.payload.get("blocks") if row.status == OutboxStatus.SENT else None
        if row.sent_ts is None or not blocks or not has_prompt_controls(blocks):
            return []  # being sent, or answered already (its payload was dropped then)
        uow.outbox.forget_payload(row.id)
        text = str(row.payload.get("text") or answered_fallback(reply, locale))
        return [
            Update(
                channel=row.channel,
                ts=row.sent_ts,
                text=text,
                blocks=replace_actions(blocks, line),
                best_effort=True,
            )
        ]
    return []

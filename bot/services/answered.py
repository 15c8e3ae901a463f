"""A prompt's buttons replaced by its answer once it is answered, whether the answer was typed or
clicked: the question stays, and where its buttons were a line says what was answered and by whom.

A click names its message (the payload carries its blocks and ts). A typed answer does not, so the
question it answered is the session's latest message that was posted with a prompt's controls (the
outbox's ``prompt`` kind). Once sent, its ts is known (``sent_ts``) and an update of it is queued;
what the bot posted is not kept once sent, so the sender reads the message's blocks from Slack and
replaces its controls then (a message already answered is left alone). Still pending, its blocks are
changed before it is sent; held by a sender at this moment, it is left as it is (a later click on it
is answered as stale).

In a team list each person has a question of their own, so the session's latest prompt may be someone
else's: a typed answer there names the questions it answered (``answered``), and only a prompt whose
controls answer one of them gives way. A pending one is read here; a sent one is not kept, so an update
of each of the few latest sent prompts is queued, to be applied by the sender only to the message whose
controls (read from Slack then) answer one of them.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.delivery import PROMPT, Update
from bot.views.controls import has_prompt_controls
from bot.views.prompt import answered_context, answered_fallback, replace_actions
from storage.models import OutboxStatus, Session
from storage.uow import UnitOfWork

# How far back a session's messages are looked at for its open prompt (a notice or two, a read-back).
_LOOK_BACK = 12
# In a team list: how far back, and how many sent prompts may be the one answered (each a Slack read
# when its update is sent; the people adding items at once, each with their own question).
_TEAM_LOOK_BACK = 30
_TEAM_CANDIDATES = 5


def replace_typed(
    uow: UnitOfWork, session: Session, who: str, reply: str, answered: Collection[str] | None = None
) -> list[Update]:
    """After ``who``'s typed ``reply`` was accepted: the update (if any) that replaces the controls of
    the question it answered (``answered``: the keys it answered, in a team list). Call inside the
    reply's unit of work; queue what it returns before the next question."""
    locale = session.locale
    line = [b.to_dict() for b in answered_context(who, reply, locale)]
    if answered is not None:
        return _replace_team_question(uow, session, reply, line, sorted(answered))
    for row in uow.outbox.recent_of_session(session.id, _LOOK_BACK):
        if row.kind != PROMPT:
            continue
        if row.status == OutboxStatus.PENDING:
            blocks = row.payload.get("blocks") or []
            uow.outbox.revise_pending(row.id, {**row.payload, "blocks": replace_actions(blocks, line)})
            return []
        if row.status != OutboxStatus.SENT or row.sent_ts is None:
            return []
        fallback = answered_fallback(reply, locale)
        return [
            Update(
                channel=row.channel, ts=row.sent_ts, text=fallback, replace_controls=line, best_effort=True
            )
        ]
    return []


def _replace_team_question(
    uow: UnitOfWork, session: Session, reply: str, line: list[dict[str, object]], answered: list[str]
) -> list[Update]:
    updates: list[Update] = []
    for row in uow.outbox.recent_of_session(session.id, _TEAM_LOOK_BACK):
        if row.kind != PROMPT:
            continue
        if row.status == OutboxStatus.PENDING:
            blocks = row.payload.get("blocks") or []
            if has_prompt_controls(blocks, answered):
                uow.outbox.revise_pending(row.id, {**row.payload, "blocks": replace_actions(blocks, line)})
                return []
            continue
        if row.status != OutboxStatus.SENT or row.sent_ts is None:
            continue
        updates.append(
            Update(
                channel=row.channel,
                ts=row.sent_ts,
                text=answered_fallback(reply, session.locale),
                replace_controls=line,
                answered=answered,
                best_effort=True,
            )
        )
        if len(updates) == _TEAM_CANDIDATES:
            break
    return updates

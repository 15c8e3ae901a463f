"""Idle-session nudges: one message in each active session nobody has touched for three working days.

Paused, completed and cancelled sessions are left alone. A session is nudged once per quiet spell: any
answer moves its ``updated_at`` past ``idle_nudged_at`` and starts a new spell. A nudge is exactly once:
the session is marked nudged (a conditional update, so one process wins) and the nudge is queued in the
outbox in that same transaction, so the outbox's sender posts it once (``bot/delivery.py``: a sender
that dies after Slack took it is found out by the message's metadata, not posted again), and a crash
after the commit loses nothing. Idleness is judged by the database's clock (``Deps.shared_now``), so a
worker whose clock runs fast does not nudge early.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot import delivery
from bot.delivery import ClientFor
from bot.deps import Deps
from bot.services.workspace import EffectiveSettings, settings_for
from flows.calendar import is_idle
from flows.i18n import t

log = logging.getLogger("playbook.nudges")

IDLE_BATCH = 200
# Three working days are at least three calendar days: a cheap first cut in the query.
QUIET_AT_LEAST = timedelta(days=3)


def nudge_idle_sessions(deps: Deps, clients: ClientFor) -> int:
    """Queue one nudge in each idle session (see the module docstring) and send it; returns how many
    were queued."""
    with deps.uow() as uow:
        now = deps.shared_now(uow)
        candidates = uow.sessions.idle_candidates(now - QUIET_AT_LEAST, IDLE_BATCH)
        settings: dict[str, EffectiveSettings] = {}
        due: list[int] = []
        for session_id, workspace_id, updated_at in candidates:
            if workspace_id not in settings:
                settings[workspace_id] = settings_for(deps, uow, workspace_id)
            own = settings[workspace_id]
            if is_idle(updated_at, now, tz=own.timezone, calendar=own.calendar):
                due.append(session_id)
    nudged = 0
    for session_id in due:
        with deps.uow() as uow:
            won = uow.sessions.claim_idle_nudge(session_id, now)
            if won is None:
                continue
            workspace_id, channel_id, thread_ts, is_dm = won
            session = uow.sessions.get(workspace_id, session_id)
            locale = session.locale if session is not None else "en"
            nudge = delivery.post(
                channel_id,
                t("idle_nudge", locale, session=session_id),
                thread_ts=None if is_dm else thread_ts,
            )
            queue = delivery.Queue(uow, workspace_id, deps.clock.now())
            queue.add(nudge, session)
            uow.commit()
        nudged += 1
        delivery.send_these(deps, clients, queue.ids)
    return nudged

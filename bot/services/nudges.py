"""Idle-session nudges: one message in each active session nobody has touched for three working days.

Paused, completed and cancelled sessions are left alone. A session is nudged once per quiet spell: any
answer moves its ``updated_at`` past ``idle_nudged_at`` and starts a new spell. A nudge is at most once:
the session is marked nudged (a conditional update, so one process wins) before the nudge is posted,
since a lost courtesy message costs less than a doubled one. Idleness is judged by the database's clock
(``Deps.shared_now``), so a worker whose clock runs fast does not nudge early. Each nudge carries Slack
message metadata naming its session (``playbook_nudge``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from slack_sdk.errors import SlackClientError

from bot import delivery
from bot.delivery import ClientFor
from bot.deps import Deps
from bot.services.workspace import EffectiveSettings, settings_for
from flows.calendar import is_idle
from flows.i18n import t

log = logging.getLogger("playbook.nudges")

NUDGE_EVENT = "playbook_nudge"
IDLE_BATCH = 200
# Three working days are at least three calendar days: a cheap first cut in the query.
QUIET_AT_LEAST = timedelta(days=3)


def nudge_idle_sessions(deps: Deps, clients: ClientFor) -> int:
    """Post one nudge in each idle session (see the module docstring); returns how many were posted."""
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
            uow.commit()
        nudge = delivery.post(
            channel_id,
            t("idle_nudge", locale, session=session_id),
            thread_ts=None if is_dm else thread_ts,
            metadata={"event_type": NUDGE_EVENT, "event_payload": {"session_id": session_id}},
        )
        try:
            delivery.send(clients(workspace_id), [nudge])
            nudged += 1
        except (SlackClientError, OSError) as error:
            log.warning("idle nudge for session %s not posted: %s", session_id, error)
    return nudged

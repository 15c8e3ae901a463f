"""A per-person limit on answers (``PLAYBOOK_ANSWERS_PER_MINUTE``, 30 by default), counted in the
database in the answer's own transaction, so every web process on the database shares one count: with N
processes behind a load balancer a person still gets the limit, not N times it.

The count is one upsert on a one-row-per-person table (``uow.allowances``): a window opens at a person's
first answer and lasts a minute; past it, the next answer opens a new one. Like any fixed window, a
burst straddling two windows can reach twice the limit within a minute; a limit that protects the service
does not need to be exact, and an exact sliding window would cost a row per answer instead of one update.
The first answer over the limit in a window is told (politely, once); later ones are ignored quietly,
since replying each time would be the bot flooding the thread. Time comes from the injected clock, so
tests need no sleeping.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

from storage.uow import UnitOfWork

WINDOW = timedelta(minutes=1)


class Verdict(Enum):
    ALLOWED = "allowed"
    # Over the limit for the first time in this window: tell them, politely, once.
    REFUSED_NOTIFY = "refused_notify"
    # Still over the limit: ignore quietly (replying each time would be the bot flooding the thread).
    REFUSED_QUIET = "refused_quiet"


def check(uow: UnitOfWork, limit: int, team_id: str, user_id: str, now: datetime) -> Verdict:
    """Count an answer by ``user_id`` at ``now`` (refused ones too: the count says which refusal is the
    first) and say whether it is within ``limit``."""
    answers = uow.allowances.count_answer(team_id, user_id, now, WINDOW)
    if answers <= limit:
        return Verdict.ALLOWED
    if answers == limit + 1:
        return Verdict.REFUSED_NOTIFY
    return Verdict.REFUSED_QUIET

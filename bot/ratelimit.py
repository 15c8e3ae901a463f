"""A per-person limit on answers (``PLAYBOOK_ANSWERS_PER_MINUTE``, 30 by default): a sliding window of
the times of their last answers, keyed by workspace and user.

The window is held in process memory, on purpose: it costs no database write on the hot path of every
answer, and a limit that protects the service does not need to be exact. With N web processes behind a
load balancer a person could reach at most N times the limit; each process still protects itself and
the database. Time comes from the injected clock, so tests need no sleeping.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from datetime import datetime, timedelta
from enum import Enum

from bot.deps import Deps

WINDOW = timedelta(minutes=1)


class Verdict(Enum):
    ALLOWED = "allowed"
    # Over the limit for the first time in this window: tell them, politely, once.
    REFUSED_NOTIFY = "refused_notify"
    # Still over the limit: ignore quietly (replying each time would be the bot flooding the thread).
    REFUSED_QUIET = "refused_quiet"


class SlidingWindowLimiter:
    def __init__(self, limit: int, window: timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, str], deque[datetime]] = {}
        self._told: dict[tuple[str, str], datetime] = {}

    def check(self, team_id: str, user_id: str, now: datetime) -> Verdict:
        """Count an answer by ``user_id`` at ``now`` if it is within the limit."""
        key = (team_id, user_id)
        start = now - self.window
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= start:
                hits.popleft()
            if len(hits) < self.limit:
                hits.append(now)
                self._told.pop(key, None)
                return Verdict.ALLOWED
            told = self._told.get(key)
            if told is not None and told > start:
                return Verdict.REFUSED_QUIET
            self._told[key] = now
            self._prune(start)
            return Verdict.REFUSED_NOTIFY

    def _prune(self, start: datetime) -> None:
        """Forget people with no answers in the window, so memory stays proportional to active users."""
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= start]:
            del self._hits[key]
            self._told.pop(key, None)


# One limiter per running app: keyed by its session factory, which lives exactly as long as its Deps.
_LIMITERS: weakref.WeakKeyDictionary[object, SlidingWindowLimiter] = weakref.WeakKeyDictionary()
_LIMITERS_LOCK = threading.Lock()


def limiter_for(deps: Deps) -> SlidingWindowLimiter:
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(deps.session_factory)
        if limiter is None:
            limiter = SlidingWindowLimiter(deps.settings.playbook_answers_per_minute)
            _LIMITERS[deps.session_factory] = limiter
        return limiter

"""What an answer costs the database must not grow with how many sessions its workspace has already
run. Learning reads the newest 200 decided classifications and seen elsewhere the newest 500 confirmed
root causes; once a workspace has more than that, another few hundred finished sessions must not make
a session's answers do more work. The work is counted, not timed: SQLite's virtual machine steps
(its progress handler), the same for the same rows and query plans whatever the machine's load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bench.data import clone_sessions
from storage.models import Session
from tests.bot.conftest import CHANNEL, Harness
from tests.bot.test_classification_e2e import finish, reach_classification
from tests.bot.test_five_whys_e2e import say

# SQLite calls the progress handler once every this many virtual machine instructions.
STEPS_PER_CALL = 100
# Sessions already run in the workspace before each measured session: both above both limits.
HISTORY = (600, 1200)
# Allowed difference between the two (an index one level deeper, a few more pages): far below the
# 40 % more that reading every session of the workspace cost (3737 → 5240 hundred steps).
TOLERANCE = 1.05


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: the count is of SQLite's own work."""
    return sqlite_url


@contextmanager
def database_steps(h: Harness) -> Iterator[list[int]]:
    """Counts the SQLite virtual machine steps of every statement the app runs meanwhile."""
    engine = h.deps.session_factory.kw["bind"]
    calls = [0]
    counting = [True]

    def tick() -> int:
        if counting[0]:
            calls[0] += 1
        return 0  # 0: carry on

    def install(connection: Any, _cursor: Any, *_args: Any) -> None:
        connection.connection.driver_connection.set_progress_handler(tick, STEPS_PER_CALL)

    event.listen(engine, "before_cursor_execute", install)
    try:
        yield calls
    finally:
        counting[0] = False
        event.remove(engine, "before_cursor_execute", install)


def _decided_session(h: Harness, problem: str) -> None:
    """A whole five-whys: root cause confirmed (seen elsewhere looks), classification proposed (learning
    reads the decisions) and confirmed, interventions done."""
    thread = reach_classification(h, problem)
    say(h, thread, "confirm")
    finish(h, thread)


def _add_history(h: Harness, count: int, first: int) -> None:
    with h.deps.session_factory() as orm:
        model = orm.scalar(select(func.min(Session.id)))
    assert model is not None
    threads = [(CHANNEL, f"1600000000.{number:06d}") for number in range(first, first + count)]
    clone_sessions(h.deps.settings.database_url, model, threads)


def test_a_sessions_database_work_does_not_grow_with_the_workspaces_history(harness: Harness) -> None:
    h = harness
    _decided_session(h, "Residents can't pay council tax online")  # the model of the history
    measured = []
    added = 0
    for history in HISTORY:
        _add_history(h, history - added, added)
        added = history
        _decided_session(h, f"Warm-up after {history}")  # caches and plans settle
        with database_steps(h) as calls:
            _decided_session(h, f"Measured after {history}")
        measured.append(calls[0])
    fewer, more = measured
    assert fewer > 0
    assert more <= fewer * TOLERANCE, (
        f"{STEPS_PER_CALL}s of SQLite steps for one session: {fewer} after {HISTORY[0]} sessions, "
        f"{more} after {HISTORY[1]}"
    )

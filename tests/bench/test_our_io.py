"""The "our I/O" baseline does the I/O it claims, and nothing fails: each acknowledged answer wrote
its row, posted its prompt, replaced the previous prompt's buttons (every answer in a thread but the
first) and marked its outbox row sent, and leaves out exactly the parts it is told to. A figure it
prints means something only if this holds."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bench import drive, server
from bench.bare_bolt import OUTBOX, SESSIONS, rows_written
from bench.client import KeepAliveSlackClient
from bench.data import WORKSPACE, sqlite_database
from bench.standin import BenchSlack
from storage.db import make_engine

CONNECTIONS = 3
# Answers sent in each thread, one after another: a count, not a duration, so a busy machine only
# makes the test slower.
ANSWERS_EACH = 4


@pytest.mark.slow
@pytest.mark.parametrize("leave", [(), ("update", "mark")], ids=["all", "leaving-out-update-and-mark"])
def test_the_our_io_baseline_writes_posts_updates_and_marks_each_answer(leave: tuple[str, ...]) -> None:
    slack = BenchSlack()
    slack.start()
    try:
        drive.add_teams(slack, CONNECTIONS)
        with sqlite_database() as database:
            bare = server.start_bare_bolt(slack.base_url, database.url, our_io=True, leave=leave)
            try:
                client = KeepAliveSlackClient(bare.url, server.SIGNING_SECRET)
                statuses = [
                    client.message(
                        team_id=WORKSPACE,
                        user_id=drive.user_for(team),
                        channel_id=drive.channel_for(team),
                        text=drive.WHY_ANSWERS[0],
                        thread_ts="1000000000.000001",
                    ).status
                    for team in range(CONNECTIONS)
                    for _ in range(ANSWERS_EACH)
                ]
            finally:
                bare.stop()
            engine = make_engine(database.url)
            try:
                with engine.connect() as connection:
                    sessions = connection.scalar(select(func.count()).select_from(SESSIONS))
                    unsent = connection.scalar(
                        select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status != "sent")
                    )
                    kept = connection.scalar(
                        select(func.count()).select_from(OUTBOX).where(OUTBOX.c.payload.is_not(None))
                    )
            finally:
                engine.dispose()
            written = rows_written(database.url)
    finally:
        slack.stop()

    methods = [call.method for call in slack.calls]
    acked = statuses.count(200)
    assert acked == len(statuses) == CONNECTIONS * ANSWERS_EACH
    assert written == acked == methods.count("chat.postMessage")
    assert sessions == CONNECTIONS
    # One session per thread: its first answer has no earlier prompt to replace.
    assert methods.count("chat.update") == (0 if "update" in leave else acked - CONNECTIONS)
    assert unsent == (acked if "mark" in leave else 0)
    assert kept == CONNECTIONS  # only each thread's latest prompt keeps its payload
    assert all(call.error is None for call in slack.calls)

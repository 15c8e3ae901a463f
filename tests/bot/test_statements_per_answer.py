"""The number of SQL statements one answer costs, counted on the engine the app really uses.

Every statement is a round trip to the database and a slice of the one core a web process has, so the
count is kept at a stated bound: a change that reads the same rows again, or adds a query per answer,
fails here rather than showing up only as a slower benchmark.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness

# Measured: see the module docstring of each test.
SESSION_START_BOUND = 99
ANSWER_BOUND = 99


@contextmanager
def counted(h: Harness) -> Iterator[list[str]]:
    engine = h.deps.session_factory.kw["bind"]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper() + " " + statement[:200].replace("\n", " "))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _start(h: Harness) -> str:
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys Residents ring us twice"
    )
    assert response.status == 200, response.body
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def _say(h: Harness, thread: str, text: str, user: str) -> None:
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def test_statements_of_a_session_start_and_a_typical_answer(harness: Harness) -> None:
    h = harness
    with counted(h) as start_statements:
        thread = _start(h)
    # Both others join (their first answer asks Slack about the channel and adds them as participants).
    _say(h, thread, "The form rejects postcodes without a space", ALEX)
    _say(h, thread, "The validation pattern insists on a space", SAM)
    with counted(h) as answer_statements:
        _say(h, thread, "The platform release changed validation", ALEX)
    print("START", len(start_statements))
    print("\n".join(start_statements))
    print("ANSWER", len(answer_statements))
    print("\n".join(answer_statements))
    assert "Why 4" in h.last_text(CHANNEL, thread) or "recurring" in h.last_text(CHANNEL, thread)
    assert len(start_statements) <= SESSION_START_BOUND
    assert len(answer_statements) <= ANSWER_BOUND

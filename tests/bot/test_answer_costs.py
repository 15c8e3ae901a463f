"""What one answer costs outside the database: the Web API calls it makes, and the copies of a question
the outbox keeps to replace its buttons without reading the thread back; and, inside it, that no
statement an answer makes walks a whole table (SQLite's query plan says SCAN), so that an answer does
not get slower as sessions pile up."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from storage.models import OutboxMessage
from storage.outbox import PROMPT_KIND
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered
from tests.bot.test_privacy import command
from tests.bot.test_seen_elsewhere_e2e import (
    HOUSING,
    REVENUES,
    WASTE,
    confirm_root_cause,
    council,  # noqa: F401 - the fixture
    elsewhere_messages,
)


def _start(h: Harness) -> str:
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys Residents ring us twice"
    )
    assert response.status == 200, response.body
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def _say(h: Harness, thread: str, text: str, user: str = FACILITATOR) -> None:
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def _kept_prompts(h: Harness) -> list[OutboxMessage]:
    with h.deps.session_factory() as orm:
        rows = orm.scalars(select(OutboxMessage).where(OutboxMessage.kind == PROMPT_KIND)).all()
        return [row for row in rows if row.payload]


def test_a_typed_answer_costs_one_update_and_one_post_and_never_reads_the_thread(harness: Harness) -> None:
    h = harness
    thread = _start(h)
    _say(h, thread, "The form rejects postcodes without a space", ALEX)
    _say(h, thread, "The validation pattern insists on a space", SAM)
    question = h.thread(CHANNEL, thread)[-1]
    assert any(b.get("type") == "actions" for b in question.blocks or [])
    before = len(h.slack.calls)
    _say(h, thread, "The platform release changed validation", ALEX)
    calls = [call.method for call in h.slack.calls[before:]]
    assert sorted(calls) == ["chat.postMessage", "chat.update"], calls
    # The answered question lost its buttons and says who answered what, from the kept blocks.
    now = next(m for m in h.slack.messages(channel=CHANNEL) if m.ts == question.ts)
    assert not any(b.get("type") == "actions" for b in now.blocks or [])
    assert "The platform release changed validation" in rendered(now)
    assert rendered(question).split("\n")[0] in rendered(now)  # the question itself stays
    # Only the new question keeps its blocks (the answered one's were dropped with the update).
    [kept] = _kept_prompts(h)
    assert kept.sent_ts == h.thread(CHANNEL, thread)[-1].ts


def test_forget_me_scrubs_a_question_kept_for_its_buttons(harness: Harness) -> None:
    h = harness
    thread = _start(h)
    _say(h, thread, "Sam Jones keeps the spreadsheet of postcodes", ALEX)
    [kept] = _kept_prompts(h)
    assert "Sam Jones keeps the spreadsheet" in json.dumps(kept.payload)  # the question quotes it
    command(h, "forget-me confirm", user=ALEX)
    with h.deps.session_factory() as orm:
        payloads = json.dumps([row.payload for row in orm.scalars(select(OutboxMessage))])
    assert "Sam Jones keeps the spreadsheet" not in payloads


def test_a_second_root_cause_within_the_minute_asks_slack_nothing_about_channels_again(
    council: Harness,  # noqa: F811 - the fixture
) -> None:
    h = council
    confirm_root_cause(h, REVENUES, "Council tax queries pile up")
    confirm_root_cause(h, HOUSING, "Repairs requests go missing")
    asked = len(h.slack.calls_to("conversations.info")) + len(h.slack.calls_to("chat.getPermalink"))
    waste = confirm_root_cause(h, WASTE, "Missed bin collections are logged twice")
    [message] = elsewhere_messages(h, WASTE, waste)
    assert "#revenues" in rendered(message) and "#housing" in rendered(message)
    # Revenues' and housing's facts and the revenues permalink were kept from the housing answer;
    # only what is new (the waste channel itself, the housing permalink) was asked.
    asked_now = len(h.slack.calls_to("conversations.info")) + len(h.slack.calls_to("chat.getPermalink"))
    assert asked_now - asked <= 2, [c.method for c in h.slack.calls[-40:]]
    # A minute later the cache has let go: Slack is asked again (a channel made private meanwhile
    # stops being shown within the minute).
    h.clock.advance(timedelta(seconds=61))
    again = len(h.slack.calls_to("conversations.info"))
    confirm_root_cause(h, WASTE, "Missed bin collections are logged three times")
    assert len(h.slack.calls_to("conversations.info")) > again


# --- no statement of an answer walks a table ------------------------------------------------------------


@contextmanager
def query_plans(h: Harness) -> Iterator[list[tuple[str, list[str]]]]:
    """Each statement the app makes meanwhile, with SQLite's plan for it."""
    engine = h.deps.session_factory.kw["bind"]
    if engine.dialect.name != "sqlite":
        pytest.skip("query plans are read from SQLite")
    path = engine.url.database
    plans: list[tuple[str, list[str]]] = []

    def explain(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH")):
            return
        reader = sqlite3.connect(path, timeout=5)
        try:
            plan = [str(row[3]) for row in reader.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        finally:
            reader.close()
        plans.append((" ".join(statement.split()), plan))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        yield plans
    finally:
        event.remove(engine, "before_cursor_execute", explain)


def _scans(plans: list[tuple[str, list[str]]]) -> list[str]:
    """Plans that read a whole table (a subquery's own result or a constant row is not a table)."""
    return [
        f"{statement[:200]}\n    {plan}"
        for statement, plan in plans
        for step in plan
        if step.startswith("SCAN ") and not step.startswith(("SCAN CONSTANT", "SCAN (", "SCAN anon_"))
    ]


def test_no_statement_of_a_whole_session_walks_a_table(council: Harness) -> None:  # noqa: F811
    h = council
    confirm_root_cause(h, REVENUES, "Council tax queries pile up")
    with query_plans(h) as plans:
        # Answers of every kind a session sees: whys, a yes, the root cause confirmed (seen elsewhere
        # and the classification's learning read the workspace's other sessions), a classification.
        thread = confirm_root_cause(h, HOUSING, "Repairs requests go missing")
        _say_in_housing = [("no", FACILITATOR), ("confirm", FACILITATOR)]
        for text, user in _say_in_housing:
            response = h.client.message(
                team_id=TEAM, user_id=user, channel_id=HOUSING, text=text, thread_ts=thread
            )
            assert response.status == 200, response.body
    assert len(plans) > 50
    assert _scans(plans) == [], "\n".join(_scans(plans))

"""The number of SQL statements one answer costs, counted on the engine the app really uses.

Every statement is a round trip to the database and a slice of the one core a web process has, so the
count is kept at a stated bound: a change that reads the same rows again, or adds a query per answer,
fails here rather than showing up only as a slower benchmark.
"""

from __future__ import annotations

from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, counted_statements, engine_of

# Measured on SQLite and PostgreSQL alike (SQLite's BEGIN IMMEDIATE is not counted: PostgreSQL's
# BEGIN is implicit in the driver, so neither shows up as a statement there).
#
# A typical five-whys answer (someone already taking part, a new why), 14 statements, in two
# transactions. The answer's (12): the session by its thread with its participants (FOR UPDATE), the
# event id claimed, every answer's latest version, the workspace's settings, the person's answer count
# for the rate limit (one upsert), any answer held for redact-or-keep, the new answer; the answered
# question found in the outbox (the session's latest messages) and its kept blocks dropped; whether
# anything of the session is still unsent, with the database's time in the same statement (nothing
# is, so what is queued is claimed here, by this transaction); the answered question's update and the
# next question queued. Then, once Slack has both (2): each marked sent, each with an indexed look for
# anything queued behind it meanwhile in the same statement. (No messages wait for the question as
# their thread: none was queued with it, and only an anchor is the thread of messages queued later;
# an update never is.)
ANSWER_BOUND = 14
# /playbook start with a problem statement, 15, in one transaction and the marks after it. The
# transaction's (11): the workspace (read, created if new, read again), the person's language, the
# problem, the session, its facilitator, the problem statement as its first answer (numbered without a
# query: the session is new; and the first question built from what was stored, not read back); whether
# anything is unsent (with the database's time, one statement), the anchor and the introduction queued
# and claimed. Then (4): both marked sent (each with the look for anything queued behind it), the
# anchor's ts becoming the session's thread and the introduction's (its thread_ts given to the
# introduction; the introduction has no followers to look for).
SESSION_START_BOUND = 15


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
    with counted_statements(engine_of(h)) as start_statements:
        thread = _start(h)
    # Both others join (their first answer asks Slack about the channel and adds them as participants).
    _say(h, thread, "The form rejects postcodes without a space", ALEX)
    _say(h, thread, "The validation pattern insists on a space", SAM)
    with counted_statements(engine_of(h)) as answer_statements:
        _say(h, thread, "The platform release changed validation", ALEX)
    # The answer did what an answer does: stored, and the next question asked.
    assert "Why 4" in h.last_text(CHANNEL, thread) or "recurring" in h.last_text(CHANNEL, thread)
    with h.deps.uow() as uow:
        session = uow.sessions.by_thread(TEAM, CHANNEL, thread)
        assert session is not None
        assert (
            uow.answers.latest(session.id)["whys.3.answer"].value == "The platform release changed validation"
        )
    assert len(start_statements) <= SESSION_START_BOUND, "\n".join(start_statements)
    assert len(answer_statements) <= ANSWER_BOUND, "\n".join(answer_statements)


# The answer that confirms a root cause, here with a similar one in another channel (so "seen
# elsewhere" is sent), 15, in two transactions: the typical answer's 14 (the same reads and writes, and
# its two messages marked sent once Slack has them), and the other sessions' confirmed root causes,
# read in the answer's own transaction, where the session is loaded already (1). The seen-elsewhere
# message itself is a courtesy sent straight after the commit, not through the outbox.
ROOT_CAUSE_BOUND = 15
HOUSING = "C0HOUSING"


def test_statements_of_the_answer_that_confirms_a_root_cause(harness: Harness) -> None:
    h = harness
    h.slack.add_channel(TEAM, HOUSING, "housing", members=[FACILITATOR, ALEX, SAM])
    threads = {}
    for channel, root_cause in (
        (HOUSING, "Nobody trained the housing officers on the case management system"),
        (CHANNEL, "Staff were never trained on the new case management system"),
    ):
        response = h.client.slash_command(
            team_id=TEAM, user_id=FACILITATOR, channel_id=channel, text="start five-whys Cases take weeks"
        )
        assert response.status == 200, response.body
        thread = [m for m in h.slack.messages(channel=channel, team_id=TEAM) if m.thread_ts is None][-1].ts
        for text in ("Cases wait in a queue", "People keep spreadsheets beside the system", root_cause):
            _say_in(h, channel, thread, text)
        _say_in(h, channel, thread, "yes")  # fixing it would stop the problem
        threads[channel] = thread
    _say_in(h, HOUSING, threads[HOUSING], "yes")  # the suggested root cause, in the other channel first
    with counted_statements(engine_of(h)) as statements:
        _say_in(h, CHANNEL, threads[CHANNEL], "yes")
    assert any(m.text == "Seen elsewhere in the council" for m in h.thread(CHANNEL, threads[CHANNEL]))
    assert len(statements) <= ROOT_CAUSE_BOUND, "\n".join(statements)


def _say_in(h: Harness, channel: str, thread: str, text: str) -> None:
    response = h.client.message(
        team_id=TEAM, user_id=FACILITATOR, channel_id=channel, text=text, thread_ts=thread
    )
    assert response.status == 200, response.body

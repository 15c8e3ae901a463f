"""The problem journey: several sessions on one problem, status by problem, pause and resume for every
template."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.conversation import to_engine_answers
from flows import engine
from flows.schema import get_template, load_templates
from storage.models import Problem, Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, TEAM, Harness, rendered


def command(h: Harness, text: str, user: str = FACILITATOR) -> str:
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text)
    assert response.status == 200, response.body
    return response.body


def newest_anchor(h: Harness) -> str:
    return [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1].ts


def say(h: Harness, thread: str, text: str, user: str = FACILITATOR) -> None:
    h.clock.advance(timedelta(seconds=2))
    response = h.client.message(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread)
    assert response.status == 200, response.body


def sessions(h: Harness) -> list[Session]:
    with h.deps.session_factory() as orm:
        return list(orm.scalars(select(Session).order_by(Session.id)))


def test_sessions_attach_to_one_problem_and_status_shows_them_all(harness: Harness) -> None:
    h = harness
    command(h, "start problem-levels Residents can't renew parking permits online")
    levels_thread = newest_anchor(h)
    with h.deps.session_factory() as orm:
        problem = orm.scalars(select(Problem)).one()
        problem_id = problem.id

    body = command(h, f"start pain-points --problem {problem_id}", ALEX)
    assert f"on problem {problem_id}" in body
    pain_thread = newest_anchor(h)
    # The statement answers the problem question: the first question is the next one.
    assert "Which service or process" in h.last_text(CHANNEL, pain_thread)

    # Typed in a session's thread: the same problem, in a new thread.
    say(h, levels_thread, "start cost-impacts", ALEX)
    cost_thread = newest_anchor(h)
    assert cost_thread not in (levels_thread, pain_thread)
    assert "on the same problem" in h.last_text(CHANNEL, levels_thread)
    assert "Who bears this cost" in h.last_text(CHANNEL, cost_thread)

    stored = sessions(h)
    assert [s.template_id for s in stored] == ["problem-levels", "pain-points", "cost-impacts"]
    assert {s.problem_id for s in stored} == {problem_id}
    with h.deps.uow() as uow:
        for session in stored[1:]:
            answer = uow.answers.latest(session.id)["problem"]
            assert answer.value == "Residents can't renew parking permits online"
        assert "start cost-impacts" not in {a.value for a in uow.answers.latest(stored[0].id).values()}

    status = command(h, "status", ALEX)
    assert f"*Problem {problem_id}:* Residents can't renew parking permits online" in status
    for session, title, where in (
        (stored[0], "Problem levels", "For residents"),
        (stored[1], "Pain points", "Service or process"),
        (stored[2], "Cost impacts", "Who bears it"),
    ):
        assert f"Session {session.id} · {title} · in progress: {where}" in status


def test_a_wrong_or_missing_problem_is_explained(harness: Harness) -> None:
    h = harness
    assert "can't find problem `999`" in command(h, "start pain-points --problem 999")
    assert "Which problem?" in command(h, "start pain-points --problem")
    assert sessions(h) == []


@pytest.mark.parametrize("template_id", sorted(load_templates()))
def test_pause_and_resume_work_for_every_template(harness: Harness, template_id: str) -> None:
    h = harness
    command(h, f"start {template_id} Planning enquiries go unanswered")
    thread = newest_anchor(h)
    say(h, thread, "An answer to the first question")
    waiting = h.last_text(CHANNEL, thread)
    say(h, thread, "pause")
    assert "Paused" in h.last_text(CHANNEL, thread)
    say(h, thread, "chat while paused is not an answer")
    session = sessions(h)[0]
    assert session.status == SessionStatus.PAUSED
    with h.deps.uow() as uow:
        kept = {k: v.value for k, v in uow.answers.latest(session.id).items()}
    assert "chat while paused is not an answer" not in kept.values()

    assert "Welcome back" in command(h, f"resume {session.id}")
    assert sessions(h)[0].status == SessionStatus.ACTIVE
    resumed = rendered(h.thread(CHANNEL, thread)[-1])
    with h.deps.uow() as uow:
        answers = to_engine_answers(uow.answers.latest(session.id))
    prompt = engine.current_prompt(get_template(template_id), answers)
    assert prompt is not None and prompt.text.split("\n")[0] in resumed
    assert prompt.text.split("\n")[0] in waiting  # the question asked before the pause

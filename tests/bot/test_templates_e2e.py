"""Every playbook template, start to summary, through signed HTTP requests into the real app."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.services.conversation import to_engine_answers
from bot.views.common import MESSAGE_BLOCK_LIMIT
from flows import engine
from flows.schema import StepKind, get_template
from storage.models import AnswerVersion, Session, SessionStatus
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness, rendered


def start(h: Harness, text: str, *, user: str = FACILITATOR) -> str:
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text)
    assert response.status == 200, response.body
    anchor = [m for m in h.slack.messages(channel=CHANNEL, team_id=TEAM) if m.thread_ts is None][-1]
    return anchor.ts


def say(h: Harness, thread: str, text: str, *, user: str = FACILITATOR, encoded: bool = False) -> None:
    """Reply in the thread, a few seconds after the last reply (people type at a human pace)."""
    h.clock.advance(timedelta(seconds=3))
    response = h.client.message(
        team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text, thread_ts=thread, encoded=encoded
    )
    assert response.status == 200, response.body


def session_of(h: Harness, thread: str) -> Session:
    with h.deps.session_factory() as orm:
        return orm.scalars(select(Session).where(Session.thread_ts == thread)).one()


def latest(h: Harness, thread: str) -> dict[str, AnswerVersion]:
    with h.deps.uow() as uow:
        return dict(uow.answers.latest(session_of(h, thread).id))


def summary_text(h: Harness, thread: str) -> str:
    messages = h.thread(CHANNEL, thread)
    assert all(len(m.blocks or []) <= MESSAGE_BLOCK_LIMIT for m in messages)
    start_at = max(i for i, m in enumerate(messages) if ": summary" in rendered(m))
    return "\n".join(rendered(m) for m in messages[start_at - 1 :])


def assert_completed(h: Harness, thread: str) -> None:
    assert session_of(h, thread).status == SessionStatus.COMPLETED


def test_problem_levels_end_to_end(harness: Harness) -> None:
    h = harness
    thread = start(h, "start problem-levels Residents can't renew parking permits online")
    assert "*Residents.*" in h.last_text(CHANNEL, thread)
    say(h, thread, "They queue at the customer service centre", user=ALEX)
    assert "*The service.*" in h.last_text(CHANNEL, thread)
    say(h, thread, "Staff re-key every paper form", user=SAM)
    say(h, thread, "The permit system has no online API")
    say(h, thread, "No budget to replace it")
    say(h, thread, "maybe")  # not a yes or no
    assert "`yes` or `no`" in h.last_text(CHANNEL, thread) and "council-wide" in h.last_text(CHANNEL, thread)
    say(h, thread, "yes")
    say(h, thread, "Every service buys systems the same way")
    assert_completed(h, thread)
    summary = summary_text(h, thread)
    assert "Problem levels: summary" in summary
    assert "*For residents:* They queue at the customer service centre" in summary
    assert f"<@{SAM}>" in summary
    assert "*Council-wide?:* Yes" in summary and "Every service buys systems the same way" in summary
    assert latest(h, thread)["residents"].author_id == ALEX


def test_pain_points_end_to_end(harness: Harness) -> None:
    h = harness
    thread = start(h, "start pain-points Bulky waste collections go wrong")
    say(h, thread, "Bulky waste bookings")
    assert "Pain point 1" in h.last_text(CHANNEL, thread)
    for reply in ("Slots vanish at checkout", "residents", "technology", "daily", "4", "skip"):
        say(h, thread, reply)
    for reply in ("Crews get no item list", "staff", "service", "weekly", "3", "Crew survey, May"):
        say(h, thread, reply)
    say(h, thread, "next")
    assert "Which three matter most?" in h.last_text(CHANNEL, thread)
    say(h, thread, "2, 1")
    assert_completed(h, thread)
    summary = summary_text(h, thread)
    assert "Pain points: summary" in summary
    assert "Slots vanish at checkout" in summary and "Severity: 4" in summary
    assert "*Top three:* Crews get no item list; Slots vanish at checkout" in summary
    stored = latest(h, thread)
    assert stored["pain_points.1.who"].value == "residents"
    assert stored["pain_points.1.evidence"].skipped
    assert stored["top_three"].value == [
        {"item": 2, "text": "Crews get no item list"},
        {"item": 1, "text": "Slots vanish at checkout"},
    ]


def test_cause_problem_impact_end_to_end_with_an_intervention(harness: Harness) -> None:
    h = harness
    thread = start(h, "start cause-problem-impact Housing repair requests get lost")
    say(h, thread, "Two separate queues")
    say(h, thread, "Phone notes are free text")
    say(h, thread, "done")
    assert "Impact 1" in h.last_text(CHANNEL, thread)
    for reply in (
        "Residents ring three times",
        "residents",
        "4",
        "Overtime in repairs",
        "staff",
        "3",
        "done",
    ):
        say(h, thread, reply)
    assert "How far does the problem reach?" in h.last_text(CHANNEL, thread)
    say(h, thread, "council wide")
    assert "Intervention 1" in h.last_text(CHANNEL, thread)
    say(h, thread, "One shared repairs queue")
    say(h, thread, "Sam")  # not a mention
    assert "@Sam Jones" in h.last_text(CHANNEL, thread)
    say(h, thread, f"<@{SAM}>", encoded=True)
    say(h, thread, "next Friday")
    say(h, thread, "weekly")
    assert "Intervention 2" in h.last_text(CHANNEL, thread)
    say(h, thread, "done")
    assert_completed(h, thread)
    summary = summary_text(h, thread)
    assert "Cause, problem and impact: summary" in summary
    assert "*Scope:* Council-wide" in summary  # the choice as it was offered
    assert "One shared repairs queue" in summary and f"*Owner:* <@{SAM}>" in summary
    assert "Friday 4 December 2026" in summary and "2026-12-04" not in summary
    stored = latest(h, thread)
    assert stored["interventions.1.owner"].value == SAM
    # The clock says Wednesday 25 November 2026: "next Friday" is the Friday of next week (UK usage).
    assert stored["interventions.1.first_checkin"].value == "2026-12-04"
    assert stored["interventions.1.cadence"].value == "weekly"
    assert stored["interventions.done"].value == 1


def test_none_ends_an_empty_interventions_list(harness: Harness) -> None:
    h = harness
    thread = start(h, "start cause-problem-impact Missed bins")
    for reply in (
        "Rounds change weekly",
        "done",
        "Repeat calls",
        "residents",
        "2",
        "done",
        "service",
        "none",
    ):
        say(h, thread, reply)
    assert_completed(h, thread)
    assert latest(h, thread)["interventions.done"].value == 0


def test_cost_impacts_gives_the_exact_total_and_breakdown(harness: Harness) -> None:
    h = harness
    thread = start(h, "start cost-impacts Missed bin collections lead to repeat calls")
    # Line 1, staff: 2.5 hours × 156 a year (3 a week × 52 weeks) × 2 people × £30 (default) = £23,400.
    say(h, thread, "staff")
    say(h, thread, "Re-keying missed-bin reports")
    say(h, thread, "both")
    say(h, thread, "2h 30m")
    say(h, thread, "3 a week")
    say(h, thread, "2")
    prompt = h.last_text(CHANNEL, thread)
    assert "default rate (£30 an hour)" in prompt
    say(h, thread, "skip")
    say(h, thread, "skip")
    say(h, thread, "Team estimate")
    # Line 2, residents: 0.75 hours × 120 a year (10 a month) × 1 person × £15 = £1,350,
    # plus £2 each time × 120 = £240; so £1,590.
    for reply in ("residents", "Calls chasing collections", "both", "45 minutes", "10 per month", "1", "£15"):
        say(h, thread, reply)
    say(h, thread, "£2 each time")
    say(h, thread, "skip")
    # Line 3, council services: money spent only (no time, people or rate asked), twice a year,
    # £3,500 a year direct = £3,500.
    for reply in ("council services", "Extra collection rounds", "money", "twice a year"):
        say(h, thread, reply)
    assert "What is the direct cost" in h.last_text(CHANNEL, thread)
    say(h, thread, "£3.5k a year")
    say(h, thread, "Fleet invoices 2025")
    say(h, thread, "done")
    say(h, thread, "Residents lose trust in the service")
    assert_completed(h, thread)
    summary = summary_text(h, thread)
    # Total: 23,400 + 1,590 + 3,500 = 28,490.
    assert "*Total a year:* £28,490" in summary
    assert "*Residents:* £1,590" in summary
    assert "*Staff:* £23,400" in summary
    assert "*Council services:* £3,500" in summary
    assert "Re-keying missed-bin reports" in summary and "£23,400 a year" in summary
    assert "Time is costed at £30 an hour, the default rate." in summary
    assert "A year is counted as 52 weeks." in summary
    assert "Residents lose trust in the service" in summary


def test_cost_impacts_uses_the_workspace_hourly_rate(harness: Harness) -> None:
    h = harness
    with h.deps.uow() as uow:
        workspace = uow.workspaces.get_or_create(TEAM)
        workspace.settings = {"hourly_rate": "40"}
        uow.commit()
    thread = start(h, "start cost-impacts Paper forms")
    for reply in ("staff", "Scanning forms", "time", "1 hour", "10 a year", "1"):
        say(h, thread, reply)
    assert "default rate (£40 an hour)" in h.last_text(CHANNEL, thread)
    for reply in ("skip", "skip", "done", "skip"):  # staff time only: no direct cost is asked
        say(h, thread, reply)
    summary = summary_text(h, thread)
    # 1 hour × 10 a year × 1 person × £40 = £400.
    assert "*Total a year:* £400" in summary and "*Staff:* £400" in summary
    assert "Time is costed at £40 an hour, the default rate." in summary


def _answer_for(kind: StepKind, key: str) -> str:
    """A valid typed answer for any question (used to drive five whys, which others extend)."""
    return {
        StepKind.YESNO: "yes",
        StepKind.PICK: "yes",
        StepKind.CLASSIFICATION: "confirm",
        StepKind.SCALE: "3",
        StepKind.MONEY: "£10",
        StepKind.DIRECT_COST: "£10 each time",
        StepKind.DURATION: "1 hour",
        StepKind.FREQUENCY: "3 a week",
        StepKind.COUNT: "2",
        StepKind.DATE: "next Friday",
        StepKind.CADENCE: "weekly",
        StepKind.USER: f"<@{SAM}>",
        StepKind.RANK: "1",
    }.get(kind, f"An answer to {key}")


def test_five_whys_end_to_end(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Council tax refunds take months")
    template = get_template("five-whys")
    for _ in range(40):
        with h.deps.uow() as uow:
            answers = to_engine_answers(uow.answers.latest(session_of(h, thread).id))
        position = engine.walk(template, answers).current
        if position is None:
            break
        kind = position.step.kind
        list_may_end = engine.build_prompt(template, answers, position).done_allowed
        reply = "done" if list_may_end else _answer_for(kind, position.key)
        say(h, thread, reply, encoded=kind is StepKind.USER)
    assert_completed(h, thread)
    assert "Five whys: summary" in summary_text(h, thread)


def test_every_parser_rejects_bad_input_with_examples_and_the_prompt_stays(harness: Harness) -> None:
    """Each kind of question, given something it cannot read: the reply names accepted examples, the
    same question is asked again, and nothing is stored."""
    h = harness
    thread = start(h, "start cost-impacts Paper forms")
    cases = [
        ("Who bears this cost", "the mayor", "`Residents`", "residents"),
        ("What is the cost?", "   ", "didn't get an answer", "Scanning paper forms"),
        ("Is this cost staff time", "sometimes", "`Staff time`", "both"),
        ("How long does it take each time?", "ages", "`2h 30m`", "45 minutes"),
        ("How often does it happen?", "sometimes", "`3 a week`", "10 per month"),
        ("How many people are involved", "many", "`3`", "2"),
        ("What does an hour of their time cost?", "lots", "`£1,200`", "£25"),
        ("What is the direct cost", "a lot", "`£40 each time`", "£2 each time"),
    ]
    for prompt, bad, example, good in cases:
        assert prompt in h.last_text(CHANNEL, thread)
        before = len(latest(h, thread))
        say(h, thread, bad)
        reply = h.last_text(CHANNEL, thread)
        assert example in reply, reply
        assert prompt in reply  # the question is asked again, in the same message
        assert len(latest(h, thread)) == before
        say(h, thread, good)

    other = start(h, "start cause-problem-impact Lost repairs")
    for reply in ("Two queues", "done", "Repeat calls", "residents"):
        say(h, other, reply)
    more_cases = [
        ("How severe is this impact", "9", "`3/5`", "4"),
        ("Impact 2", "done", "", "done"),
        ("How far does the problem reach?", "galaxy-wide", "`Product`", "service"),
        ("Intervention 1", "One queue", "", "One queue"),
        ("Who owns it?", "Sam", "`@Sam Jones`", f"<@{SAM}>"),
        ("When should I first check in", "someday", "`in 2 weeks`", "in 2 weeks"),
        ("How often after that?", "hourly", "`fortnightly`", "monthly"),
    ]
    for prompt, bad, example, good in more_cases:
        assert prompt in h.last_text(CHANNEL, other)
        if example:
            before = len(latest(h, other))
            say(h, other, bad)
            reply = h.last_text(CHANNEL, other)
            assert example in reply and prompt in reply, reply
            assert len(latest(h, other)) == before
        say(h, other, good, encoded=good.startswith("<@"))

    levels = start(h, "start problem-levels Slow permits")
    for reply in ("a", "b", "c", "d"):
        say(h, levels, reply)
    say(h, levels, "perhaps")
    reply = h.last_text(CHANNEL, levels)
    assert "`yes` or `no`" in reply and "council-wide problem" in reply

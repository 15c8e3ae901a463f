"""The flow engine, driven with typed replies only (no Slack, no database)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from flows.engine import Answer, ReplyContext, apply_reply, current_prompt, walk, with_changes
from flows.schema import Template, get_template, load_templates

CTX = ReplyContext(today=date(2026, 11, 27))
FIVE_WHYS = get_template("five-whys")


def run(replies: list[str], answers: dict[str, Answer] | None = None) -> tuple[dict[str, Answer], list[str]]:
    """Feed replies in order; return the answers and the engine's messages."""
    state = dict(answers or {})
    messages: list[str] = []
    for reply in replies:
        outcome = apply_reply(FIVE_WHYS, state, reply, CTX)
        state = with_changes(state, outcome.changes)
        if outcome.message:
            messages.append(outcome.message)
    return state, messages


def test_templates_load_and_five_whys_is_there() -> None:
    assert "five-whys" in load_templates()


def test_first_prompt_asks_for_the_problem() -> None:
    prompt = current_prompt(FIVE_WHYS, {})
    assert prompt is not None and prompt.key == "problem"
    assert "What is the problem" in prompt.text


def test_whys_quote_the_previous_answer_and_root_cause_question_from_why_three() -> None:
    state, _ = run(["Residents phone instead of using the form", "The form rejects postcodes"])
    prompt = current_prompt(FIVE_WHYS, state)
    assert prompt is not None and prompt.key == "whys.2.answer"
    assert "The form rejects postcodes" in prompt.text
    state, _ = run(["The check needs a space", "The supplier changed validation"], state)
    prompt = current_prompt(FIVE_WHYS, state)
    assert prompt is not None and prompt.key == "whys.3.fixes_it"
    assert "stop recurring" in prompt.text


def test_yes_to_root_cause_question_ends_the_whys_and_suggests_that_why() -> None:
    state, _ = run(["Problem", "why one", "why two", "why three", "yes"])
    prompt = current_prompt(FIVE_WHYS, state)
    assert prompt is not None and prompt.key == "root_cause"
    assert "3. why three _(suggested)_" in prompt.text
    state, _ = run(["yes", "no"], state)
    after = current_prompt(FIVE_WHYS, state)
    assert after is not None and after.key == "classification"  # the proposal comes next
    assert state["root_cause"].value == {"item": 3, "text": "why three"}


def test_at_most_seven_whys() -> None:
    replies = ["Problem", "w1", "w2", "w3", "no", "w4", "no", "w5", "no", "w6", "no", "w7", "no"]
    state, _ = run(replies)
    prompt = current_prompt(FIVE_WHYS, state)
    assert prompt is not None and prompt.key == "root_cause"
    assert "7. w7 _(suggested)_" in prompt.text


def test_picking_another_why_as_root_cause() -> None:
    state, _ = run(["Problem", "w1", "w2", "w3", "yes", "2", "no"])
    assert state["root_cause"].value == {"item": 2, "text": "w2"}


def test_second_branch() -> None:
    state, _ = run(["Problem", "w1", "w2", "w3", "yes", "yes", "yes", "b1", "done", "yes"])
    after = current_prompt(FIVE_WHYS, state)
    assert after is not None and after.key == "classification"  # the proposal comes next
    assert state["branch_root_cause"].value == {"item": 1, "text": "b1"}


def test_back_retracts_the_last_answer_and_asks_again() -> None:
    state, messages = run(["Problem", "w1", "back"])
    assert "whys.1.answer" not in state
    assert messages[-1].startswith("Going back") and "w1" in messages[-1]
    prompt = current_prompt(FIVE_WHYS, state)
    assert prompt is not None and prompt.key == "whys.1.answer"


def test_back_at_the_start_says_so() -> None:
    _, messages = run(["back"])
    assert "nothing before" in messages[-1]


def test_done_needs_at_least_one_why_and_skip_only_for_optional_steps() -> None:
    state, messages = run(["Problem", "done", "skip"])
    assert "at least 1" in messages[0]
    assert "can't be skipped" in messages[1]
    assert set(state) == {"problem"}


def test_empty_and_too_long_replies_are_rejected_and_the_prompt_stays() -> None:
    outcome = apply_reply(FIVE_WHYS, {}, "   ", CTX)
    assert outcome.rejected and "didn't get an answer" in (outcome.message or "")
    assert outcome.next_prompt is not None and outcome.next_prompt.key == "problem"
    outcome = apply_reply(FIVE_WHYS, {}, "x" * 10_000, CTX)
    assert (
        outcome.rejected
        and "10,000 characters" in (outcome.message or "")
        and "3,000" in (outcome.message or "")
    )
    assert outcome.next_prompt is not None and outcome.next_prompt.key == "problem"
    assert outcome.changes == ()


def test_blaming_a_person_gets_a_nudge_but_the_answer_is_kept() -> None:
    state, messages = run(["Problem", "Because Dave forgot to update the spreadsheet"])
    assert "whys.1.answer" in state
    assert any("process made it possible" in m for m in messages)


def test_pause_and_help_change_nothing() -> None:
    for word in ("pause", "help", "HELP", "Pause."):
        outcome = apply_reply(FIVE_WHYS, {}, word, CTX)
        assert outcome.changes == ()
        assert outcome.control in ("pause", "help")


def test_escape_is_applied_to_quoted_user_text() -> None:
    ctx = ReplyContext(today=CTX.today, escape=lambda s: s.replace("<", "&lt;"))
    outcome = apply_reply(FIVE_WHYS, {}, "<!channel> is down", ctx)
    assert outcome.next_prompt is not None
    assert "&lt;!channel>" in outcome.next_prompt.text


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(["back", "skip", "done", "yes", "no", "1", "pause", ""]), st.text(max_size=40)
        ),
        max_size=30,
    )
)
def test_any_sequence_of_replies_keeps_a_consistent_state(replies: list[str]) -> None:
    """Whatever is typed, the engine never raises, the walk reaches a question or completion, and
    every stored key is one the walk knows about (no orphan answers)."""
    state: dict[str, Answer] = {}
    for reply in replies:
        outcome = apply_reply(FIVE_WHYS, state, reply, CTX)
        state = with_changes(state, outcome.changes)
        progress = walk(FIVE_WHYS, state)
        assert set(progress.answered) == set(state)
        if outcome.rejected:
            assert outcome.changes == ()


def _at_owner() -> tuple[Template, dict[str, Answer]]:
    template = get_template("five-whys")
    answers: dict[str, Answer] = {}
    for reply in (
        "Bins missed",
        "Rounds changed",
        "New software",
        "No training",
        "yes",
        "yes",
        "no",
        "confirm",
    ):
        prompt = current_prompt(template, answers)
        assert prompt is not None
        outcome = apply_reply(template, answers, reply, CTX)
        answers = with_changes(answers, outcome.changes, "U0FAC")
        if prompt.key.startswith("interventions"):
            break
    outcome = apply_reply(template, answers, "Retrain the crews", CTX)
    answers = with_changes(answers, outcome.changes, "U0FAC")
    prompt = current_prompt(template, answers)
    assert prompt is not None and prompt.key == "interventions.1.owner", prompt
    return template, answers


def test_me_as_an_owner_is_whoever_replied_and_without_an_author_it_asks_for_a_mention() -> None:
    template, answers = _at_owner()
    for said in ("me", "Me.", "I'll do it", "fi"):
        outcome = apply_reply(template, answers, said, ReplyContext(today=CTX.today, author="U0SAM"))
        assert [(c.key, c.value) for c in outcome.changes] == [("interventions.1.owner", "U0SAM")], said
    unknown = apply_reply(template, answers, "me", CTX)
    assert unknown.rejected and not unknown.changes


def test_the_cadence_question_offers_weekly_fortnightly_and_monthly_buttons() -> None:
    template, answers = _at_owner()
    for reply in ("<@U0ALEX>", "2026-12-08"):
        answers = with_changes(answers, apply_reply(template, answers, reply, CTX).changes, "U0FAC")
    prompt = current_prompt(template, answers)
    assert prompt is not None and prompt.key == "interventions.1.cadence"
    assert [(o.reply, o.label) for o in prompt.options] == [
        ("weekly", "Weekly"),
        ("fortnightly", "Fortnightly"),
        ("monthly", "Monthly"),
    ]
    for option in prompt.options:
        outcome = apply_reply(template, answers, option.reply, CTX)
        assert [c.value for c in outcome.changes if c.key == "interventions.1.cadence"] == [option.reply]

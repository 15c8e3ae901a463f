"""Steering words and yes/no answers in English and Welsh: every form works in every session, whatever its
language, and the English words behave exactly as before."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows import team, words
from flows.classification_step import parse_reply
from flows.engine import Answer, ReplyContext, apply_reply, current_prompt, normalise_command, with_changes
from flows.parsing import ParseFailure, parse_yes_no
from flows.schema import get_template
from flows.words import Command

CTX = ReplyContext(today=date(2026, 11, 25))
FAC, ALEX = "U0FAC", "U0ALEX"


def run(template_id: str, replies: list[str], ctx: ReplyContext = CTX) -> dict[str, Answer]:
    template = get_template(template_id)
    state: dict[str, Answer] = {}
    for reply in replies:
        outcome = apply_reply(template, state, reply, ctx)
        assert not outcome.rejected, (reply, outcome.message)
        state = with_changes(state, outcome.changes, FAC)
    return state


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("nôl", Command.BACK),
        ("yn ôl", Command.BACK),
        ("nol", Command.BACK),
        ("yn ol", Command.BACK),
        ("’nôl", Command.BACK),
        ("Nôl!", Command.BACK),
        ("hepgor", Command.SKIP),
        ("wedi gorffen", Command.DONE),
        ("Gorffen.", Command.DONE),
        ("oedi", Command.PAUSE),
        ("ailddechrau", Command.RESUME),
        ("canslo", Command.CANCEL),
        ("help", Command.HELP),
        ("cymorth", Command.HELP),
        ("?", Command.HELP),
        ("dim", Command.NONE),
        ("nesaf", Command.NEXT),
        ("golygu", Command.EDIT),
        ("cadw", Command.KEEP),
        # English, exactly as before: the words the engine and the Slack adapter compared against.
        ("back", Command.BACK),
        ("Back.", Command.BACK),
        ("SKIP", Command.SKIP),
        ("done", Command.DONE),
        ("none", Command.NONE),
        ("next", Command.NEXT),
        ("pause", Command.PAUSE),
        ("resume", Command.RESUME),
        ("continue", Command.RESUME),
        ("carry on", Command.RESUME),
        ("edit", Command.EDIT),
        ("keep", Command.KEEP),
    ],
)
def test_command_words_in_both_languages(typed: str, command: Command) -> None:
    assert words.command_of(typed) is command
    assert normalise_command(typed) == command.value


@pytest.mark.parametrize(
    "typed", ["back to the start", "gorffen y gwaith", "nolan", "dim ond fi", "yes", "ie"]
)
def test_longer_replies_and_answers_are_not_commands(typed: str) -> None:
    assert words.command_of(typed) is None


def test_ordinary_replies_normalise_as_before() -> None:
    assert normalise_command("  Council   Services. ") == "council services"


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        *(
            (w, True)
            for w in ["ie", "Ie", "oes", "do", "ydy", "Ydy.", "byddai", "iawn", "yes", "y", "yep", "👍"]
        ),
        *((w, False) for w in ["na", "nac oes", "Nac ydy", "naddo", "na fyddai", "dim eto", "no", "nope"]),
        ("Ydy, mae'n effeithio ar bob gwasanaeth", True),
        ("Nac ydy - dim ond y gwasanaeth hwn", False),
        ("Oes: y data", True),
        ("Yes, it affects every service", True),
        ("No, only this one", False),
    ],
)
def test_yes_and_no_in_both_languages(typed: str, answer: bool) -> None:
    assert parse_yes_no(typed) is answer


@pytest.mark.parametrize("typed", ["dim", "ydy ydy", "efallai", "iawn, ond", "right, I'm not sure"])
def test_other_replies_are_not_yes_or_no(typed: str) -> None:
    assert isinstance(parse_yes_no(typed), ParseFailure)


def test_no_form_is_both_a_command_and_a_yes_or_no() -> None:
    vocabulary = words.vocabulary()
    assert not set(vocabulary.commands) & (vocabulary.yes | vocabulary.no)
    assert not vocabulary.yes & vocabulary.no
    for before_a_reason in (vocabulary.yes_before_a_reason, vocabulary.no_before_a_reason):
        assert set(before_a_reason) <= vocabulary.yes | vocabulary.no


def test_every_command_has_welsh_forms() -> None:
    for command in Command:
        assert words.forms(command, "cy"), command
        assert words.forms(command, "en")[0] == command.value


forms = st.sampled_from(sorted(words.vocabulary().commands))


@given(forms, st.lists(st.booleans(), max_size=30), st.sampled_from(["", ".", "!", " ", "  !"]))
def test_case_spacing_and_closing_marks_never_change_the_command(
    form: str, upper: list[bool], end: str
) -> None:
    typed = "".join(c.upper() if upper[i % len(upper)] else c for i, c in enumerate(form)) if upper else form
    assert words.command_of(f"  {typed}{end}") is words.command_of(form)


@given(st.text(max_size=40))
def test_fold_is_idempotent(text: str) -> None:
    assert words.fold(words.fold(text)) == words.fold(text)


# --- the engine and the team rule, steered in Welsh in an English session ---------------------------------


def test_welsh_back_skip_done_and_none_steer_an_english_session() -> None:
    five = get_template("five-whys")
    state = run("five-whys", ["Problem", "w1"])
    back = apply_reply(five, state, "nôl", CTX)
    assert back.changes and back.changes[0].retract and back.changes[0].key == "whys.1.answer"
    assert back.message is not None and back.message.startswith("Going back")
    # "gorffen" ends a list once it has its minimum; "dim" ends a list that may be empty.
    state = run("cause-problem-impact", ["P", "cause", "gorffen", "impact", "staff", "3", "wedi gorffen"])
    assert state["causes.done"].value == 1 and state["impacts.done"].value == 1
    state = run(
        "cause-problem-impact", ["P", "cause", "gorffen", "impact", "staff", "3", "gorffen", "product"]
    )
    state = with_changes(state, apply_reply(get_template("cause-problem-impact"), state, "dim", CTX).changes)
    assert current_prompt(get_template("cause-problem-impact"), state) is None
    # "hepgor" skips an optional question and is refused on a required one, as "skip" is.
    costs = get_template("cost-impacts")
    state = run("cost-impacts", ["P", "staff", "Re-keying", "both"])
    skipped = apply_reply(costs, state, "hepgor", CTX)
    assert skipped.changes and skipped.changes[0].skipped and skipped.changes[0].key == "costs.1.staff_time"
    assert apply_reply(costs, {}, "hepgor", CTX).rejected


def test_welsh_pause_and_help_change_nothing() -> None:
    for word, control in (("oedi", "pause"), ("cymorth", "help"), ("Help", "help")):
        outcome = apply_reply(get_template("five-whys"), {}, word, CTX)
        assert outcome.changes == () and outcome.control == control


def test_welsh_yes_answers_the_root_cause_question_and_confirms_the_suggestion() -> None:
    state = run("five-whys", ["Problem", "w1", "w2", "w3", "byddai", "ie", "nac oes"])
    assert state["whys.3.fixes_it"].value is True
    assert state["root_cause"].value == {"item": 3, "text": "w3"}
    assert state["second_branch"].value is False


def test_the_facilitator_closes_a_team_list_with_nesaf() -> None:
    template = get_template("pain-points")
    state = run("pain-points", ["P", "bulky waste"])
    added = team.apply_team_reply(template, state, team.TeamReply("Queue", ALEX, False, FAC), CTX)
    state = with_changes(state, added.changes, ALEX)
    refused = team.apply_team_reply(template, state, team.TeamReply("nesaf", ALEX, False, FAC), CTX)
    assert refused.rejected
    closed = team.apply_team_reply(template, state, team.TeamReply("nesaf", FAC, True, FAC), CTX)
    assert any(change.key == "pain_points.done" for change in closed.changes)


PROPOSED = {"scope": "service", "category": "process", "confidence": 0.5, "reasons": []}


@pytest.mark.parametrize(
    ("typed", "scope", "category"),
    [
        ("cadarnhau", "service", "process"),
        ("ie", "service", "process"),
        ("cwmpas cynnyrch", "product", "process"),
        ("categori data", "service", "data"),
        ("cwmpas cyngor cyfan a categori caffael", "council-wide", "procurement-market"),
        ("technoleg", "service", "technology"),
        ("confirm", "service", "process"),
        ("scope product and category data", "product", "data"),
    ],
)
def test_classification_reads_welsh(typed: str, scope: str, category: str) -> None:
    value = parse_reply(typed, PROPOSED)
    assert not isinstance(value, ParseFailure), typed
    assert (value["scope"], value["category"]) == (scope, category)

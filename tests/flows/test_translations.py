"""Nothing falls back to English silently: every template text has Welsh that is not the English, with
the same placeholders; every example a prompt offers is accepted in either language; and a session typed
wholly in Welsh stores the same values and costs as the same session in English."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import pytest

from flows import words
from flows.computed import ComputedSection, cost_totals
from flows.engine import (
    Answer,
    Position,
    ReplyContext,
    apply_reply,
    current_prompt,
    parse_answer,
    with_changes,
)
from flows.i18n import LocalText
from flows.parsing import ParseFailure
from flows.report import CostSettings, ReportInputs, SessionAnswers, build_report
from flows.schema import Repeat, Step, StepKind, Template, load_templates
from flows.translations import local_texts, placeholders, translation_problems

TEMPLATES = load_templates()
CTX = ReplyContext(today=date(2026, 11, 25), hourly_rate=Decimal("32.50"))
CTX_CY = ReplyContext(today=date(2026, 11, 25), hourly_rate=Decimal("32.50"), locale="cy")
CODE = re.compile(r"`([^`]+)`")


def session_cost_totals(
    template: Template, answers: Mapping[str, Answer], ctx: ReplyContext
) -> tuple[ComputedSection, ...]:
    """The cost sections of a report of these answers alone, at ``ctx``'s settings."""
    report = build_report(
        ReportInputs(
            sessions=[SessionAnswers(0, template, answers)],
            costs=CostSettings(ctx.hourly_rate, ctx.weeks_per_year, ctx.working_day_hours),
            locale=ctx.locale,
        )
    )
    return cost_totals(report, ctx.locale)


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_every_template_text_has_real_welsh(template_id: str) -> None:
    texts = list(local_texts(TEMPLATES[template_id]))
    assert len(texts) > 10  # the walk found the texts
    assert translation_problems(texts, "cy") == []


def test_the_check_finds_each_kind_of_problem() -> None:
    texts = [
        ("missing", {"en": "Who owns it?"}),
        ("blank", {"en": "Who owns it?", "cy": "  "}),
        ("same", {"en": "How often does it happen?", "cy": "How often does it happen?"}),
        ("partly", {"en": "Type `back` to change your last answer.", "cy": "Teipiwch `nôl` to change your"}),
        ("short", {"en": "Severity", "cy": "Severity (difrifoldeb)"}),
        ("placeholder", {"en": "*Why {n}.* {previous}", "cy": "*Pam {rhif}.* {previous}"}),
        ("braces", {"en": "Why {n}", "cy": "Pam {n"}),
        # Fine: loanwords and names may stay, placeholders and `code` are not words to translate.
        ("staff", {"en": "Staff", "cy": "Staff"}),
        ("cost", {"en": "Cost {n}", "cy": "Cost {n}"}),
        ("code", {"en": "For example `£25`.", "cy": "Er enghraifft `£25`."}),
    ]
    problems = translation_problems(texts, "cy")
    flagged = [problem.split(":")[0] for problem in problems]
    assert flagged == ["missing", "blank", "same", "partly", "short", "placeholder", "braces"], problems


def test_the_check_takes_any_locale_map() -> None:
    catalogue = {"went_back": LocalText({"en": "Going back: {previous}", "cy": "Mynd yn ôl: {previous}"})}
    assert translation_problems(local_texts(catalogue), "cy") == []
    assert translation_problems(local_texts(catalogue), "fr") == ["went_back: no 'fr' text"]
    assert placeholders("{a} {b} {a}") == ["a", "a", "b"]


# --- every example a prompt shows is one the bot accepts ------------------------------------------------


def _steps(template: Template) -> list[tuple[Step, Repeat | None]]:
    found: list[tuple[Step, Repeat | None]] = []
    for node in template.steps:
        if isinstance(node, Repeat):
            found += [(step, node) for step in node.steps]
        else:
            found.append((node, None))
    return found


def _accepted(step: Step, repeat: Repeat | None, example: str, ctx: ReplyContext) -> bool:
    if words.command_of(example) is not None:
        return True
    if step.kind is StepKind.YESNO:
        return words.yes_or_no(example) is not None
    if step.kind is StepKind.PICK:
        return words.is_confirmation(example)
    if step.kind in (StepKind.USER, StepKind.RANK):  # a Slack mention; numbers of the items so far
        return True
    position = Position(step.id, step, repeat, 1 if repeat else None)
    return not isinstance(parse_answer(position.step, example, {}, ctx), ParseFailure)


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
@pytest.mark.parametrize("locale", ["en", "cy"])
def test_every_example_in_a_prompt_is_accepted(template_id: str, locale: str) -> None:
    template = TEMPLATES[template_id]
    ctx = CTX_CY if locale == "cy" else CTX
    for text in (template.intro, template.completion, template.description):
        for example in CODE.findall(text.get(locale)):
            assert words.command_of(example) is not None, (template_id, example)
    for step, repeat in _steps(template):
        for text in (step.prompt, step.help, *(nudge.message for nudge in step.nudges)):
            if text is None:
                continue
            for example in CODE.findall(text.get(locale)):
                assert _accepted(step, repeat, example, ctx), (template_id, step.id, example)


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_a_choice_is_never_ambiguous_in_any_language(template_id: str) -> None:
    for step, _repeat in _steps(TEMPLATES[template_id]):
        seen: dict[str, str] = {}
        for choice in step.choices:
            names = {words.fold(choice.value), *map(words.fold, choice.label.root.values())}
            names |= {words.fold(alias) for alias in choice.aliases}
            for name in names:
                assert seen.setdefault(name, choice.value) == choice.value, (step.id, name)
                assert words.command_of(name) is None, (step.id, name)


# --- whole sessions in Welsh --------------------------------------------------------------------------


def run(template_id: str, replies: list[str], ctx: ReplyContext) -> dict[str, Answer]:
    template = TEMPLATES[template_id]
    state: dict[str, Answer] = {}
    for reply in replies:
        outcome = apply_reply(template, state, reply, ctx)
        assert not outcome.rejected, (reply, outcome.message)
        state = with_changes(state, outcome.changes, "U0FAC")
    assert current_prompt(template, state) is None
    return state


def values(state: dict[str, Answer]) -> dict[str, object]:
    """Stored values without the reading in words (written in the session's language: a time or a
    frequency read back, the classification decided)."""
    out: dict[str, object] = {}
    for key, answer in state.items():
        value = answer.value
        if isinstance(value, dict) and "text" in value and ({"hours", "per_year", "status"} & value.keys()):
            value = {k: v for k, v in value.items() if k != "text"}
        out[key] = (value, answer.skipped)
    return out


def test_a_cost_impacts_session_in_welsh_costs_the_same_as_in_english() -> None:
    english = [
        *["Missed bins", "staff", "Re-keying", "both", "2h 30m", "3 a week", "2", "skip", "£1 each time"],
        *["skip", "residents", "Postage", "both", "half a day", "monthly", "one", "£20", "£1,200 a year"],
        *["A sample", "council services", "Licences", "both", "skip", "twice a year", "twelve", "skip"],
        *["£40 each time", "skip"],
        *["done", "skip"],
    ]
    welsh = [
        *["Missed bins", "Staff", "Re-keying", "y ddau", "2 awr 30 munud", "3 yr wythnos", "dau", "hepgor"],
        *["£1 bob tro", "hepgor"],
        *["trigolion", "Postage", "y ddau", "hanner diwrnod", "bob mis", "un", "£20", "£1,200 y flwyddyn"],
        *["A sample", "Gwasanaethau'r cyngor", "Licences", "y ddau", "hepgor", "ddwywaith y flwyddyn"],
        *["deuddeg", "hepgor"],
        *["£40 y tro", "hepgor"],
        *["gorffen", "hepgor"],
    ]
    in_english = run("cost-impacts", english, CTX)
    in_welsh = run("cost-impacts", welsh, CTX_CY)
    assert values(in_welsh) == values(in_english)
    template = TEMPLATES["cost-impacts"]
    english_rows = [row for section in session_cost_totals(template, in_english, CTX) for row in section.rows]
    welsh_rows = [row for section in session_cost_totals(template, in_welsh, CTX_CY) for row in section.rows]
    figures = [row.text.split()[0] for row in english_rows if row.text.startswith("£")]
    # Staff 2.5 h × 156 × 2 × £32.50 + £1 × 156; residents 3.7 h × 12 × £20 + £1,200; council 2 × £40.
    assert figures[:4] == ["£27,674", "£2,088", "£25,506", "£80"]
    assert figures == [row.text.split()[0] for row in welsh_rows if row.text.startswith("£")]
    # The bearers are named in Welsh (the totals' own labels come from the message catalogue).
    assert [row.label for row in welsh_rows[1:4]] == ["Trigolion", "Staff", "Gwasanaethau'r cyngor"]
    assert [row.details for row in welsh_rows if row.details] == [
        ("Staff",),
        ("Trigolion",),
        ("Gwasanaethau'r cyngor",),
    ]


def test_a_five_whys_session_in_welsh_stores_the_same_answers() -> None:
    english = ["Problem", "w1", "w2", "w3", "no", "w4", "yes", "yes", "no", "confirm", "Fix it"]
    welsh = ["Problem", "w1", "w2", "w3", "na fyddai", "w4", "byddai", "ie", "nac oes", "cadarnhau", "Fix it"]
    tail_en = ["<@U0SAM>", "next Tuesday", "fortnightly", "done"]
    tail_cy = ["<@U0SAM>", "dydd Mawrth nesaf", "bob pythefnos", "gorffen"]
    assert values(run("five-whys", welsh + tail_cy, CTX_CY)) == values(
        run("five-whys", english + tail_en, CTX)
    )


def test_welsh_prompts_fill_their_placeholders() -> None:
    template = TEMPLATES["five-whys"]
    state = run_partial("five-whys", ["Mae'r ffurflen yn gwrthod codau post"])
    prompt = current_prompt(template, state, "cy")
    assert prompt is not None
    assert prompt.text == "*Pam 1.* Pam mae hynny'n digwydd?\n> Mae'r ffurflen yn gwrthod codau post"
    costs = TEMPLATES["cost-impacts"]
    state = run_partial("cost-impacts", ["P", "staff", "Sganio", "amser staff", "awr", "bob dydd", "2"])
    prompt = current_prompt(costs, state, "cy", values=CTX_CY.prompt_values())
    assert prompt is not None and "(£32.50 yr awr)" in prompt.text
    assert [
        option.label for option in current_prompt(costs, run_partial("cost-impacts", ["P"]), "cy").options
    ] == [  # type: ignore[union-attr]
        "Trigolion",
        "Staff",
        "Gwasanaethau'r cyngor",
    ]


def run_partial(template_id: str, replies: list[str]) -> dict[str, Answer]:
    state: dict[str, Answer] = {}
    for reply in replies:
        outcome = apply_reply(TEMPLATES[template_id], state, reply, CTX_CY)
        assert not outcome.rejected, (reply, outcome.message)
        state = with_changes(state, outcome.changes)
    return state


def test_blaming_a_person_in_welsh_gets_the_welsh_nudge() -> None:
    template = TEMPLATES["five-whys"]
    state = run_partial("five-whys", ["Problem"])
    outcome = apply_reply(template, state, "Roedd e wedi anghofio gwirio'r ffurflen", CTX_CY)
    assert outcome.message is not None and outcome.message.startswith("Mae'r ateb hwnnw'n rhoi'r bai")
    outcome = apply_reply(template, state, "Camgymeriad dynol", CTX)
    assert outcome.message is not None and outcome.message.startswith("That answer points at a person")

"""The summary of a session as a plain model, built from the template and the latest answers, with
the figures (the template's ``computed:`` sections) read from the problem's report.

What a person reads, not what the engine asked: the questions that only steer the conversation (a
list's "would fixing this stop the problem recurring?", a yes/no that only opens a later section) are
left out, every value is written as people write it (``Tuesday 8 December 2026``, ``£1,200 each
time``), the root cause is said once, and each person is named once per section (in its credits, or
as the owner heading a group of items).

Renderers (Slack blocks) take this model; nothing here knows how it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict

from flows.computed import computed_sections
from flows.costs import format_pounds
from flows.engine import Answer, ReplyContext, display_value, items_of
from flows.formatting import format_day, format_money
from flows.i18n import DEFAULT_LOCALE, t
from flows.report import (
    CostSettings,
    ProblemReport,
    ReportInputs,
    SessionAnswers,
    build_report,
    root_cause_of,
)
from flows.schema import Repeat, Step, StepKind, Template


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SummaryItem(_Frozen):
    """One line: a label, the answer as text, and who gave it (Slack user id, when known)."""

    label: str
    text: str
    author: str | None = None
    details: tuple[str, ...] = ()
    # (label, Slack user id) for answers that name a person (an owner): renderers show a mention.
    people: tuple[tuple[str, str], ...] = ()
    # The item's number in its list (numbered sections).
    number: int | None = None
    # A figure worked out for the item (a cost line's yearly cost), from the problem's report.
    figure: str | None = None
    # What the team picked this item as (the root cause of a why chain): said beside it, not again.
    picked_as: str | None = None


class Credit(_Frozen):
    """Who gave the answers of a section, named once: their Slack user id and what they answered
    (item numbers in a numbered section, else the questions' labels)."""

    user_id: str
    answered: tuple[str, ...]


class SummarySection(_Frozen):
    heading: str
    items: tuple[SummaryItem, ...]
    numbered: bool = False
    credits: tuple[Credit, ...] = ()


class SessionSummary(_Frozen):
    template_id: str
    title: str
    problem: str | None
    sections: tuple[SummarySection, ...]
    # The root cause, when no section already shows it.
    root_cause: str | None = None


# --- values as people write them ------------------------------------------------------------------------


def _decimal(raw: Any) -> Decimal | None:
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def shown_value(step: Step, value: Any, locale: str = DEFAULT_LOCALE) -> str:
    """An answer to ``step`` as a person reads it: dates with their weekday, pounds with ``£`` and
    thousands separators, a choice by its label, yes/no in words."""
    if isinstance(value, bool):
        return t("button_yes" if value else "button_no", locale)
    kind = step.kind
    if kind is StepKind.DATE and isinstance(value, str):
        try:
            return format_day(date.fromisoformat(value), locale)
        except ValueError:
            return value
    if kind is StepKind.MONEY and not isinstance(value, dict):
        amount = _decimal(value)
        return format_money(amount, locale) if amount is not None else display_value(value, None, locale)
    if isinstance(value, dict) and "amount" in value and "text" not in value:
        amount = _decimal(value["amount"])
        if amount is not None:
            key = (
                "summary_direct_each_time"
                if value.get("basis") == "per_occurrence"
                else "summary_direct_a_year"
            )
            return t(key, locale, amount=format_money(amount, locale))
    if kind is StepKind.CADENCE and isinstance(value, str):
        return t(f"cadence_{value}", locale) if value in ("weekly", "fortnightly", "monthly") else value
    if kind is StepKind.CHOICE:
        for choice in step.choices:
            if choice.value == value:
                return choice.label.get(locale)
    return display_value(value, None, locale)


# --- which questions a reader needs ---------------------------------------------------------------------


def _gates(template: Template) -> set[str]:
    """Top-level yes/no questions that only decide whether a later part is asked (``second_branch``):
    that part's presence says the answer."""
    named = {node.when.step for node in template.steps if node.when is not None and node.when.step}
    return {
        node.id
        for node in template.steps
        if isinstance(node, Step) and node.kind is StepKind.YESNO and node.id in named
    }


def _steering(repeat: Repeat) -> set[str]:
    """A list's questions that only decide whether it goes on (``fixes_it``)."""
    return {repeat.stop_when.step} if repeat.stop_when is not None and repeat.stop_when.step else set()


def _item_details(repeat: Repeat, item: int, answers: Mapping[str, Answer], locale: str) -> list[str]:
    details: list[str] = []
    hidden = _steering(repeat)
    for step in repeat.steps:
        if step.id == repeat.title_step_id or step.id in hidden or step.kind is StepKind.USER:
            continue
        answer = answers.get(f"{repeat.id}.{item}.{step.id}")
        if answer is None or answer.skipped or answer.value in (None, ""):
            continue
        details.append(f"{step.title(locale, item)}: {shown_value(step, answer.value, locale)}")
    return details


def _item_people(
    repeat: Repeat, item: int, answers: Mapping[str, Answer], locale: str
) -> tuple[tuple[str, str], ...]:
    """The people an item names (its ``user`` steps), kept apart from text so they render as mentions."""
    people: list[tuple[str, str]] = []
    for step in repeat.steps:
        answer = answers.get(f"{repeat.id}.{item}.{step.id}")
        if step.kind is StepKind.USER and answer is not None and not answer.skipped and answer.value:
            people.append((step.title(locale, item), str(answer.value)))
    return tuple(people)


def _picks(template: Template, answers: Mapping[str, Answer], locale: str) -> dict[tuple[str, int], str]:
    """Items picked from a list (``root_cause`` picks one of ``whys``): (list, item) → the pick's label."""
    picks: dict[tuple[str, int], str] = {}
    for node in template.steps:
        if not isinstance(node, Step) or node.kind is not StepKind.PICK or node.options_from is None:
            continue
        answer = answers.get(node.id)
        if answer is None or answer.skipped or not isinstance(answer.value, dict):
            continue
        item = answer.value.get("item")
        if isinstance(item, int) and not isinstance(item, bool):
            picks[(node.options_from.split(".", 1)[0], item)] = node.title(locale)
    return picks


def _credits(items: list[SummaryItem], numbered: bool) -> tuple[Credit, ...]:
    """Each author once, with what they answered, in the order they first answered."""
    answered: dict[str, list[str]] = {}
    for item in items:
        if item.author:
            answered.setdefault(item.author, []).append(str(item.number) if numbered else item.label)
    return tuple(Credit(user_id=user, answered=tuple(what)) for user, what in answered.items())


def _line_costs(report: ProblemReport | None, locale: str) -> dict[int, str]:
    """This session's cost lines' yearly figures from the report, by item."""
    if report is None or report.costs is None:
        return {}
    return {
        line.item: t("cost_line_annual", locale, amount=format_pounds(line.annual, locale))
        for line in report.costs.lines
        if line.session_id == report.session_id and line.item is not None
    }


def build_summary(
    template: Template,
    answers: Mapping[str, Answer],
    locale: str = DEFAULT_LOCALE,
    *,
    root_cause_of: Callable[[Mapping[str, Answer]], str | None] | None = None,
    context: ReplyContext | None = None,
    report: ProblemReport | None = None,
) -> SessionSummary:
    """A section per top-level step; repeats become numbered lists with their item details; then the
    template's computed sections, read from ``report`` (the problem's report). Without one, a report of
    these answers alone is built with ``context``'s settings (the hourly rate, weeks in a year)."""
    if report is None and template.computed:
        report = build_report(
            ReportInputs(
                sessions=[SessionAnswers(0, template, answers)],
                costs=_cost_settings(context) if context is not None else CostSettings(),
                locale=locale,
            )
        )
    line_costs = _line_costs(report, locale)
    shown_lines: set[int] = set()
    gates = _gates(template)
    picks = _picks(template, answers, locale)
    picked_steps = {
        node.id
        for node in template.steps
        if isinstance(node, Step) and node.kind is StepKind.PICK and node.options_from is not None
    }
    sections: list[SummarySection] = []
    singles: list[SummaryItem] = []

    def flush() -> None:
        if singles:
            sections.append(
                SummarySection(heading="", items=tuple(singles), credits=_credits(singles, False))
            )
            singles.clear()

    for node in template.steps:
        if isinstance(node, Step):
            answer = answers.get(node.id)
            if answer is None or answer.skipped or node.id == "problem" or node.id in gates:
                continue
            if node.id in picked_steps and isinstance(answer.value, dict) and "item" in answer.value:
                continue  # said beside the item it picked
            singles.append(
                SummaryItem(
                    label=node.title(locale),
                    text=shown_value(node, answer.value, locale),
                    author=answer.author,
                )
            )
            continue
        first = next(step for step in node.steps if step.id == node.title_step_id)
        costed = any(step.kind is StepKind.FREQUENCY for step in node.steps)
        entries = []
        for item, value in items_of(answers, node.id, first.id):
            answer = answers[f"{node.id}.{item}.{first.id}"]
            details = _item_details(node, item, answers, locale)
            figure = line_costs.get(item) if costed else None
            if figure is not None:
                shown_lines.add(item)
            people = _item_people(node, item, answers, locale)
            entries.append(
                SummaryItem(
                    label=first.title(locale, item),
                    text=shown_value(first, value, locale),
                    # The owner heads an item that names one; who typed it is the facilitator's business.
                    author=None if people else answer.author,
                    details=tuple(details),
                    figure=figure,
                    people=people,
                    number=item,
                    picked_as=picks.get((node.id, item)),
                )
            )
        if entries:
            flush()
            sections.append(
                SummarySection(
                    heading=node.label.get(locale),
                    items=tuple(entries),
                    numbered=True,
                    credits=_credits(entries, True),
                )
            )
    flush()
    shown = (
        frozenset((report.session_id, item) for item in shown_lines) if report is not None else frozenset()
    )
    for computed in computed_sections(template.computed, report, locale, shown) if report is not None else ():
        rows = tuple(SummaryItem(label=r.label, text=r.text, details=r.details) for r in computed.rows)
        sections.append(SummarySection(heading=computed.heading, items=rows, numbered=computed.numbered))
    problem = answers.get("problem")
    root = root_cause_of(answers) if root_cause_of is not None else default_root_cause(answers)
    already = any(item.text == root for section in sections for item in section.items)
    return SessionSummary(
        template_id=template.id,
        title=template.title.get(locale),
        problem=None if problem is None else display_value(problem.value),
        sections=tuple(sections),
        root_cause=None if already else root,
    )


def _cost_settings(context: ReplyContext) -> CostSettings:
    return CostSettings(
        hourly_rate_default=context.hourly_rate,
        weeks_per_year=context.weeks_per_year,
        working_day_hours=context.working_day_hours,
    )


default_root_cause = root_cause_of

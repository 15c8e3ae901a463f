"""The summary of a session as a plain model, built from the template and the latest answers, with
the figures (the template's ``computed:`` sections) read from the problem's report.

Renderers (Slack blocks) take this model; nothing here knows how it is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pydantic import BaseModel, ConfigDict

from flows.computed import computed_sections
from flows.engine import Answer, ReplyContext, display_value, items_of
from flows.i18n import DEFAULT_LOCALE
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


class SummarySection(_Frozen):
    heading: str
    items: tuple[SummaryItem, ...]
    numbered: bool = False


class SessionSummary(_Frozen):
    template_id: str
    title: str
    problem: str | None
    sections: tuple[SummarySection, ...]
    root_cause: str | None = None


def _item_details(repeat: Repeat, item: int, answers: Mapping[str, Answer], locale: str) -> tuple[str, ...]:
    details: list[str] = []
    for step in repeat.steps:
        if step.id == repeat.title_step_id:
            continue
        answer = answers.get(f"{repeat.id}.{item}.{step.id}")
        if answer is None or answer.skipped or step.kind is StepKind.USER:
            continue
        details.append(f"{step.title(locale, item)}: {display_value(answer.value)}")
    return tuple(details)


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
    sections: list[SummarySection] = []
    singles: list[SummaryItem] = []
    for node in template.steps:
        if isinstance(node, Step):
            answer = answers.get(node.id)
            if answer is None or answer.skipped or node.id == "problem":
                continue
            singles.append(
                SummaryItem(label=node.title(locale), text=display_value(answer.value), author=answer.author)
            )
            continue
        first = next(step for step in node.steps if step.id == node.title_step_id)
        entries = []
        for item, value in items_of(answers, node.id, first.id):
            answer = answers[f"{node.id}.{item}.{first.id}"]
            entries.append(
                SummaryItem(
                    label=first.title(locale, item),
                    text=display_value(value),
                    author=answer.author,
                    details=_item_details(node, item, answers, locale),
                    people=_item_people(node, item, answers, locale),
                )
            )
        if entries:
            if singles:
                sections.append(SummarySection(heading="", items=tuple(singles)))
                singles = []
            sections.append(
                SummarySection(heading=node.label.get(locale), items=tuple(entries), numbered=True)
            )
    if singles:
        sections.append(SummarySection(heading="", items=tuple(singles)))
    if report is None and template.computed:
        report = build_report(
            ReportInputs(
                sessions=[SessionAnswers(0, template, answers)],
                costs=_cost_settings(context) if context is not None else CostSettings(),
                locale=locale,
            )
        )
    for computed in computed_sections(template.computed, report, locale) if report is not None else ():
        rows = tuple(SummaryItem(label=r.label, text=r.text, details=r.details) for r in computed.rows)
        sections.append(SummarySection(heading=computed.heading, items=rows, numbered=computed.numbered))
    problem = answers.get("problem")
    root = root_cause_of(answers) if root_cause_of is not None else default_root_cause(answers)
    return SessionSummary(
        template_id=template.id,
        title=template.title.get(locale),
        problem=None if problem is None else display_value(problem.value),
        sections=tuple(sections),
        root_cause=root,
    )


def _cost_settings(context: ReplyContext) -> CostSettings:
    return CostSettings(
        hourly_rate_default=context.hourly_rate,
        weeks_per_year=context.weeks_per_year,
        working_day_hours=context.working_day_hours,
    )


default_root_cause = root_cause_of

"""Built-in computations a template can ask for in its summary (``computed:`` in the template YAML).

A template names a computation; the computation finds the answers it needs by step *kind*, not by step
id, so a template can reword or rename its steps freely. Each computation returns plain sections that
:func:`flows.summary.build_summary` appends to the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flows.costs import BEARERS, Bearer, CostLine, CostSummary, format_pounds, summarise_costs
from flows.engine import Answer, ReplyContext, items_of
from flows.i18n import t
from flows.parsing import DirectCost
from flows.schema import Repeat, Step, StepKind, Template


@dataclass(frozen=True)
class ComputedRow:
    label: str
    text: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComputedSection:
    heading: str
    rows: tuple[ComputedRow, ...]
    numbered: bool = False


Computation = Callable[[Template, Mapping[str, Answer], ReplyContext], tuple[ComputedSection, ...]]


# --- cost totals -------------------------------------------------------------------------------------


def _step_of_kind(repeat: Repeat, kind: StepKind) -> Step | None:
    return next((step for step in repeat.steps if step.kind is kind), None)


def cost_repeat(template: Template) -> Repeat | None:
    """The list of cost lines: the first repeat that asks how often something happens."""
    for node in template.steps:
        if isinstance(node, Repeat) and _step_of_kind(node, StepKind.FREQUENCY) is not None:
            return node
    return None


def _value(answers: Mapping[str, Answer], repeat: Repeat, item: int, step: Step | None) -> Any:
    if step is None:
        return None
    answer = answers.get(f"{repeat.id}.{item}.{step.id}")
    return None if answer is None or answer.skipped else answer.value


def _decimal(value: Any, field: str) -> Decimal | None:
    raw = value.get(field) if isinstance(value, dict) else value
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def cost_lines(template: Template, answers: Mapping[str, Answer]) -> list[CostLine]:
    """The session's complete cost lines (a line still being written is left out).

    Skipped optional answers mean: no staff time, the default hourly rate, no direct cost.
    """
    repeat = cost_repeat(template)
    if repeat is None:
        return []
    bearer_step = _step_of_kind(repeat, StepKind.CHOICE)
    steps = {kind: _step_of_kind(repeat, kind) for kind in StepKind}
    lines: list[CostLine] = []
    for item, what in items_of(answers, repeat.id, repeat.title_step_id):
        bearer = _value(answers, repeat, item, bearer_step)
        per_year = _decimal(_value(answers, repeat, item, steps[StepKind.FREQUENCY]), "per_year")
        people = _value(answers, repeat, item, steps[StepKind.COUNT])
        if bearer not in BEARERS or per_year is None:
            continue
        hours = _decimal(_value(answers, repeat, item, steps[StepKind.DURATION]), "hours")
        direct = _value(answers, repeat, item, steps[StepKind.DIRECT_COST])
        direct_amount = _decimal(direct, "amount")
        basis = direct.get("basis") if isinstance(direct, dict) else None
        lines.append(
            CostLine(
                bearer=_bearer(bearer),
                what=str(what),
                staff_hours_per_occurrence=hours or Decimal(0),
                occurrences_per_year=per_year,
                people=int(people) if isinstance(people, int) else 1,
                hourly_rate=_decimal(_value(answers, repeat, item, steps[StepKind.MONEY]), "amount"),
                direct=DirectCost(
                    direct_amount or Decimal(0), "per_year" if basis == "per_year" else "per_occurrence"
                ),
            )
        )
    return lines


def _bearer(value: str) -> Bearer:
    for bearer in BEARERS:
        if bearer == value:
            return bearer
    raise ValueError(value)


def summarise_session_costs(
    template: Template, answers: Mapping[str, Answer], ctx: ReplyContext
) -> CostSummary:
    return summarise_costs(
        cost_lines(template, answers),
        hourly_rate_default=ctx.hourly_rate,
        weeks_per_year=ctx.weeks_per_year,
        working_day_hours=ctx.working_day_hours,
        locale=ctx.locale,
    )


def cost_totals(
    template: Template, answers: Mapping[str, Answer], ctx: ReplyContext
) -> tuple[ComputedSection, ...]:
    """Cost a year: the total, each bearer's share, each line, and the assumptions behind them."""
    locale = ctx.locale
    summary = summarise_session_costs(template, answers, ctx)
    repeat = cost_repeat(template)
    bearer_step = _step_of_kind(repeat, StepKind.CHOICE) if repeat is not None else None
    labels = {c.value: c.label.get(locale) for c in bearer_step.choices} if bearer_step is not None else {}
    rows = [ComputedRow(t("cost_total_label", locale), format_pounds(summary.total, locale))]
    rows += [
        ComputedRow(labels.get(bearer, bearer.capitalize()), format_pounds(summary.by_bearer[bearer], locale))
        for bearer in BEARERS
    ]
    per_line = tuple(
        ComputedRow(
            cost.line.what,
            t("cost_line_annual", locale, amount=format_pounds(cost.annual, locale)),
            (labels.get(cost.line.bearer, cost.line.bearer),),
        )
        for cost in summary.lines
    )
    assumptions = tuple(ComputedRow("", sentence) for sentence in summary.assumptions)
    sections = [ComputedSection(t("cost_totals_heading", locale), tuple(rows))]
    if per_line:
        sections.append(ComputedSection(t("cost_lines_heading", locale), per_line, numbered=True))
    sections.append(ComputedSection(t("cost_assumptions_heading", locale), assumptions, numbered=True))
    return tuple(sections)


COMPUTATIONS: dict[str, Computation] = {"cost_totals": cost_totals}


def computed_sections(
    template: Template, answers: Mapping[str, Answer], ctx: ReplyContext
) -> tuple[ComputedSection, ...]:
    """Every computation the template names, in order."""
    return tuple(
        section for name in template.computed for section in COMPUTATIONS[name](template, answers, ctx)
    )

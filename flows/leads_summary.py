"""The summary leads act on: one problem with everything the team found out about it.

Built from the latest answers of a completed session and of every other session on the same problem.
Each part is found by what the templates ask, not by template id, so a reworded or new template that
asks the same kinds of question feeds the same summary:

- the why chain, root cause and classification from the five-whys answers (``whys``, ``root_cause``,
  ``branch_whys``, ``branch_root_cause`` and the ``classification`` step's answer);
- pain points from a ``rank`` step's answer (the team's top ones, in order), else every item of the
  list it ranks, most severe first;
- cost lines from any list whose items ask a duration and a frequency, costed by :mod:`flows.costs`;
- interventions from the ``interventions`` list (``what``, ``owner``, ``first_checkin``, ``cadence``).

Pure: no Slack, no SQL. Renderers (Block Kit, Markdown) take :class:`LeadsSummary`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from flows import classification_step
from flows.costs import BEARERS, Bearer, CostLine, summarise_costs
from flows.engine import Answer, answer_values, display_value, items_of
from flows.i18n import DEFAULT_LOCALE
from flows.parsing import DirectCost
from flows.schema import Repeat, Step, StepKind, Template
from flows.summary import default_root_cause

INTERVENTIONS = "interventions"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ClassificationView(_Frozen):
    """Scope and category as decided: ``confirmed`` or ``changed`` by ``by``, or only ``proposed``."""

    scope: str
    category: str
    status: Literal["confirmed", "changed", "proposed"]
    by: str | None = None
    proposed_scope: str
    proposed_category: str
    confidence: float | None = None


class PainPoint(_Frozen):
    text: str
    details: tuple[str, ...] = ()
    author: str | None = None


class CostLineView(_Frozen):
    """A costed line with the inputs behind it (the export's spreadsheet shows them)."""

    what: str
    bearer: str
    annual: Decimal
    staff_hours: Decimal
    occurrences_per_year: Decimal
    people: int
    hourly_rate: Decimal
    direct_amount: Decimal
    direct_basis: str


class CostBreakdown(_Frozen):
    total: Decimal
    by_bearer: tuple[tuple[str, Decimal], ...]
    lines: tuple[CostLineView, ...]
    assumptions: tuple[str, ...]


class InterventionView(_Frozen):
    session_id: int
    item: int
    what: str
    owner: str | None = None
    first_checkin: str | None = None
    cadence: str | None = None


class LeadsSummary(_Frozen):
    session_id: int
    title: str
    problem: str | None
    whys: tuple[str, ...] = ()
    root_cause: str | None = None
    branch_whys: tuple[str, ...] = ()
    branch_root_cause: str | None = None
    classification: ClassificationView | None = None
    pain_points: tuple[PainPoint, ...] = ()
    costs: CostBreakdown | None = None
    interventions: tuple[InterventionView, ...] = ()


@dataclass(frozen=True)
class SessionAnswers:
    """One session's template and latest answers (with authors)."""

    session_id: int
    template: Template
    answers: Mapping[str, Answer]


@dataclass(frozen=True)
class CostSettings:
    hourly_rate_default: Decimal = Decimal(30)
    weeks_per_year: Decimal = Decimal(52)
    working_day_hours: Decimal = Decimal("7.4")


def _text(answers: Mapping[str, Answer], key: str) -> str | None:
    answer = answers.get(key)
    if answer is None or answer.skipped or answer.value in (None, ""):
        return None
    return display_value(answer.value)


def _chain(answers: Mapping[str, Answer], repeat_id: str) -> tuple[str, ...]:
    return tuple(str(value) for _item, value in items_of(answers, repeat_id, "answer"))


def _steps(template: Template) -> list[Step]:
    found: list[Step] = []
    for node in template.steps:
        found.extend(node.steps if isinstance(node, Repeat) else (node,))
    return found


def classification_of(template: Template, answers: Mapping[str, Answer]) -> ClassificationView | None:
    """The decided classification (with who decided it), else the proposal, else None."""
    step = next((s for s in _steps(template) if s.kind is StepKind.CLASSIFICATION), None)
    if step is None:
        return None
    answer = answers.get(step.id)
    if answer is not None and isinstance(answer.value, dict) and not answer.skipped:
        value = answer.value
        proposed = value.get("proposed") or {}
        status: Literal["confirmed", "changed"] = (
            "changed" if value.get("status") == "changed" else "confirmed"
        )
        return ClassificationView(
            scope=str(value.get("scope")),
            category=str(value.get("category")),
            status=status,
            by=answer.author,
            proposed_scope=str(proposed.get("scope", value.get("scope"))),
            proposed_category=str(proposed.get("category", value.get("category"))),
            confidence=proposed.get("confidence"),
        )
    if not items_of(answers, "whys", "answer"):
        return None
    proposal = classification_step.propose(answer_values(answers))
    return ClassificationView(
        scope=proposal.scope,
        category=proposal.category,
        status="proposed",
        proposed_scope=proposal.scope,
        proposed_category=proposal.category,
        confidence=proposal.confidence,
    )


def _item_details(repeat: Repeat, item: int, answers: Mapping[str, Answer], locale: str) -> tuple[str, ...]:
    details = []
    for step in repeat.steps[1:]:
        text = _text(answers, f"{repeat.id}.{item}.{step.id}")
        if text is not None:
            details.append(f"{step.title(locale, item)}: {text}")
    return tuple(details)


def pain_points_of(template: Template, answers: Mapping[str, Answer], locale: str) -> list[PainPoint]:
    """The ranked top pain points, else every item of the ranked list, most severe first."""
    rank = next((s for s in _steps(template) if s.kind is StepKind.RANK and s.options_from), None)
    if rank is None or rank.options_from is None:
        return []
    repeat_id, step_id = rank.options_from.split(".", 1)
    node = next((n for n in template.steps if isinstance(n, Repeat) and n.id == repeat_id), None)
    if node is None:
        return []

    def point(item: int, text: str) -> PainPoint:
        answer = answers.get(f"{repeat_id}.{item}.{step_id}")
        return PainPoint(
            text=text,
            details=_item_details(node, item, answers, locale),
            author=answer.author if answer is not None else None,
        )

    ranked = answers.get(rank.id)
    if ranked is not None and isinstance(ranked.value, list) and not ranked.skipped:
        return [point(int(entry["item"]), str(entry["text"])) for entry in ranked.value]
    severity = next((s.id for s in node.steps if s.kind is StepKind.SCALE), None)

    def severity_of(item: int) -> int:
        answer = answers.get(f"{repeat_id}.{item}.{severity}") if severity else None
        return int(answer.value) if answer is not None and isinstance(answer.value, int) else 0

    items = items_of(answers, repeat_id, step_id)
    ordered = sorted(items, key=lambda pair: (-severity_of(pair[0]), pair[0]))
    return [point(item, str(value)) for item, value in ordered]


def _decimal(value: Any, field: str | None = None) -> Decimal | None:
    raw = value.get(field) if isinstance(value, dict) and field else value
    try:
        return Decimal(str(raw)) if raw is not None else None
    except InvalidOperation:
        return None


def cost_lines_of(template: Template, answers: Mapping[str, Answer]) -> list[CostLine]:
    """Complete cost lines from every list that asks a duration and a frequency per item."""
    lines: list[CostLine] = []
    for node in template.steps:
        if not isinstance(node, Repeat):
            continue
        kinds = {step.kind for step in node.steps}
        if not {StepKind.DURATION, StepKind.FREQUENCY} <= kinds:
            continue
        text_step = next((s for s in node.steps if s.kind is StepKind.TEXT), None)
        for item, _first in items_of(answers, node.id, node.steps[0].id):
            line = _cost_line(node, item, answers, text_step)
            if line is not None:
                lines.append(line)
    return lines


def _cost_line(
    repeat: Repeat, item: int, answers: Mapping[str, Answer], text_step: Step | None
) -> CostLine | None:
    values: dict[StepKind, Any] = {}
    bearer: Bearer | None = None
    for step in repeat.steps:
        answer = answers.get(f"{repeat.id}.{item}.{step.id}")
        if answer is None or answer.skipped:
            continue
        if step.kind is StepKind.CHOICE and answer.value in BEARERS:
            bearer = answer.value
        values.setdefault(step.kind, answer.value)
    hours = _decimal(values.get(StepKind.DURATION), "hours")
    per_year = _decimal(values.get(StepKind.FREQUENCY), "per_year")
    if bearer is None or hours is None or per_year is None:
        return None
    what_answer = answers.get(f"{repeat.id}.{item}.{text_step.id}") if text_step else None
    direct_value = values.get(StepKind.DIRECT_COST)
    direct_amount = _decimal(direct_value, "amount")
    basis = direct_value.get("basis") if isinstance(direct_value, dict) else None
    people = values.get(StepKind.COUNT)
    try:
        return CostLine(
            bearer=bearer,
            what=str(what_answer.value) if what_answer is not None else "",
            staff_hours_per_occurrence=hours,
            occurrences_per_year=per_year,
            people=people if isinstance(people, int) else 1,
            hourly_rate=_decimal(values.get(StepKind.MONEY)),
            direct=DirectCost(
                direct_amount or Decimal(0), "per_year" if basis == "per_year" else "per_occurrence"
            ),
        )
    except ValueError:
        # A line whose stored answers are out of range is left out rather than costed wrongly.
        return None


def interventions_of(session_id: int, answers: Mapping[str, Answer]) -> list[InterventionView]:
    found = []
    for item, what in items_of(answers, INTERVENTIONS, "what"):
        owner = answers.get(f"{INTERVENTIONS}.{item}.owner")
        found.append(
            InterventionView(
                session_id=session_id,
                item=item,
                what=str(what),
                owner=str(owner.value) if owner is not None and owner.value and not owner.skipped else None,
                first_checkin=_text(answers, f"{INTERVENTIONS}.{item}.first_checkin"),
                cadence=_text(answers, f"{INTERVENTIONS}.{item}.cadence"),
            )
        )
    return found


def build_leads_summary(
    main: SessionAnswers,
    related: Sequence[SessionAnswers] = (),
    *,
    costs: CostSettings | None = None,
    locale: str = DEFAULT_LOCALE,
) -> LeadsSummary:
    """The summary of ``main`` with what ``related`` sessions (same problem, newest first) add."""
    costs = costs or CostSettings()
    sessions = [main, *[s for s in related if s.session_id != main.session_id]]
    analysis = next((s for s in sessions if items_of(s.answers, "whys", "answer")), None)
    problem = next((p for s in sessions if (p := _text(s.answers, "problem")) is not None), None)
    pain_points: list[PainPoint] = []
    lines: list[CostLine] = []
    interventions: list[InterventionView] = []
    for session in sessions:
        if not pain_points:
            pain_points = pain_points_of(session.template, session.answers, locale)
        lines += cost_lines_of(session.template, session.answers)
        interventions += interventions_of(session.session_id, session.answers)
    breakdown = None
    if lines:
        summary = summarise_costs(
            lines,
            hourly_rate_default=costs.hourly_rate_default,
            weeks_per_year=costs.weeks_per_year,
            working_day_hours=costs.working_day_hours,
            locale=locale,
        )
        breakdown = CostBreakdown(
            total=summary.total,
            by_bearer=tuple((bearer, amount) for bearer, amount in summary.by_bearer.items() if amount),
            lines=tuple(
                CostLineView(
                    what=c.line.what,
                    bearer=c.line.bearer,
                    annual=c.annual,
                    staff_hours=c.line.staff_hours_per_occurrence,
                    occurrences_per_year=c.line.occurrences_per_year,
                    people=c.line.people,
                    hourly_rate=(
                        costs.hourly_rate_default if c.line.hourly_rate is None else c.line.hourly_rate
                    ),
                    direct_amount=c.line.direct.amount,
                    direct_basis=c.line.direct.basis,
                )
                for c in sorted(summary.lines, key=lambda c: -c.annual)
            ),
            assumptions=tuple(summary.assumptions),
        )
    return LeadsSummary(
        session_id=main.session_id,
        title=main.template.title.get(locale),
        problem=problem,
        whys=_chain(analysis.answers, "whys") if analysis else (),
        root_cause=default_root_cause(analysis.answers) if analysis else None,
        branch_whys=_chain(analysis.answers, "branch_whys") if analysis else (),
        branch_root_cause=_text(analysis.answers, "branch_root_cause") if analysis else None,
        classification=classification_of(analysis.template, analysis.answers) if analysis else None,
        pain_points=tuple(pain_points),
        costs=breakdown,
        interventions=tuple(interventions),
    )

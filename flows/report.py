"""One report per problem: everything a team found out about it, across all its sessions.

Every place a person reads about a problem — the summary in a session's thread, the leads post, the
Markdown, CSV and ``.xlsx`` exports, the Home tab — is rendered from a :class:`ProblemReport`, and no
renderer works a figure out for itself. The report is built from the latest version of every answer of
every session on the problem (any template), the interventions stored for those sessions (whether they
came from the end of a session, ``/playbook intervene`` or the summary's button), and a map of display
names, so exports can name people without showing a Slack user id.

Parts are found by what a template asks, not by its id, so a reworded or new template that asks the
same kinds of question feeds the same report:

- levels: a template's top-level questions before a council-wide yes/no (``council_wide`` and its
  ``council_wide_why``);
- pain points: a list ranked by a ``rank`` step (the team's order first, then by severity), with the
  list's choice answers (who feels it, level, how often), its severity and evidence;
- cause → problem → impact: a ``causes`` list, an ``impacts`` list (with who bears each and its
  severity) and the ``scope`` choice;
- costs: every list that asks how often something happens, costed by :func:`flows.costs.summarise_costs`
  in one call for the whole problem;
- the why chain, root cause, second branch and classification (``whys``, ``root_cause``,
  ``branch_whys``, ``branch_root_cause``, the ``classification`` step).

Pure: no Slack, no SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from flows import classification_step, readback
from flows.costs import BEARERS, Bearer, CostLine, summarise_costs
from flows.engine import Answer, answer_values, display_value, items_of
from flows.i18n import DEFAULT_LOCALE, t
from flows.parsing import DirectCost
from flows.schema import Repeat, Step, StepKind, Template

# The stored id of someone who used forget-me (the same value storage writes).
FORMER_PARTICIPANT_ID = "former-participant"
INTERVENTIONS = "interventions"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Person(_Frozen):
    """Someone named in a report: the stored id (for a Slack mention) and a name for files."""

    user_id: str
    name: str

    @property
    def forgotten(self) -> bool:
        return self.user_id == FORMER_PARTICIPANT_ID


class Labelled(_Frozen):
    label: str
    text: str
    author: Person | None = None


class LevelsView(_Frozen):
    """How the problem shows up at each level, and the level the team chose with its evidence."""

    levels: tuple[Labelled, ...]
    council_wide: bool | None
    chosen: str | None
    evidence: str | None


class PainPointView(_Frozen):
    text: str
    rank: int | None = None
    who: str | None = None
    level: str | None = None
    how_often: str | None = None
    severity: int | None = None
    evidence: str | None = None
    author: Person | None = None


class ImpactView(_Frozen):
    text: str
    bearer: str | None = None
    severity: int | None = None


class CauseEffectView(_Frozen):
    causes: tuple[str, ...]
    impacts: tuple[ImpactView, ...]
    affected: tuple[str, ...]
    scope: str | None = None


class ClassificationView(_Frozen):
    """Scope and category as decided: ``confirmed`` or ``changed`` by ``by``, or only ``proposed``."""

    scope: str
    category: str
    status: Literal["confirmed", "changed", "proposed"]
    by: Person | None = None
    proposed_scope: str
    proposed_category: str
    confidence: float | None = None


class CostLineView(_Frozen):
    """A costed line with the inputs behind it, and the hourly rate it was actually costed at."""

    session_id: int
    what: str
    bearer: str
    bearer_label: str
    annual: Decimal
    # The line's item in its session's list (``costs.2``), so a summary can show the figure beside it.
    item: int | None = None
    staff_hours: Decimal
    occurrences_per_year: Decimal
    how_often: str
    people: int
    hourly_rate: Decimal
    rate_given: bool
    direct_amount: Decimal
    direct_basis: str


class BearerTotal(_Frozen):
    bearer: str
    label: str
    amount: Decimal


class CostReport(_Frozen):
    """Costs a year in whole pounds: the total, every bearer's share (all of them, zero included) and
    every line in the order it was given; the assumptions the figures rest on."""

    total: Decimal
    by_bearer: tuple[BearerTotal, ...]
    lines: tuple[CostLineView, ...]
    assumptions: tuple[str, ...]

    @property
    def costliest(self) -> tuple[CostLineView, ...]:
        return tuple(sorted(self.lines, key=lambda line: -line.annual))

    @property
    def bearers_with_costs(self) -> tuple[BearerTotal, ...]:
        return tuple(b for b in self.by_bearer if b.amount)


class InterventionView(_Frozen):
    session_id: int
    what: str
    owner: Person | None = None
    first_checkin: str | None = None  # ISO date
    cadence: str | None = None
    status: str | None = None
    # The latest progress its owner reported at a check-in (``on_track``, ``blocked``), if any.
    progress: str | None = None


class ProblemReport(_Frozen):
    session_id: int
    template_id: str
    title: str
    problem: str | None
    problem_id: int | None = None
    session_ids: tuple[int, ...] = ()
    levels: LevelsView | None = None
    pain_points: tuple[PainPointView, ...] = ()
    cause_effect: CauseEffectView | None = None
    whys: tuple[str, ...] = ()
    root_cause: str | None = None
    branch_whys: tuple[str, ...] = ()
    branch_root_cause: str | None = None
    classification: ClassificationView | None = None
    costs: CostReport | None = None
    interventions: tuple[InterventionView, ...] = ()


# --- inputs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionAnswers:
    """One session's template and latest answers (with authors)."""

    session_id: int
    template: Template
    answers: Mapping[str, Answer]


@dataclass(frozen=True)
class StoredIntervention:
    """An intervention as stored (from any path); ``source_item`` is its item in the session's list."""

    session_id: int
    what: str
    owner_id: str
    first_checkin: date | None
    cadence: str | None
    source_item: int | None = None
    status: str | None = None
    progress: str | None = None


@dataclass(frozen=True)
class CostSettings:
    hourly_rate_default: Decimal = Decimal(30)
    weeks_per_year: Decimal = Decimal(52)
    working_day_hours: Decimal = Decimal("7.4")


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report is built from. ``sessions`` starts with the session the report is for, then
    the others on the same problem (newest first)."""

    sessions: Sequence[SessionAnswers]
    interventions: Sequence[StoredIntervention] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    costs: CostSettings = field(default_factory=CostSettings)
    locale: str = DEFAULT_LOCALE
    problem_id: int | None = None

    def user_ids(self) -> set[str]:
        """Every person the report may name (to look their names up before it is built)."""
        found: set[str] = set()
        for session in self.sessions:
            for answer in session.answers.values():
                if answer.author:
                    found.add(answer.author)
            for node in session.template.steps:
                if isinstance(node, Repeat):
                    for step in node.steps:
                        if step.kind is StepKind.USER:
                            found.update(str(v) for _i, v in items_of(session.answers, node.id, step.id) if v)
        found.update(item.owner_id for item in self.interventions)
        return found


# --- helpers -------------------------------------------------------------------------------------------


def person(user_id: str, names: Mapping[str, str], locale: str = DEFAULT_LOCALE) -> Person:
    """``user_id`` with the name files show: from ``names``; "former participant" for someone who used
    forget-me; never the id itself (someone Slack cannot name is "someone no longer in the workspace")."""
    if user_id == FORMER_PARTICIPANT_ID:
        return Person(user_id=user_id, name=t("former_participant", locale))
    return Person(user_id=user_id, name=names.get(user_id) or t("report_unknown_person", locale))


class _People:
    def __init__(self, names: Mapping[str, str], locale: str) -> None:
        self.names = names
        self.locale = locale

    def __call__(self, user_id: str | None) -> Person | None:
        return person(user_id, self.names, self.locale) if user_id else None


def _text(answers: Mapping[str, Answer], key: str) -> str | None:
    answer = answers.get(key)
    if answer is None or answer.skipped or answer.value in (None, ""):
        return None
    return display_value(answer.value)


def _all_steps(template: Template) -> list[Step]:
    found: list[Step] = []
    for node in template.steps:
        found.extend(node.steps if isinstance(node, Repeat) else (node,))
    return found


def _repeat(template: Template, repeat_id: str) -> Repeat | None:
    return next((n for n in template.steps if isinstance(n, Repeat) and n.id == repeat_id), None)


def _choice_label(step: Step, value: Any, locale: str) -> str:
    for choice in step.choices:
        if choice.value == value:
            return choice.label.get(locale)
    return display_value(value, None, locale)


def _decimal(value: Any, key: str | None = None) -> Decimal | None:
    raw = value.get(key) if isinstance(value, dict) and key else value
    if raw is None or isinstance(raw, dict):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _chain(answers: Mapping[str, Answer], repeat_id: str) -> tuple[str, ...]:
    return tuple(str(value) for _item, value in items_of(answers, repeat_id, "answer"))


def root_cause_of(answers: Mapping[str, Answer]) -> str | None:
    """The confirmed root cause, else the last why."""
    confirmed = answers.get("root_cause")
    if confirmed is not None and not confirmed.skipped and isinstance(confirmed.value, dict):
        return str(confirmed.value.get("text"))
    whys = items_of(answers, "whys", "answer")
    return str(whys[-1][1]) if whys else None


# --- parts ---------------------------------------------------------------------------------------------


def classification_of(
    template: Template, answers: Mapping[str, Answer], person: _People | None = None
) -> ClassificationView | None:
    """The decided classification (with who decided it), else the proposal, else None."""
    person = person or _People({}, DEFAULT_LOCALE)
    step = next((s for s in _all_steps(template) if s.kind is StepKind.CLASSIFICATION), None)
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
            by=person(answer.author),
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


def _levels(session: SessionAnswers, person: _People, locale: str) -> LevelsView | None:
    template, answers = session.template, session.answers
    decision = next(
        (
            s
            for s in template.steps
            if isinstance(s, Step) and s.kind is StepKind.YESNO and s.id == "council_wide"
        ),
        None,
    )
    if decision is None:
        return None
    levels: list[Labelled] = []
    for node in template.steps:
        if node is decision:
            break
        if isinstance(node, Step) and node.kind is StepKind.TEXT and node.id != "problem":
            text = _text(answers, node.id)
            if text is not None:
                levels.append(
                    Labelled(label=node.title(locale), text=text, author=person(answers[node.id].author))
                )
    answer = answers.get(decision.id)
    council_wide = answer.value if answer is not None and isinstance(answer.value, bool) else None
    if not levels and council_wide is None:
        return None
    chosen = None
    if council_wide is not None:
        chosen = t("report_level_council_wide" if council_wide else "report_level_service", locale)
    return LevelsView(
        levels=tuple(levels),
        council_wide=council_wide,
        chosen=chosen,
        evidence=_text(answers, f"{decision.id}_why"),
    )


def _pain_points(session: SessionAnswers, person: _People, locale: str) -> list[PainPointView]:
    template, answers = session.template, session.answers
    rank = next((s for s in _all_steps(template) if s.kind is StepKind.RANK and s.options_from), None)
    if rank is None or rank.options_from is None:
        return []
    repeat_id, text_step_id = rank.options_from.split(".", 1)
    node = _repeat(template, repeat_id)
    if node is None:
        return []
    choices = [s for s in node.steps if s.kind is StepKind.CHOICE]
    scale = next((s for s in node.steps if s.kind is StepKind.SCALE), None)
    evidence = next((s for s in node.steps if s.kind is StepKind.TEXT and s.id != text_step_id), None)

    def choice(item: int, index: int) -> str | None:
        if index >= len(choices):
            return None
        answer = answers.get(f"{repeat_id}.{item}.{choices[index].id}")
        if answer is None or answer.skipped or answer.value is None:
            return None
        return _choice_label(choices[index], answer.value, locale)

    def severity(item: int) -> int | None:
        answer = answers.get(f"{repeat_id}.{item}.{scale.id}") if scale else None
        return answer.value if answer is not None and isinstance(answer.value, int) else None

    def point(item: int, text: str, rank_position: int | None) -> PainPointView:
        answer = answers.get(f"{repeat_id}.{item}.{text_step_id}")
        return PainPointView(
            text=text,
            rank=rank_position,
            who=choice(item, 0),
            level=choice(item, 1),
            how_often=choice(item, 2),
            severity=severity(item),
            evidence=_text(answers, f"{repeat_id}.{item}.{evidence.id}") if evidence else None,
            author=person(answer.author) if answer is not None else None,
        )

    items = dict(items_of(answers, repeat_id, text_step_id))
    ranked = answers.get(rank.id)
    order: list[int] = []
    if ranked is not None and isinstance(ranked.value, list) and not ranked.skipped:
        order = [int(entry["item"]) for entry in ranked.value if int(entry["item"]) in items]
    rest = sorted((i for i in items if i not in order), key=lambda i: (-(severity(i) or 0), i))
    return [point(i, str(items[i]), n) for n, i in enumerate(order, start=1)] + [
        point(i, str(items[i]), None) for i in rest
    ]


def _cause_effect(session: SessionAnswers, locale: str) -> CauseEffectView | None:
    template, answers = session.template, session.answers
    causes_node, impacts_node = _repeat(template, "causes"), _repeat(template, "impacts")
    if causes_node is None and impacts_node is None:
        return None
    causes: tuple[str, ...] = ()
    if causes_node is not None:
        first = causes_node.steps[0].id
        causes = tuple(str(v) for _i, v in items_of(answers, causes_node.id, first))
    impacts: list[ImpactView] = []
    if impacts_node is not None:
        first = impacts_node.steps[0].id
        bearer = next((s for s in impacts_node.steps if s.kind is StepKind.CHOICE), None)
        scale = next((s for s in impacts_node.steps if s.kind is StepKind.SCALE), None)
        for item, value in items_of(answers, impacts_node.id, first):
            who = answers.get(f"{impacts_node.id}.{item}.{bearer.id}") if bearer else None
            level = answers.get(f"{impacts_node.id}.{item}.{scale.id}") if scale else None
            impacts.append(
                ImpactView(
                    text=str(value),
                    bearer=_choice_label(bearer, who.value, locale)
                    if bearer is not None and who is not None and not who.skipped
                    else None,
                    severity=level.value if level is not None and isinstance(level.value, int) else None,
                )
            )
    scope_step = next((s for s in template.steps if isinstance(s, Step) and s.id == "scope"), None)
    scope_answer = answers.get("scope")
    scope = None
    if scope_step is not None and scope_answer is not None and not scope_answer.skipped:
        scope = _choice_label(scope_step, scope_answer.value, locale)
    if not causes and not impacts and scope is None:
        return None
    affected = tuple(dict.fromkeys(i.bearer for i in impacts if i.bearer))
    return CauseEffectView(causes=causes, impacts=tuple(impacts), affected=affected, scope=scope)


@dataclass(frozen=True)
class _Costed:
    session_id: int
    line: CostLine
    bearer_label: str
    how_often: str
    item: int


def cost_lines_of(session: SessionAnswers, locale: str = DEFAULT_LOCALE) -> list[_Costed]:
    """Every complete line of every list that asks how often something happens. A line counts whatever
    it has: staff time, a direct cost, or both (a skipped or missing staff time is no staff time)."""
    found: list[_Costed] = []
    for node in session.template.steps:
        if not isinstance(node, Repeat) or not any(s.kind is StepKind.FREQUENCY for s in node.steps):
            continue
        for item, _first in items_of(session.answers, node.id, node.title_step_id):
            costed = _cost_line(session, node, item, locale)
            if costed is not None:
                found.append(costed)
    return found


def _cost_line(session: SessionAnswers, repeat: Repeat, item: int, locale: str) -> _Costed | None:
    values: dict[StepKind, Any] = {}
    bearer: tuple[Bearer, str] | None = None
    for step in repeat.steps:
        answer = session.answers.get(f"{repeat.id}.{item}.{step.id}")
        if answer is None or answer.skipped:
            continue
        if step.kind is StepKind.CHOICE and answer.value in BEARERS and bearer is None:
            bearer = (_bearer(answer.value), _choice_label(step, answer.value, locale))
        values.setdefault(step.kind, answer.value)
    frequency = values.get(StepKind.FREQUENCY)
    per_year = _decimal(frequency, "per_year")
    if bearer is None or per_year is None:
        return None
    text_step = next((s for s in repeat.steps if s.kind is StepKind.TEXT), None)
    what = _text(session.answers, f"{repeat.id}.{item}.{text_step.id}") if text_step else None
    direct = values.get(StepKind.DIRECT_COST)
    basis = direct.get("basis") if isinstance(direct, dict) else None
    people = values.get(StepKind.COUNT)
    try:
        line = CostLine(
            bearer=bearer[0],
            what=what or "",
            staff_hours_per_occurrence=_decimal(values.get(StepKind.DURATION), "hours") or Decimal(0),
            occurrences_per_year=per_year,
            people=people if isinstance(people, int) and not isinstance(people, bool) else 1,
            hourly_rate=_decimal(values.get(StepKind.MONEY), "amount"),
            direct=DirectCost(
                _decimal(direct, "amount") or Decimal(0),
                "per_year" if basis == "per_year" else "per_occurrence",
            ),
        )
    except ValueError:
        # A line whose stored answers are out of range is left out rather than costed wrongly.
        return None
    how_often = readback.stored_reading(frequency, locale) or ""
    return _Costed(session.session_id, line, bearer[1], how_often, item)


def _bearer(value: str) -> Bearer:
    return next(b for b in BEARERS if b == value)


def _bearer_labels(sessions: Sequence[SessionAnswers], locale: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for session in sessions:
        for step in _all_steps(session.template):
            if step.kind is StepKind.CHOICE:
                for choice in step.choices:
                    if choice.value in BEARERS:
                        labels.setdefault(choice.value, choice.label.get(locale))
    return labels


def _costs(inputs: ReportInputs, locale: str) -> CostReport | None:
    costed = [c for session in inputs.sessions for c in cost_lines_of(session, locale)]
    if not costed:
        return None
    settings = inputs.costs
    summary = summarise_costs(
        [c.line for c in costed],
        hourly_rate_default=settings.hourly_rate_default,
        weeks_per_year=settings.weeks_per_year,
        working_day_hours=settings.working_day_hours,
        locale=locale,
    )
    labels = _bearer_labels(inputs.sessions, locale)
    lines = tuple(
        CostLineView(
            session_id=c.session_id,
            what=c.line.what,
            bearer=c.line.bearer,
            bearer_label=c.bearer_label,
            annual=cost.annual,
            item=c.item,
            staff_hours=c.line.staff_hours_per_occurrence,
            occurrences_per_year=c.line.occurrences_per_year,
            how_often=c.how_often,
            people=c.line.people,
            hourly_rate=settings.hourly_rate_default if c.line.hourly_rate is None else c.line.hourly_rate,
            rate_given=c.line.hourly_rate is not None,
            direct_amount=c.line.direct.amount,
            direct_basis=c.line.direct.basis,
        )
        for c, cost in zip(costed, summary.lines, strict=True)
    )
    return CostReport(
        total=summary.total,
        by_bearer=tuple(
            BearerTotal(bearer=b, label=labels.get(b, b.capitalize()), amount=summary.by_bearer[b])
            for b in BEARERS
        ),
        lines=lines,
        assumptions=tuple(summary.assumptions),
    )


def _interventions(inputs: ReportInputs, person: _People) -> list[InterventionView]:
    """Stored interventions (every path), then any in a session's answers not stored yet."""
    found: list[InterventionView] = []
    stored_items: set[tuple[int, int]] = set()
    answers = {session.session_id: session.answers for session in inputs.sessions}
    for item in inputs.interventions:
        what = item.what
        if item.source_item is not None:
            stored_items.add((item.session_id, item.source_item))
            # An answer edited since the intervention was stored: the report says what the answer says.
            edited = _text(answers.get(item.session_id, {}), f"{INTERVENTIONS}.{item.source_item}.what")
            what = edited if edited is not None else what
        found.append(
            InterventionView(
                session_id=item.session_id,
                what=what,
                owner=person(item.owner_id),
                first_checkin=item.first_checkin.isoformat() if item.first_checkin else None,
                cadence=item.cadence,
                status=item.status,
                progress=item.progress,
            )
        )
    for session in inputs.sessions:
        for number, what in items_of(session.answers, INTERVENTIONS, "what"):
            if (session.session_id, number) in stored_items:
                continue
            owner = session.answers.get(f"{INTERVENTIONS}.{number}.owner")
            cadence = session.answers.get(f"{INTERVENTIONS}.{number}.cadence")
            found.append(
                InterventionView(
                    session_id=session.session_id,
                    what=str(what),
                    owner=person(str(owner.value))
                    if owner is not None and owner.value and not owner.skipped
                    else None,
                    first_checkin=_text(session.answers, f"{INTERVENTIONS}.{number}.first_checkin"),
                    cadence=str(cadence.value)
                    if cadence is not None and cadence.value and not cadence.skipped
                    else None,
                )
            )
    return sorted(found, key=lambda i: (i.session_id, i.first_checkin or ""))


def build_report(inputs: ReportInputs) -> ProblemReport:
    """The report of ``inputs.sessions[0]``'s problem. Single-valued parts (levels, the why chain, cause
    and effect, pain points) come from the first session that has them, so the session the report is
    for wins over older ones; costs and interventions come from every session."""
    if not inputs.sessions:
        raise ValueError("a report needs at least one session")
    locale = inputs.locale
    person = _People(inputs.names, locale)
    main = inputs.sessions[0]
    sessions: list[SessionAnswers] = []
    for session in inputs.sessions:
        if all(session.session_id != kept.session_id for kept in sessions):
            sessions.append(session)
    analysis = next((s for s in sessions if items_of(s.answers, "whys", "answer")), None)
    problem = next((text for s in sessions if (text := _text(s.answers, "problem")) is not None), None)
    levels = next((v for s in sessions if (v := _levels(s, person, locale)) is not None), None)
    pains = next((found for s in sessions if (found := _pain_points(s, person, locale))), [])
    cause_effect = next((c for s in sessions if (c := _cause_effect(s, locale)) is not None), None)
    return ProblemReport(
        session_id=main.session_id,
        template_id=main.template.id,
        title=main.template.title.get(locale),
        problem=problem,
        problem_id=inputs.problem_id,
        session_ids=tuple(s.session_id for s in sessions),
        levels=levels,
        pain_points=tuple(pains),
        cause_effect=cause_effect,
        whys=_chain(analysis.answers, "whys") if analysis else (),
        root_cause=root_cause_of(analysis.answers) if analysis else None,
        branch_whys=_chain(analysis.answers, "branch_whys") if analysis else (),
        branch_root_cause=_text(analysis.answers, "branch_root_cause") if analysis else None,
        classification=classification_of(analysis.template, analysis.answers, person) if analysis else None,
        costs=_costs(inputs, locale),
        interventions=tuple(_interventions(inputs, person)),
    )

"""Built-in computations a template can ask for in its summary (``computed:`` in the template YAML).

A computation reads its figures from the problem's report (:mod:`flows.report`), never from the
answers directly, so the thread summary shows the same figures as the leads post, the exports and the
Home tab. Each computation returns plain sections that :func:`flows.summary.build_summary` appends to
the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flows.costs import format_pounds
from flows.i18n import t
from flows.report import ProblemReport


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


# Cost lines (session id, item) a summary already shows with their yearly figure.
ShownLines = frozenset[tuple[int, int]]
Computation = Callable[[ProblemReport, str, ShownLines], tuple[ComputedSection, ...]]


def cost_totals(
    report: ProblemReport, locale: str, shown: ShownLines = frozenset()
) -> tuple[ComputedSection, ...]:
    """Cost a year: the total, each bearer's share, each line not already shown beside its answers
    (a line of another session on the same problem), and the assumptions behind them."""
    costs = report.costs
    if costs is None:
        return ()
    rows = [ComputedRow(t("cost_total_label", locale), format_pounds(costs.total, locale))]
    rows += [ComputedRow(share.label, format_pounds(share.amount, locale)) for share in costs.by_bearer]
    per_line = tuple(
        ComputedRow(
            "",
            t("cost_line_elsewhere", locale, what=line.what, amount=format_pounds(line.annual, locale)),
            (line.bearer_label,),
        )
        for line in costs.lines
        if line.item is None or (line.session_id, line.item) not in shown
    )
    assumptions = tuple(ComputedRow("", sentence) for sentence in costs.assumptions)
    sections = [ComputedSection(t("cost_totals_heading", locale), tuple(rows))]
    if per_line:
        heading = t("cost_lines_other_heading" if shown else "cost_lines_heading", locale)
        sections.append(ComputedSection(heading, per_line, numbered=True))
    sections.append(ComputedSection(t("cost_assumptions_heading", locale), assumptions, numbered=True))
    return tuple(sections)


COMPUTATIONS: dict[str, Computation] = {"cost_totals": cost_totals}


def computed_sections(
    names: tuple[str, ...], report: ProblemReport, locale: str, shown: ShownLines = frozenset()
) -> tuple[ComputedSection, ...]:
    """Every computation ``names`` lists (a template's ``computed:``), in order; ``shown``: the cost
    lines the summary already shows beside their answers."""
    return tuple(section for name in names for section in COMPUTATIONS[name](report, locale, shown))

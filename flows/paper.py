"""A Word paper (``.docx``) on one problem, for a head of service to put in front of a committee.

Sections: the problem; the analysis from every playbook tool the team used (levels, pain points,
cause and effect, the why chain); the root cause and its classification; the yearly costs with who
bears them, the cost chart and the assumptions; the interventions with owners and dates; and an
appendix on the method (the tools used and what each is for). Every figure is read from the
:class:`flows.report.ProblemReport`; people are named by the names in the report, never by Slack id.

python-docx is imported only when a paper is written. Pure: no Slack, no SQL.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flows.charts import Chart
from flows.costs import format_pounds
from flows.dates import readable_date
from flows.i18n import DEFAULT_LOCALE, t
from flows.report import Person, ProblemReport

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class ToolUsed:
    """A playbook tool (template) the team used on the problem, with what it is for."""

    session_id: int
    title: str
    description: str


def _name(who: Person | None, locale: str) -> str:
    return who.name if who is not None else t("paper_nobody", locale)


def _table(document: Any, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = document.add_table(rows=1, cols=len(header))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text


def _numbered(document: Any, items: Sequence[str]) -> None:
    for item in items:
        document.add_paragraph(item, style="List Number")


def write_paper(
    report: ProblemReport,
    *,
    tools: Sequence[ToolUsed],
    chart: Chart | None,
    prepared: str,
    locale: str = DEFAULT_LOCALE,
) -> bytes:
    """The paper as ``.docx`` bytes. ``prepared``: when it was written, as people read it."""
    from docx import Document
    from docx.shared import Inches

    document = Document()
    problem = " ".join((report.problem or "").split())
    document.core_properties.title = t("paper_title", locale, problem=problem or report.title)
    document.add_heading(t("paper_title", locale, problem=problem or report.title), level=0)
    document.add_paragraph(
        t("paper_prepared", locale, when=prepared, sessions=", ".join(str(n) for n in report.session_ids))
    )

    document.add_heading(t("paper_problem", locale), level=1)
    document.add_paragraph(report.problem or t("paper_no_problem", locale))

    document.add_heading(t("paper_analysis", locale), level=1)
    if not (report.levels or report.pain_points or report.cause_effect or report.whys or report.branch_whys):
        document.add_paragraph(t("paper_no_analysis", locale))
    if report.levels is not None:
        document.add_heading(t("paper_levels", locale), level=2)
        for level in report.levels.levels:
            paragraph = document.add_paragraph(style="List Bullet")
            paragraph.add_run(f"{level.label}: ").bold = True
            paragraph.add_run(level.text)
        if report.levels.chosen:
            document.add_paragraph(t("paper_level_chosen", locale, level=report.levels.chosen))
        if report.levels.evidence:
            document.add_paragraph(t("paper_evidence", locale, evidence=report.levels.evidence))
    if report.pain_points:
        document.add_heading(t("paper_pain_points", locale), level=2)
        _table(
            document,
            [t(f"paper_pain_{c}", locale) for c in ("rank", "text", "who", "how_often", "severity")],
            [
                [
                    str(p.rank) if p.rank is not None else "—",
                    p.text,
                    p.who or "—",
                    p.how_often or "—",
                    str(p.severity) if p.severity is not None else "—",
                ]
                for p in report.pain_points
            ],
        )
    if report.cause_effect is not None:
        ce = report.cause_effect
        document.add_heading(t("paper_cause_effect", locale), level=2)
        if ce.causes:
            document.add_paragraph(t("paper_causes", locale)).runs[0].bold = True
            for cause in ce.causes:
                document.add_paragraph(cause, style="List Bullet")
        if ce.impacts:
            document.add_paragraph(t("paper_impacts", locale)).runs[0].bold = True
            for impact in ce.impacts:
                extra = ", ".join(
                    x for x in (impact.bearer, str(impact.severity) if impact.severity else None) if x
                )
                document.add_paragraph(
                    f"{impact.text} ({extra})" if extra else impact.text, style="List Bullet"
                )
        if ce.scope:
            document.add_paragraph(t("paper_scope", locale, scope=ce.scope))
    if report.whys:
        document.add_heading(t("paper_whys", locale), level=2)
        _numbered(document, report.whys)
    if report.branch_whys:
        document.add_heading(t("paper_branch_whys", locale), level=2)
        _numbered(document, report.branch_whys)

    document.add_heading(t("paper_root_cause", locale), level=1)
    document.add_paragraph(report.root_cause or t("paper_no_root_cause", locale))
    if report.branch_root_cause:
        document.add_paragraph(t("paper_branch_root_cause", locale, text=report.branch_root_cause))
    if report.classification is not None:
        c = report.classification
        document.add_paragraph(
            t(
                f"paper_classification_{c.status}",
                locale,
                scope=c.scope,
                category=c.category,
                who=_name(c.by, locale),
            )
        )

    document.add_heading(t("paper_costs", locale), level=1)
    if report.costs is None:
        document.add_paragraph(t("paper_no_costs", locale))
    else:
        costs = report.costs
        document.add_paragraph(t("paper_cost_total", locale, total=format_pounds(costs.total))).runs[
            0
        ].bold = True
        _table(
            document,
            [t("paper_cost_bearer", locale), t("paper_cost_amount", locale)],
            [[share.label, format_pounds(share.amount)] for share in costs.by_bearer],
        )
        if chart is not None:
            document.add_paragraph()
            document.add_picture(io.BytesIO(chart.png), width=Inches(6))
            document.add_paragraph(chart.alt_text, style="Caption")
        document.add_heading(t("paper_cost_lines", locale), level=2)
        _table(
            document,
            [t(f"paper_cost_{c}", locale) for c in ("what", "bearer", "how_often", "amount")],
            [
                [line.what, line.bearer_label, line.how_often or "—", format_pounds(line.annual)]
                for line in costs.costliest
            ],
        )
        document.add_heading(t("paper_assumptions", locale), level=2)
        for assumption in costs.assumptions:
            document.add_paragraph(assumption, style="List Bullet")

    document.add_heading(t("paper_interventions", locale), level=1)
    if not report.interventions:
        document.add_paragraph(t("paper_no_interventions", locale))
    else:
        _table(
            document,
            [
                t(f"paper_intervention_{c}", locale)
                for c in ("what", "owner", "first_checkin", "cadence", "status")
            ],
            [
                [
                    item.what,
                    _name(item.owner, locale),
                    readable_date(item.first_checkin, locale),
                    item.cadence or "—",
                    t(f"paper_status_{item.status or 'open'}", locale),
                ]
                for item in report.interventions
            ],
        )

    document.add_page_break()  # type: ignore[no-untyped-call]
    document.add_heading(t("paper_method", locale), level=1)
    document.add_paragraph(t("paper_method_intro", locale))
    for tool in tools:
        paragraph = document.add_paragraph(style="List Bullet")
        paragraph.add_run(
            t("paper_method_tool", locale, title=tool.title, session=tool.session_id)
        ).bold = True
        paragraph.add_run(f" {tool.description}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

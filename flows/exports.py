"""What ``/playbook export`` and ``/playbook my-data`` put in files. Pure: no Slack, no SQL.

- :func:`summary_markdown`: the problem report as Markdown a head of service could paste into a
  committee paper, with nothing cut (the Slack post shortens long lists);
- :func:`answers_csv`: every version of every answer, in the order the questions were asked, with the
  question beside its key and people named (never by Slack user id);
- :func:`costs_xlsx`: the cost lines with each line's yearly cost and the totals, the totals by who
  bears them, and the assumptions; :func:`costs_csv`: the same lines and totals as CSV;
- :func:`session_files` and :func:`my_data_file`: those contents with their file names and titles.

Every figure comes from the :class:`~flows.report.ProblemReport`. A cell a spreadsheet would read as a
formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written as text: with
a leading apostrophe in the CSV, as a string cell in the workbook. Every heading and label a person
reads comes from the message catalogue, in the session's language.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from flows.classification_step import category_name, scope_name
from flows.costs import format_pounds
from flows.dates import readable_date
from flows.engine import display_value
from flows.formatting import format_money, format_number
from flows.i18n import DEFAULT_LOCALE, t
from flows.report import ClassificationView, CostReport, Person, ProblemReport
from flows.schema import Repeat, Template

# The CSV's columns, in order; each heading is the catalogue's ``export_csv_<column>``.
CSV_COLUMNS = (
    "session",
    "question",
    "key",
    "version",
    "answer",
    "value_json",
    "typed",
    "skipped",
    "retracted",
    "author",
    "answered_at",
)
MY_DATA_FILENAME = "playbook-my-data.json"
# What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AnswerRow:
    """One stored version of one answer; ``author`` is the person's name, never a Slack user id."""

    session_id: int
    key: str
    version: int
    value: Any
    typed: str | None
    skipped: bool
    retracted: bool
    author: str
    answered_at: datetime | None


@dataclass(frozen=True)
class ExportFile:
    filename: str
    title: str
    content: str | bytes


def as_text(value: str) -> str:
    """``value`` as a spreadsheet will show it, never run it: a leading apostrophe before a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# --- Markdown ------------------------------------------------------------------------------------------


def _heading(key: str, locale: str, **values: Any) -> list[str]:
    return [f"## {t(key, locale, **values)}", ""]


def _numbered(items: Sequence[str]) -> list[str]:
    return [f"{n}. {_line(text)}" for n, text in enumerate(items, start=1)]


def _line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _line(text).replace("|", "\\|")


def _name(person: Person | None, locale: str) -> str:
    return person.name if person is not None else t("export_md_owner_not_set", locale)


def _decided(view: ClassificationView, locale: str) -> str:
    by = view.by.name if view.by is not None else t("export_md_unknown_person", locale)
    if view.status == "proposed":
        return t("export_md_decided_proposed", locale)
    if view.status == "changed":
        return t(
            "export_md_decided_changed",
            locale,
            by=by,
            proposed_scope=scope_name(view.proposed_scope, locale),
            proposed_category=category_name(view.proposed_category, locale),
        )
    return t("export_md_decided_confirmed", locale, by=by)


def _money(amount: Decimal, locale: str) -> str:
    return format_money(amount, locale)


def _costs_markdown(costs: CostReport, locale: str) -> list[str]:
    lines = _heading("export_md_annual_cost", locale, total=format_pounds(costs.total, locale))
    lines += [f"- {share.label}: {format_pounds(share.amount, locale)}" for share in costs.by_bearer]
    columns = [
        t("export_md_cost_what", locale),
        t("export_md_cost_bearer", locale),
        t("export_md_cost_how_often", locale),
        t("export_md_cost_time", locale),
        t("export_md_cost_people", locale),
        t("export_md_cost_rate", locale),
        t("export_md_cost_direct", locale),
        t("export_md_cost_annual", locale),
    ]
    lines += ["", "| " + " | ".join(columns) + " |", "| --- | --- | --- | ---: | ---: | ---: | --- | ---: |"]
    for c in costs.lines:
        direct = (
            t(f"export_md_direct_{c.direct_basis}", locale, amount=_money(c.direct_amount, locale))
            if c.direct_amount
            else "—"
        )
        cells = [
            _cell(c.what),
            c.bearer_label,
            _cell(c.how_often) or format_number(c.occurrences_per_year, locale),
            format_number(c.staff_hours, locale) if c.staff_hours else "—",
            str(c.people),
            _money(c.hourly_rate, locale) if c.staff_hours else "—",
            direct,
            format_pounds(c.annual, locale),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        f"| **{t('export_xlsx_total', locale)}** | | | | | | | **{format_pounds(costs.total, locale)}** |"
    )
    lines += ["", *_heading("export_md_assumptions", locale), *(f"- {a}" for a in costs.assumptions), ""]
    return lines


def summary_markdown(
    report: ProblemReport, *, facilitator: Person | None, when: str, locale: str = DEFAULT_LOCALE
) -> str:
    """The problem report as Markdown, with nothing cut."""
    lines = [f"# {t('export_md_title', locale, title=report.title, session=report.session_id)}", ""]
    if report.problem:
        lines += [*_heading("export_md_problem", locale), _line(report.problem), ""]
    if report.levels is not None:
        levels = report.levels
        lines += _heading("export_md_levels", locale)
        lines += [f"- **{level.label}:** {_line(level.text)}" for level in levels.levels]
        if levels.chosen:
            lines += ["", t("export_md_level_chosen", locale, level=levels.chosen)]
        if levels.evidence:
            lines += ["", t("export_md_level_evidence", locale, evidence=_line(levels.evidence))]
        lines.append("")
    if report.pain_points:
        lines += _heading("export_md_pain_points", locale)
        for n, point in enumerate(report.pain_points, start=1):
            facts = [f for f in (point.who, point.level, point.how_often) if f]
            if point.severity is not None:
                facts.append(t("export_md_severity", locale, severity=point.severity))
            if point.evidence:
                facts.append(t("export_md_evidence", locale, evidence=_line(point.evidence)))
            details = f" ({'; '.join(facts)})" if facts else ""
            top = f" {t('export_md_top_ranked', locale, rank=point.rank)}" if point.rank else ""
            lines.append(f"{n}. {_line(point.text)}{details}{top}")
        lines.append("")
    if report.cause_effect is not None:
        effect = report.cause_effect
        if effect.causes:
            lines += [*_heading("export_md_causes", locale), *_numbered(effect.causes), ""]
        if effect.impacts:
            lines += _heading("export_md_impacts", locale)
            for n, impact in enumerate(effect.impacts, start=1):
                facts = [f for f in (impact.bearer,) if f]
                if impact.severity is not None:
                    facts.append(t("export_md_severity", locale, severity=impact.severity))
                lines.append(f"{n}. {_line(impact.text)}" + (f" ({'; '.join(facts)})" if facts else ""))
            lines.append("")
        if effect.affected:
            lines += [t("export_md_affected", locale, who=", ".join(effect.affected)), ""]
        if effect.scope:
            lines += [t("export_md_scope", locale, scope=effect.scope), ""]
    if report.whys:
        lines += [*_heading("export_md_whys", locale), *_numbered(report.whys), ""]
    if report.root_cause:
        lines += [*_heading("export_md_root_cause", locale), _line(report.root_cause), ""]
    if report.branch_whys:
        lines += [*_heading("export_md_branch_whys", locale), *_numbered(report.branch_whys), ""]
    if report.branch_root_cause:
        lines += [*_heading("export_md_branch_root_cause", locale), _line(report.branch_root_cause), ""]
    view = report.classification
    if view is not None:
        lines += [
            *_heading("export_md_classification", locale),
            t(
                "export_md_classification_line",
                locale,
                scope=scope_name(view.scope, locale),
                category=category_name(view.category, locale),
                decided=_decided(view, locale),
            ),
            "",
        ]
    if report.costs is not None:
        lines += _costs_markdown(report.costs, locale)
    if report.interventions:
        lines += _heading("export_md_interventions", locale)
        for item in report.interventions:
            lines.append(
                "- "
                + t(
                    "export_md_intervention_line",
                    locale,
                    what=_line(item.what),
                    owner=_name(item.owner, locale),
                    first_checkin=readable_date(item.first_checkin, locale),
                    cadence=f", {t(f'cadence_{item.cadence}', locale)}" if item.cadence else "",
                )
            )
        lines.append("")
    lines.append(t("export_md_footer", locale, facilitator=_name(facilitator, locale), when=when))
    return "\n".join(lines) + "\n"


# --- CSV -----------------------------------------------------------------------------------------------


def question_order(template: Template, key: str) -> tuple[int, int, int]:
    """Where ``key`` is asked in ``template``: (top-level step, list item, step in the item). Keys the
    template no longer asks come last."""
    parts = key.split(".")
    for position, node in enumerate(template.steps):
        if isinstance(node, Repeat):
            if parts[0] != node.id:
                continue
            if len(parts) == 3 and parts[1].isdigit():
                inner = next((i for i, s in enumerate(node.steps) if s.id == parts[2]), len(node.steps))
                return position, int(parts[1]), inner
            return position, 1_000_000, 0  # the list's "done"
        if node.id == key:
            return position, 0, 0
    return len(template.steps), 0, 0


def question_label(template: Template, key: str, locale: str = DEFAULT_LOCALE) -> str:
    """The question a key answers, as the summary names it ("Cost line 2: How often")."""
    parts = key.split(".")
    for node in template.steps:
        if isinstance(node, Repeat) and parts[0] == node.id:
            if len(parts) == 3 and parts[1].isdigit():
                step = next((s for s in node.steps if s.id == parts[2]), None)
                if step is not None:
                    return f"{node.label.get(locale)} {parts[1]}: {step.title(locale)}"
            return node.label.get(locale)
        if not isinstance(node, Repeat) and node.id == key:
            return node.title(locale)
    return key


def _yes_no(value: bool, locale: str) -> str:
    return t("export_csv_yes" if value else "export_csv_no", locale)


def answers_csv(rows: Sequence[AnswerRow], template: Template, locale: str = DEFAULT_LOCALE) -> str:
    """Every version of every answer, in the order the questions were asked (each key's versions
    oldest first): the question, what was said, by whom, when. A retracted or skipped version has an
    empty answer; its stored value stays in ``value_json``."""
    ordered = sorted(rows, key=lambda r: (r.session_id, question_order(template, r.key), r.version))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t(f"export_csv_{column}", locale) for column in CSV_COLUMNS])
    for row in ordered:
        cells = (
            str(row.session_id),
            question_label(template, row.key, locale),
            row.key,
            str(row.version),
            "" if row.retracted or row.skipped else display_value(row.value, None, locale),
            json.dumps(row.value, ensure_ascii=False),
            row.typed or "",
            _yes_no(row.skipped, locale),
            _yes_no(row.retracted, locale),
            row.author,
            row.answered_at.isoformat() if row.answered_at else "",
        )
        writer.writerow([as_text(cell) for cell in cells])
    return out.getvalue()


_COST_LINE_COLUMNS = (
    "export_xlsx_what",
    "export_xlsx_bearer",
    "export_xlsx_how_often",
    "export_xlsx_staff_hours",
    "export_xlsx_times_a_year",
    "export_xlsx_people",
    "export_xlsx_hourly_rate",
    "export_xlsx_direct_cost",
    "export_xlsx_direct_basis",
    "export_xlsx_annual",
)


def _cost_rows(costs: CostReport, locale: str) -> list[list[Any]]:
    """The cost lines with their inputs and yearly cost, a blank row, each bearer's total and the
    total: the rows of the workbook's first sheet and of the costs CSV."""
    rows: list[list[Any]] = [[t(key, locale) for key in _COST_LINE_COLUMNS]]
    for c in costs.lines:
        rows.append(
            [
                c.what,
                c.bearer_label,
                c.how_often,
                float(c.staff_hours),
                float(c.occurrences_per_year),
                c.people,
                float(c.hourly_rate),
                float(c.direct_amount),
                t(f"export_xlsx_basis_{c.direct_basis}", locale),
                int(c.annual),
            ]
        )
    blank = [""] * (len(_COST_LINE_COLUMNS) - 2)
    rows.append([])
    rows += [[share.label, *blank, int(share.amount)] for share in costs.by_bearer]
    rows.append([t("export_xlsx_total", locale), *blank, int(costs.total)])
    return rows


def costs_csv(costs: CostReport, locale: str = DEFAULT_LOCALE) -> str:
    """The cost lines, each bearer's total and the total, for those without a spreadsheet program."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in _cost_rows(costs, locale):
        writer.writerow([as_text(cell) if isinstance(cell, str) else _plain(cell) for cell in row])
    return out.getvalue()


def _plain(number: float | int) -> str:
    """``0.5``, ``520``: a number as a spreadsheet reads it, without a trailing ``.0``."""
    return str(int(number)) if float(number).is_integer() else str(number)


# --- Excel ---------------------------------------------------------------------------------------------


def _append(sheet: Worksheet, values: Sequence[Any]) -> None:
    """A row; every text is a string cell, so a cell beginning with ``=`` is shown, never calculated."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row] if values else ():
        if isinstance(cell.value, str):
            cell.data_type = "s"


def costs_xlsx(costs: CostReport, locale: str = DEFAULT_LOCALE) -> bytes:
    """A workbook: the cost lines with their inputs, each line's yearly cost and the totals; the totals
    by who bears them; the assumptions."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = t("export_xlsx_lines_sheet", locale)
    for row in _cost_rows(costs, locale):
        _append(sheet, row)
    totals = book.create_sheet(t("export_xlsx_totals_sheet", locale))
    _append(totals, [t("export_xlsx_bearer", locale), t("export_xlsx_annual", locale)])
    for share in costs.by_bearer:
        _append(totals, [share.label, int(share.amount)])
    _append(totals, [t("export_xlsx_total", locale), int(costs.total)])
    notes = book.create_sheet(t("export_xlsx_assumptions_sheet", locale))
    for sentence in costs.assumptions:
        _append(notes, [sentence])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the files -----------------------------------------------------------------------------------------


def session_files(
    report: ProblemReport,
    rows: Sequence[AnswerRow],
    template: Template,
    *,
    facilitator: Person | None,
    when: str,
    locale: str = DEFAULT_LOCALE,
) -> list[ExportFile]:
    """A session's export: the Markdown report, the answers' CSV and, when the problem has cost
    lines, the cost workbook."""
    session = report.session_id
    stem = f"playbook-session-{session}"
    files = [
        ExportFile(
            filename=f"{stem}-summary.md",
            title=t("export_title_summary", locale, session=session),
            content=summary_markdown(report, facilitator=facilitator, when=when, locale=locale),
        ),
        ExportFile(
            filename=f"{stem}-answers.csv",
            title=t("export_title_answers", locale, session=session),
            content=answers_csv(rows, template, locale),
        ),
    ]
    if report.costs is not None:
        files += [
            ExportFile(
                filename=f"{stem}-costs.xlsx",
                title=t("export_title_costs", locale, session=session),
                content=costs_xlsx(report.costs, locale),
            ),
            ExportFile(
                filename=f"{stem}-costs.csv",
                title=t("export_title_costs_csv", locale, session=session),
                content=costs_csv(report.costs, locale),
            ),
        ]
    return files


def my_data_file(data: Mapping[str, Any], locale: str = DEFAULT_LOCALE) -> ExportFile:
    """Everything stored about one person, as indented JSON."""
    return ExportFile(
        filename=MY_DATA_FILENAME,
        title=t("my_data_title", locale),
        content=json.dumps(data, indent=2, ensure_ascii=False, default=str),
    )

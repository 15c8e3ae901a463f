"""What ``/playbook export`` and ``/playbook my-data`` put in files. Pure: no Slack, no SQL.

- :func:`summary_markdown`: the leads summary as Markdown, with nothing cut (the Slack post shortens
  long lists);
- :func:`answers_csv`: every version of every answer (with who and when), from plain
  :class:`AnswerRow` values;
- :func:`costs_xlsx`: the cost impacts as a workbook leads can open and rework;
- :func:`session_files` and :func:`my_data_file`: those contents with their file names and titles.

Every heading and label a person reads comes from the message catalogue, in the session's language.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook

from flows.classification_step import category_name, scope_name
from flows.costs import format_pounds
from flows.dates import readable_date
from flows.engine import display_value
from flows.i18n import DEFAULT_LOCALE, t
from flows.leads_summary import ClassificationView, CostBreakdown, LeadsSummary

# The CSV's columns, in order; each heading is the catalogue's ``export_csv_<column>``.
CSV_COLUMNS = (
    "session",
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


@dataclass(frozen=True)
class AnswerRow:
    """One stored version of one answer."""

    session_id: int
    key: str
    version: int
    value: Any
    typed: str | None
    skipped: bool
    retracted: bool
    author_id: str
    answered_at: datetime | None


@dataclass(frozen=True)
class ExportFile:
    filename: str
    title: str
    content: str | bytes


# --- Markdown ------------------------------------------------------------------------------------------


def _heading(key: str, locale: str, **values: Any) -> list[str]:
    return [f"## {t(key, locale, **values)}", ""]


def _numbered(items: Sequence[str]) -> list[str]:
    return [f"{n}. {text}" for n, text in enumerate(items, start=1)]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _decided(view: ClassificationView, locale: str) -> str:
    by = view.by or t("export_md_unknown_person", locale)
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


def summary_markdown(
    summary: LeadsSummary, *, facilitator: str, when: str, locale: str = DEFAULT_LOCALE
) -> str:
    """The leads summary as Markdown, with nothing cut."""
    lines = [f"# {t('export_md_title', locale, title=summary.title, session=summary.session_id)}", ""]
    if summary.problem:
        lines += [*_heading("export_md_problem", locale), summary.problem, ""]
    if summary.whys:
        lines += [*_heading("export_md_whys", locale), *_numbered(summary.whys), ""]
    if summary.root_cause:
        lines += [*_heading("export_md_root_cause", locale), summary.root_cause, ""]
    if summary.branch_whys:
        lines += [*_heading("export_md_branch_whys", locale), *_numbered(summary.branch_whys), ""]
    if summary.branch_root_cause:
        lines += [*_heading("export_md_branch_root_cause", locale), summary.branch_root_cause, ""]
    view = summary.classification
    if view is not None:
        decided = _decided(view, locale)
        lines += [
            *_heading("export_md_classification", locale),
            t(
                "export_md_classification_line",
                locale,
                scope=scope_name(view.scope, locale),
                category=category_name(view.category, locale),
                decided=decided,
            ),
            "",
        ]
    if summary.pain_points:
        lines += _heading("export_md_pain_points", locale)
        for n, point in enumerate(summary.pain_points, start=1):
            details = f" ({'; '.join(point.details)})" if point.details else ""
            lines.append(f"{n}. {point.text}{details}")
        lines.append("")
    if summary.costs is not None:
        costs = summary.costs
        lines += _heading("export_md_annual_cost", locale, total=format_pounds(costs.total))
        lines += [f"- {bearer.capitalize()}: {format_pounds(amount)}" for bearer, amount in costs.by_bearer]
        columns = (t("export_md_cost_what", locale), t("export_md_cost_bearer", locale))
        lines += ["", f"| {columns[0]} | {columns[1]} | {t('export_md_cost_annual', locale)} |"]
        lines.append("| --- | --- | ---: |")
        lines += [f"| {_cell(c.what)} | {c.bearer} | {format_pounds(c.annual)} |" for c in costs.lines]
        lines += ["", *costs.assumptions, ""]
    if summary.interventions:
        lines += _heading("export_md_interventions", locale)
        for item in summary.interventions:
            lines.append(
                "- "
                + t(
                    "export_md_intervention_line",
                    locale,
                    what=item.what,
                    owner=item.owner or t("export_md_owner_not_set", locale),
                    first_checkin=readable_date(item.first_checkin),
                    cadence=f", {item.cadence}" if item.cadence else "",
                )
            )
        lines.append("")
    lines.append(t("export_md_footer", locale, facilitator=facilitator, when=when))
    return "\n".join(lines) + "\n"


# --- CSV -----------------------------------------------------------------------------------------------


def _yes_no(value: bool, locale: str) -> str:
    return t("export_csv_yes" if value else "export_csv_no", locale)


def answers_csv(rows: Sequence[AnswerRow], locale: str = DEFAULT_LOCALE) -> str:
    """Every version of every answer, in the order given (oldest first per key): what was said, by
    whom, when. A retracted or skipped version has an empty answer; its stored value stays in
    ``value_json``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t(f"export_csv_{column}", locale) for column in CSV_COLUMNS])
    for row in rows:
        writer.writerow(
            (
                row.session_id,
                row.key,
                row.version,
                "" if row.retracted or row.skipped else display_value(row.value),
                json.dumps(row.value, ensure_ascii=False),
                row.typed or "",
                _yes_no(row.skipped, locale),
                _yes_no(row.retracted, locale),
                row.author_id,
                row.answered_at.isoformat() if row.answered_at else "",
            )
        )
    return out.getvalue()


# --- Excel ---------------------------------------------------------------------------------------------

_COST_LINE_COLUMNS = (
    "export_xlsx_what",
    "export_xlsx_bearer",
    "export_xlsx_staff_hours",
    "export_xlsx_times_a_year",
    "export_xlsx_people",
    "export_xlsx_hourly_rate",
    "export_xlsx_direct_cost",
    "export_xlsx_direct_basis",
    "export_xlsx_annual",
)


def costs_xlsx(costs: CostBreakdown, locale: str = DEFAULT_LOCALE) -> bytes:
    """A workbook: the cost lines with their inputs, the totals by bearer, the assumptions."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = t("export_xlsx_lines_sheet", locale)
    sheet.append([t(key, locale) for key in _COST_LINE_COLUMNS])
    for c in costs.lines:
        sheet.append(
            [
                c.what,
                c.bearer,
                float(c.staff_hours),
                float(c.occurrences_per_year),
                c.people,
                float(c.hourly_rate),
                float(c.direct_amount),
                c.direct_basis.replace("_", " "),
                int(c.annual),
            ]
        )
    totals = book.create_sheet(t("export_xlsx_totals_sheet", locale))
    totals.append([t("export_xlsx_bearer", locale), t("export_xlsx_annual", locale)])
    for bearer, amount in costs.by_bearer:
        totals.append([bearer, int(amount)])
    totals.append([t("export_xlsx_total", locale), int(costs.total)])
    notes = book.create_sheet(t("export_xlsx_assumptions_sheet", locale))
    for sentence in costs.assumptions:
        notes.append([sentence])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the files -----------------------------------------------------------------------------------------


def session_files(
    summary: LeadsSummary,
    rows: Sequence[AnswerRow],
    *,
    facilitator: str,
    when: str,
    locale: str = DEFAULT_LOCALE,
) -> list[ExportFile]:
    """A session's export: the Markdown summary, the answers' CSV and, when the problem has cost
    lines, the cost workbook."""
    session = summary.session_id
    stem = f"playbook-session-{session}"
    files = [
        ExportFile(
            filename=f"{stem}-summary.md",
            title=t("export_title_summary", locale, session=session),
            content=summary_markdown(summary, facilitator=facilitator, when=when, locale=locale),
        ),
        ExportFile(
            filename=f"{stem}-answers.csv",
            title=t("export_title_answers", locale, session=session),
            content=answers_csv(rows, locale),
        ),
    ]
    if summary.costs is not None:
        files.append(
            ExportFile(
                filename=f"{stem}-costs.xlsx",
                title=t("export_title_costs", locale, session=session),
                content=costs_xlsx(summary.costs, locale),
            )
        )
    return files


def my_data_file(data: Mapping[str, Any], locale: str = DEFAULT_LOCALE) -> ExportFile:
    """Everything stored about one person, as indented JSON."""
    return ExportFile(
        filename=MY_DATA_FILENAME,
        title=t("my_data_title", locale),
        content=json.dumps(data, indent=2, ensure_ascii=False, default=str),
    )

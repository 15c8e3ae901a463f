"""``/playbook export <session>``: a Markdown summary, a CSV of every answer version (with who and
when) and, when the problem has cost lines, an ``.xlsx`` of the cost impacts, uploaded to the session's
conversation with ``files_upload_v2`` (``files.getUploadURLExternal`` + ``files.completeUploadExternal``).

The renderers are pure functions of the summary model and the stored rows, so they are tested on their
own; :func:`export_session` does the checks, the reading and the upload.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence

from openpyxl import Workbook
from slack_sdk import WebClient

from bot import roles
from bot.deps import Deps
from bot.errors import NotAllowed, SessionNotFound
from bot.services.leads import summary_for_session
from bot.services.workspace import local_time, settings_for
from bot.views.leads import readable_date
from flows.costs import format_pounds
from flows.engine import display_value
from flows.i18n import t
from flows.leads_summary import CostBreakdown, LeadsSummary
from storage.models import AnswerVersion

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
_SESSION_REF = re.compile(r"^#?(\d{1,9})$")


def summary_markdown(summary: LeadsSummary, *, facilitator: str, when: str) -> str:
    """The leads summary as Markdown, with nothing cut (the Slack post shortens long lists)."""
    lines = [f"# {summary.title}: session {summary.session_id}", ""]
    if summary.problem:
        lines += ["## Problem", "", summary.problem, ""]
    if summary.whys:
        lines += ["## Why chain", ""] + [f"{n}. {w}" for n, w in enumerate(summary.whys, start=1)] + [""]
    if summary.root_cause:
        lines += ["## Root cause", "", summary.root_cause, ""]
    if summary.branch_whys:
        lines += ["## Second branch", ""]
        lines += [f"{n}. {w}" for n, w in enumerate(summary.branch_whys, start=1)] + [""]
    if summary.branch_root_cause:
        lines += ["## Second-branch root cause", "", summary.branch_root_cause, ""]
    view = summary.classification
    if view is not None:
        if view.status == "proposed":
            decided = "proposed, not yet confirmed"
        else:
            decided = f"{view.status} by {view.by or 'unknown'}"
            if view.status == "changed":
                decided += f" (proposed: {view.proposed_scope}, {view.proposed_category})"
        lines += [
            "## Scope and category",
            "",
            f"Scope **{view.scope}**, category **{view.category}**: {decided}.",
            "",
        ]
    if summary.pain_points:
        lines += ["## Top pain points", ""]
        for n, point in enumerate(summary.pain_points, start=1):
            details = f" ({'; '.join(point.details)})" if point.details else ""
            lines.append(f"{n}. {point.text}{details}")
        lines.append("")
    if summary.costs is not None:
        costs = summary.costs
        lines += [f"## Annual cost: {format_pounds(costs.total)}", ""]
        lines += [f"- {bearer.capitalize()}: {format_pounds(amount)}" for bearer, amount in costs.by_bearer]
        lines += ["", "| What | Who bears it | A year |", "| --- | --- | ---: |"]
        lines += [f"| {_cell(c.what)} | {c.bearer} | {format_pounds(c.annual)} |" for c in costs.lines]
        lines += ["", *costs.assumptions, ""]
    if summary.interventions:
        lines += ["## Interventions", ""]
        for item in summary.interventions:
            cadence = f", {item.cadence}" if item.cadence else ""
            lines.append(
                f"- {item.what} (owner {item.owner or 'not set'}, first check-in "
                f"{readable_date(item.first_checkin)}{cadence})"
            )
        lines.append("")
    lines.append(f"_Facilitated by {facilitator}; exported {when}._")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def answers_csv(rows: Sequence[AnswerVersion]) -> str:
    """Every version of every answer, oldest first per key: what was said, by whom, when."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.session_id,
                row.key,
                row.version,
                "" if row.retracted or row.skipped else display_value(row.value),
                json.dumps(row.value, ensure_ascii=False),
                row.raw_text or "",
                "yes" if row.skipped else "no",
                "yes" if row.retracted else "no",
                row.author_id,
                row.created_at.isoformat() if row.created_at else "",
            )
        )
    return out.getvalue()


def costs_xlsx(costs: CostBreakdown) -> bytes:
    """A workbook: the cost lines with their inputs, the totals by bearer, the assumptions."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Cost lines"
    sheet.append(
        [
            "What",
            "Who bears it",
            "Staff hours each time",
            "Times a year",
            "People",
            "Hourly rate (£)",
            "Direct cost (£)",
            "Direct cost basis",
            "Annual cost (£)",
        ]
    )
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
    totals = book.create_sheet("Totals")
    totals.append(["Who bears it", "Annual cost (£)"])
    for bearer, amount in costs.by_bearer:
        totals.append([bearer, int(amount)])
    totals.append(["Total", int(costs.total)])
    notes = book.create_sheet("Assumptions")
    for sentence in costs.assumptions:
        notes.append([sentence])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_session(deps: Deps, client: WebClient, team_id: str, user_id: str, argument: str) -> str:
    """Upload the session's files to its conversation; returns the reply for the person who asked."""
    match = _SESSION_REF.match(argument.strip())
    if match is None:
        return t("export_needs_session")
    session_id = int(match.group(1))
    with deps.uow() as uow:
        session = uow.sessions.get(team_id, session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", session=session_id))
        workspace = uow.workspaces.get(team_id)
        if not (roles.is_participant(session, user_id) or roles.is_lead(workspace, user_id)):
            raise NotAllowed(t("export_not_allowed"))
        settings = settings_for(deps, uow, team_id)
        summary = summary_for_session(uow, session, settings)
        rows = list(uow.answers.history(session.id))
        channel, thread_ts, is_dm = session.channel_id, session.thread_ts, session.is_dm
        facilitator = session.facilitator_id
    when = local_time(settings, deps.clock.now())
    stem = f"playbook-session-{session_id}"
    uploads: list[dict[str, object]] = [
        {
            "content": summary_markdown(summary, facilitator=facilitator, when=when),
            "filename": f"{stem}-summary.md",
            "title": f"Session {session_id} summary",
        },
        {
            "content": answers_csv(rows),
            "filename": f"{stem}-answers.csv",
            "title": f"Session {session_id} answers",
        },
    ]
    if summary.costs is not None:
        uploads.append(
            {
                "content": costs_xlsx(summary.costs),
                "filename": f"{stem}-costs.xlsx",
                "title": f"Session {session_id} cost impacts",
            }
        )
    client.files_upload_v2(
        file_uploads=uploads,
        channel=channel,
        thread_ts=None if is_dm else thread_ts,
        initial_comment=t(
            "export_comment", session=session_id, xlsx=t("export_comment_xlsx") if summary.costs else ""
        ),
    )
    where = "our DM" if is_dm else f"<#{channel}>"
    return t("export_done", session=session_id, where=where)

"""The export renderers (no Slack, no database): the Markdown summary, the CSV of every answer
version, the cost workbook, and the files of a session's export and of my-data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flows.leads_summary import (
    ClassificationView,
    CostBreakdown,
    CostLineView,
    InterventionView,
    LeadsSummary,
    PainPoint,
)
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from flows.exports import (
    CSV_COLUMNS,
    AnswerRow,
    answers_csv,
    costs_xlsx,
    my_data_file,
    session_files,
    summary_markdown,
)

WHEN = "25 November 2026, 10:00"
COSTS = CostBreakdown(
    total=Decimal(7800),
    by_bearer=(("staff", Decimal(7800)),),
    lines=(
        CostLineView(
            what="Chasing | refunds",
            bearer="staff",
            annual=Decimal(7800),
            staff_hours=Decimal("0.5"),
            occurrences_per_year=Decimal(520),
            people=1,
            hourly_rate=Decimal(30),
            direct_amount=Decimal(0),
            direct_basis="per_occurrence",
        ),
    ),
    assumptions=("Staff time is costed at £30 an hour.",),
)
SUMMARY = LeadsSummary(
    session_id=7,
    title="Five whys",
    problem="Refunds <take> months & more",
    whys=("Forms are lost", "Nobody owns the inbox"),
    root_cause="Nobody owns the inbox",
    classification=ClassificationView(
        scope="service",
        category="process",
        status="changed",
        by="U0FAC",
        proposed_scope="product",
        proposed_category="technology",
    ),
    pain_points=(PainPoint(text="Residents chase", details=("daily", "severity 4")),),
    costs=COSTS,
    interventions=(
        InterventionView(
            session_id=7, item=1, what="Name an owner", owner="U0ALEX", first_checkin="2026-12-02"
        ),
        InterventionView(session_id=7, item=2, what="Publish times", cadence="monthly"),
    ),
)


def test_markdown_has_every_part_with_its_heading_and_nothing_escaped() -> None:
    text = summary_markdown(SUMMARY, facilitator="U0FAC", when=WHEN)
    assert text.startswith("# Five whys: session 7\n\n## Problem\n\nRefunds <take> months & more\n")
    assert "## Why chain\n\n1. Forms are lost\n2. Nobody owns the inbox\n" in text
    assert "## Root cause\n\nNobody owns the inbox\n" in text
    assert (
        "Scope **service**, category **process**: changed by U0FAC (proposed: product, technology)." in text
    )
    assert "## Top pain points\n\n1. Residents chase (daily; severity 4)\n" in text
    assert "## Annual cost: £7,800\n\n- Staff: £7,800\n" in text
    assert "| Chasing \\| refunds | staff | £7,800 |" in text  # a pipe can't break the table
    assert "Staff time is costed at £30 an hour." in text
    assert "- Name an owner (owner U0ALEX, first check-in 2 December 2026)" in text
    assert "- Publish times (owner not set, first check-in —, monthly)" in text
    assert text.endswith(f"_Facilitated by U0FAC; exported {WHEN}._\n")


def test_markdown_of_a_proposal_and_of_a_bare_session() -> None:
    proposed = SUMMARY.model_copy(
        update={"classification": SUMMARY.classification.model_copy(update={"status": "proposed"})}  # type: ignore[union-attr]
    )
    assert "**process**: proposed, not yet confirmed." in summary_markdown(
        proposed, facilitator="F", when=WHEN
    )
    bare = LeadsSummary(session_id=3, title="Pain points", problem=None)
    text = summary_markdown(bare, facilitator="F", when=WHEN)
    assert "##" not in text and text.startswith("# Pain points: session 3\n")


def _row(key: str, version: int, value: Any, **flags: Any) -> AnswerRow:
    return AnswerRow(
        session_id=7,
        key=key,
        version=version,
        value=value,
        typed=flags.get("typed"),
        skipped=flags.get("skipped", False),
        retracted=flags.get("retracted", False),
        author_id=flags.get("author", "U0FAC"),
        answered_at=datetime(2026, 11, 25, 10, version, tzinfo=UTC),
    )


def test_the_csv_has_every_version_with_who_and_when() -> None:
    rows = [
        _row("problem", 1, 'Refunds, "slow"\nand lost', typed='Refunds, "slow"\nand lost'),
        _row("second_branch", 1, True),
        _row("second_branch", 2, True, retracted=True, author="U0SAM"),
        _row("evidence", 1, None, skipped=True),
    ]
    parsed = list(csv.DictReader(io.StringIO(answers_csv(rows))))
    assert list(parsed[0]) == list(CSV_COLUMNS)
    assert parsed[0]["answer"] == 'Refunds, "slow"\nand lost'  # quoted, not split into columns
    assert [(r["key"], r["version"], r["retracted"], r["author"]) for r in parsed[1:3]] == [
        ("second_branch", "1", "no", "U0FAC"),
        ("second_branch", "2", "yes", "U0SAM"),
    ]
    assert parsed[2]["answer"] == "" and json.loads(parsed[2]["value_json"]) is True
    assert (parsed[3]["skipped"], parsed[3]["answer"]) == ("yes", "")
    assert parsed[0]["answered_at"] == "2026-11-25T10:01:00+00:00"


@given(st.lists(st.text(max_size=40), max_size=8))
def test_any_answer_text_survives_the_csv(texts: list[str]) -> None:
    rows = [_row(f"k{n}", 1, text, typed=text) for n, text in enumerate(texts)]
    parsed = list(csv.reader(io.StringIO(answers_csv(rows), newline="")))
    column = CSV_COLUMNS.index("typed")
    assert len(parsed) == len(texts) + 1
    assert [r[column] for r in parsed[1:]] == texts


def test_the_workbook_has_lines_totals_and_assumptions() -> None:
    book = load_workbook(io.BytesIO(costs_xlsx(COSTS)))
    assert book.sheetnames == ["Cost lines", "Totals", "Assumptions"]
    header, line = list(book["Cost lines"].iter_rows(values_only=True))
    assert header[0] == "What" and header[-1] == "Annual cost (£)"
    assert line == ("Chasing | refunds", "staff", 0.5, 520, 1, 30, 0, "per occurrence", 7800)
    assert list(book["Totals"].iter_rows(values_only=True)) == [
        ("Who bears it", "Annual cost (£)"),
        ("staff", 7800),
        ("Total", 7800),
    ]
    assert list(book["Assumptions"].iter_rows(values_only=True)) == [
        ("Staff time is costed at £30 an hour.",)
    ]


def test_a_session_export_has_the_spreadsheet_only_with_costs() -> None:
    files = session_files(SUMMARY, [_row("problem", 1, "x")], facilitator="U0FAC", when=WHEN)
    assert [(f.filename, f.title) for f in files] == [
        ("playbook-session-7-summary.md", "Session 7 summary"),
        ("playbook-session-7-answers.csv", "Session 7 answers"),
        ("playbook-session-7-costs.xlsx", "Session 7 cost impacts"),
    ]
    assert isinstance(files[2].content, bytes)
    without = session_files(SUMMARY.model_copy(update={"costs": None}), [], facilitator="F", when=WHEN)
    assert [f.filename for f in without] == [
        "playbook-session-7-summary.md",
        "playbook-session-7-answers.csv",
    ]


def test_my_data_is_readable_json() -> None:
    exported = my_data_file({"user_id": "U0ALEX", "at": datetime(2026, 1, 2, tzinfo=UTC), "text": "Café"})
    assert (exported.filename, exported.title) == ("playbook-my-data.json", "Your Playbook bot data")
    assert isinstance(exported.content, str) and "Café" in exported.content
    assert json.loads(exported.content)["at"] == "2026-01-02 00:00:00+00:00"

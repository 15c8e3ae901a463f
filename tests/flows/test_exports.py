"""The export renderers (no Slack, no database): the Markdown summary, the CSV of every answer
version, the cost workbook, and the files of a session's export and of my-data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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
from flows.report import (
    BearerTotal,
    ClassificationView,
    CostLineView,
    CostReport,
    InterventionView,
    PainPointView,
    Person,
    ProblemReport,
)
from flows.schema import get_template

WHEN = "25 November 2026, 10:00"
FRAN = Person(user_id="U0FAC", name="Fran")
ALEX = Person(user_id="U0ALEX", name="Alex Jones")
FIVE_WHYS = get_template("five-whys")
COSTS = CostReport(
    total=Decimal(7800),
    by_bearer=(
        BearerTotal(bearer="residents", label="Residents", amount=Decimal(0)),
        BearerTotal(bearer="staff", label="Staff", amount=Decimal(7800)),
        BearerTotal(bearer="council services", label="Council services", amount=Decimal(0)),
    ),
    lines=(
        CostLineView(
            session_id=7,
            what="Chasing | refunds",
            bearer="staff",
            bearer_label="Staff",
            annual=Decimal(7800),
            staff_hours=Decimal("0.5"),
            occurrences_per_year=Decimal(520),
            how_often="10 times a week (520 times a year, taking 52 weeks a year)",
            people=1,
            hourly_rate=Decimal(30),
            rate_given=False,
            direct_amount=Decimal(0),
            direct_basis="per_occurrence",
        ),
    ),
    assumptions=("Staff time is costed at £30 an hour.",),
)
SUMMARY = ProblemReport(
    session_id=7,
    template_id="five-whys",
    title="Five whys",
    problem="Refunds <take> months & more",
    whys=("Forms are lost", "Nobody owns the inbox"),
    root_cause="Nobody owns the inbox",
    classification=ClassificationView(
        scope="service",
        category="process",
        status="changed",
        by=FRAN,
        proposed_scope="product",
        proposed_category="technology",
    ),
    pain_points=(
        PainPointView(text="Residents chase", who="Residents", how_often="Daily", severity=4, rank=1),
    ),
    costs=COSTS,
    interventions=(
        InterventionView(session_id=7, what="Name an owner", owner=ALEX, first_checkin="2026-12-02"),
        InterventionView(session_id=7, what="Publish times", cadence="monthly"),
    ),
)


def test_markdown_has_every_part_with_its_heading_and_names_people() -> None:
    text = summary_markdown(SUMMARY, facilitator=FRAN, when=WHEN)
    assert text.startswith("# Five whys: session 7\n\n## Problem\n\nRefunds <take> months & more\n")
    assert "## Why chain\n\n1. Forms are lost\n2. Nobody owns the inbox\n" in text
    assert "## Root cause\n\nNobody owns the inbox\n" in text
    assert "Scope **service**, category **process**: changed by Fran (proposed: product, technology)." in text
    assert "## Top pain points\n\n1. Residents chase (Residents; Daily; severity 4 of 5) — ranked 1" in text
    assert "## Annual cost: £7,800\n\n- Residents: £0\n- Staff: £7,800\n- Council services: £0\n" in text
    assert "| Chasing \\| refunds | Staff | 10 times a week" in text  # a pipe can't break the table
    assert "| **Total** | | | | | | | **£7,800** |" in text
    assert "- Staff time is costed at £30 an hour." in text
    assert "- Name an owner (owner Alex Jones, first check-in 2 December 2026)" in text
    assert "- Publish times (owner not set, first check-in —, Monthly)" in text or "monthly)" in text
    assert "U0" not in text
    assert text.endswith(f"_Facilitated by Fran; exported {WHEN}._\n")


def test_markdown_of_a_proposal_and_of_a_bare_session() -> None:
    proposed = SUMMARY.model_copy(
        update={"classification": SUMMARY.classification.model_copy(update={"status": "proposed"})}  # type: ignore[union-attr]
    )
    assert "**process**: proposed, not yet confirmed." in summary_markdown(
        proposed, facilitator=FRAN, when=WHEN
    )
    bare = ProblemReport(session_id=3, template_id="pain-points", title="Pain points", problem=None)
    text = summary_markdown(bare, facilitator=FRAN, when=WHEN)
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
        author=flags.get("author", "Fran"),
        answered_at=datetime(2026, 11, 25, 10, version, tzinfo=UTC),
    )


def test_the_csv_has_every_version_with_who_and_when() -> None:
    rows = [
        _row("problem", 1, 'Refunds, "slow"\nand lost', typed='Refunds, "slow"\nand lost'),
        _row("second_branch", 1, True),
        _row("second_branch", 2, True, retracted=True, author="Sam"),
        _row("evidence", 1, None, skipped=True),
    ]
    parsed = list(csv.DictReader(io.StringIO(answers_csv(rows, FIVE_WHYS))))
    assert list(parsed[0]) == list(CSV_COLUMNS)
    assert parsed[0]["answer"] == 'Refunds, "slow"\nand lost'  # quoted, not split into columns
    assert [(r["key"], r["version"], r["retracted"], r["author"]) for r in parsed[1:3]] == [
        ("second_branch", "1", "no", "Fran"),
        ("second_branch", "2", "yes", "Sam"),
    ]
    assert parsed[2]["answer"] == "" and json.loads(parsed[2]["value_json"]) is True
    assert (parsed[3]["skipped"], parsed[3]["answer"]) == ("yes", "")
    assert parsed[0]["answered_at"] == "2026-11-25T10:01:00+00:00"


@given(st.lists(st.text(max_size=40), max_size=8))
def test_any_answer_text_survives_the_csv(texts: list[str]) -> None:
    rows = [_row(f"k{n}", 1, text, typed=text) for n, text in enumerate(texts)]
    parsed = list(csv.reader(io.StringIO(answers_csv(rows, FIVE_WHYS), newline="")))
    column = CSV_COLUMNS.index("typed")
    assert len(parsed) == len(texts) + 1
    # Text a spreadsheet would run as a formula is kept, behind an apostrophe.
    assert [r[column] for r in parsed[1:]] == [
        "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text for text in texts
    ]


def test_the_workbook_has_lines_totals_and_assumptions() -> None:
    book = load_workbook(io.BytesIO(costs_xlsx(COSTS)))
    assert book.sheetnames == ["Cost lines", "Totals", "Assumptions"]
    header, line, _blank, *totals = list(book["Cost lines"].iter_rows(values_only=True))
    assert header[0] == "What" and header[-1] == "Annual cost (£)"
    assert line == (
        "Chasing | refunds",
        "Staff",
        "10 times a week (520 times a year, taking 52 weeks a year)",
        0.5,
        520,
        1,
        30,
        0,
        "each time",
        7800,
    )
    assert [(row[0], row[-1]) for row in totals] == [
        ("Residents", 0),
        ("Staff", 7800),
        ("Council services", 0),
        ("Total", 7800),
    ]
    assert list(book["Totals"].iter_rows(values_only=True)) == [
        ("Who bears it", "Annual cost (£)"),
        ("Residents", 0),
        ("Staff", 7800),
        ("Council services", 0),
        ("Total", 7800),
    ]
    assert list(book["Assumptions"].iter_rows(values_only=True)) == [
        ("Staff time is costed at £30 an hour.",)
    ]


def test_a_session_export_has_the_spreadsheet_only_with_costs() -> None:
    files = session_files(SUMMARY, [_row("problem", 1, "x")], FIVE_WHYS, facilitator=FRAN, when=WHEN)
    assert [(f.filename, f.title) for f in files] == [
        ("playbook-session-7-summary.md", "Session 7 summary"),
        ("playbook-session-7-answers.csv", "Session 7 answers"),
        ("playbook-session-7-costs.xlsx", "Session 7 cost impacts"),
        ("playbook-session-7-costs.csv", "Session 7 cost impacts (CSV)"),
    ]
    assert isinstance(files[2].content, bytes)
    without = session_files(
        SUMMARY.model_copy(update={"costs": None}), [], FIVE_WHYS, facilitator=FRAN, when=WHEN
    )
    assert [f.filename for f in without] == [
        "playbook-session-7-summary.md",
        "playbook-session-7-answers.csv",
    ]


def test_my_data_is_readable_json() -> None:
    exported = my_data_file({"user_id": "U0ALEX", "at": datetime(2026, 1, 2, tzinfo=UTC), "text": "Café"})
    assert (exported.filename, exported.title) == ("playbook-my-data.json", "Your Playbook bot data")
    assert isinstance(exported.content, str) and "Café" in exported.content
    assert json.loads(exported.content)["at"] == "2026-01-02 00:00:00+00:00"


HYPERLINK = '=HYPERLINK("https://example.org","x")'


def test_a_formula_is_text_in_the_csv_and_the_workbook() -> None:
    parsed = list(
        csv.DictReader(io.StringIO(answers_csv([_row("problem", 1, HYPERLINK, typed=HYPERLINK)], FIVE_WHYS)))
    )
    assert parsed[0]["answer"] == parsed[0]["typed"] == "'" + HYPERLINK
    line = COSTS.lines[0].model_copy(update={"what": HYPERLINK})
    book = load_workbook(io.BytesIO(costs_xlsx(COSTS.model_copy(update={"lines": (line,)}))))
    cell = book["Cost lines"]["A2"]
    assert cell.value == HYPERLINK and cell.data_type == "s"


def test_the_csv_follows_the_order_questions_are_asked_with_their_labels() -> None:
    rows = [
        _row("root_cause", 1, {"item": 2, "text": "b"}),
        _row("whys.2.answer", 1, "b"),
        _row("problem", 1, "p"),
        _row("whys.1.answer", 2, "a again"),
        _row("whys.1.answer", 1, "a"),
    ]
    parsed = list(csv.DictReader(io.StringIO(answers_csv(rows, FIVE_WHYS))))
    assert [(r["key"], r["version"]) for r in parsed] == [
        ("problem", "1"),
        ("whys.1.answer", "1"),
        ("whys.1.answer", "2"),
        ("whys.2.answer", "1"),
        ("root_cause", "1"),
    ]
    assert parsed[0]["question"] and parsed[1]["question"].startswith("Why")

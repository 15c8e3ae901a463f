"""The Word paper opens in python-docx and carries the report's figures; ``export … docx`` is read."""

from __future__ import annotations

import io
from decimal import Decimal

import docx
import pytest

from flows.charts import problem_cost_chart
from flows.commands import PaperRequest, paper_request
from flows.paper import ToolUsed, write_paper
from flows.report import BearerTotal, CostLineView, CostReport, InterventionView, Person, ProblemReport


@pytest.mark.parametrize(
    ("rest", "expected"),
    [
        ("12 docx", PaperRequest(12, None)),
        ("#12 DOCX", PaperRequest(12, None)),
        ("--problem 3 docx", PaperRequest(None, 3)),
        ("docx", None),
        ("12", None),
        ("--problem docx", None),
        ("twelve docx", None),
    ],
)
def test_paper_request(rest: str, expected: PaperRequest | None) -> None:
    assert paper_request(rest) == expected


def test_the_paper_carries_the_report() -> None:
    line = CostLineView(
        session_id=1,
        what="Re-keying forms",
        bearer="staff",
        bearer_label="Staff",
        annual=Decimal(9360),
        staff_hours=Decimal(1),
        occurrences_per_year=Decimal(156),
        how_often="3 a week",
        people=2,
        hourly_rate=Decimal(30),
        rate_given=False,
        direct_amount=Decimal(0),
        direct_basis="per_occurrence",
    )
    costs = CostReport(
        total=Decimal(9360),
        by_bearer=(
            BearerTotal(bearer="residents", label="Residents", amount=Decimal(0)),
            BearerTotal(bearer="staff", label="Staff", amount=Decimal(9360)),
        ),
        lines=(line,),
        assumptions=("Time is costed at £30 an hour, the default rate.",),
    )
    report = ProblemReport(
        session_id=1,
        template_id="cost-impacts",
        title="Cost impacts",
        problem="Paper forms are re-keyed",
        session_ids=(1,),
        whys=("Forms are on paper",),
        root_cause="Forms are on paper",
        costs=costs,
        interventions=(
            InterventionView(
                session_id=1,
                what="Online form",
                owner=Person(user_id="U1", name="Alex"),
                first_checkin="2026-12-04",
            ),
        ),
    )
    chart = problem_cost_chart(costs, filename="c.png")
    content = write_paper(
        report,
        tools=[ToolUsed(1, "Cost impacts", "What it costs.")],
        chart=chart,
        prepared="30 November 2026",
    )
    document = docx.Document(io.BytesIO(content))
    words = "\n".join(p.text for p in document.paragraphs)
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert "Total: £9,360 a year" in words and chart.alt_text in words
    assert ["Staff", "£9,360"] in cells and ["Residents", "£0"] in cells
    assert ["Re-keying forms", "Staff", "3 a week", "£9,360"] in cells
    assert ["Online form", "Alex", "4 December 2026", "—", "Open"] in cells
    assert "Appendix: method" in words and "Cost impacts (session 1):" in words
    assert len(document.inline_shapes) == 1

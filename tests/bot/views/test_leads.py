"""The leads post's blocks (pure): what each part says, and Slack's limits however long the report."""

from __future__ import annotations

from decimal import Decimal

from bot.views.common import MESSAGE_BLOCK_LIMIT, SECTION_LIMIT
from bot.views.leads import SHOWN_COST_LINES, leads_summary_blocks, split_for_leads
from flows.report import (
    BearerTotal,
    CauseEffectView,
    CostLineView,
    CostReport,
    ImpactView,
    InterventionView,
    Labelled,
    LevelsView,
    PainPointView,
    Person,
    ProblemReport,
)


def _line(n: int, annual: int) -> CostLineView:
    return CostLineView(
        session_id=1,
        what=f"Line {n} <!channel>",
        bearer="staff",
        bearer_label="Staff",
        annual=Decimal(annual),
        staff_hours=Decimal(1),
        occurrences_per_year=Decimal(52),
        how_often="weekly",
        people=1,
        hourly_rate=Decimal(30),
        rate_given=False,
        direct_amount=Decimal(0),
        direct_basis="per_occurrence",
    )


LONG = "word " * 1200


def _report(items: int) -> ProblemReport:
    lines = tuple(_line(n, 100 * n) for n in range(1, items + 1))
    return ProblemReport(
        session_id=4,
        template_id="cost-impacts",
        title="Cost impacts",
        problem=LONG,
        levels=LevelsView(
            levels=tuple(Labelled(label=f"Level {n}", text=LONG) for n in range(4)),
            council_wide=True,
            chosen="council-wide",
            evidence=LONG,
        ),
        pain_points=tuple(
            PainPointView(text=LONG, who="Staff", severity=3, rank=n) for n in range(1, items + 1)
        ),
        cause_effect=CauseEffectView(
            causes=tuple(LONG for _ in range(items)),
            impacts=tuple(ImpactView(text=LONG, bearer="Residents", severity=5) for _ in range(items)),
            affected=("Residents",),
            scope="Service",
        ),
        whys=tuple(LONG for _ in range(7)),
        root_cause=LONG,
        costs=CostReport(
            total=sum((line.annual for line in lines), Decimal(0)),
            by_bearer=(
                BearerTotal(bearer="staff", label="Staff", amount=sum((x.annual for x in lines), Decimal(0))),
            ),
            lines=lines,
            assumptions=("Time is costed at £30 an hour, the default rate.",),
        ),
        interventions=tuple(
            InterventionView(session_id=4, what=LONG, owner=Person(user_id="U0ALEX", name="Alex"))
            for _ in range(items)
        ),
    )


def test_a_long_report_keeps_within_slack_limits() -> None:
    blocks = leads_summary_blocks(_report(40), facilitator="U0FAC", when="today")
    messages = split_for_leads(blocks)
    assert all(len(message) <= MESSAGE_BLOCK_LIMIT for message in messages)
    for block in blocks:
        text = block.to_dict().get("text")
        if isinstance(text, dict):
            assert len(text["text"]) <= SECTION_LIMIT


def test_the_costliest_lines_come_first_and_text_is_escaped() -> None:
    blocks = leads_summary_blocks(_report(8), facilitator="U0FAC", when="today")
    text = "\n".join(str(b.to_dict()) for b in blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert text.index("1. Line 8") < text.index("2. Line 7")
    assert f"…and {8 - SHOWN_COST_LINES} more." in text
    assert "*Level chosen:* council-wide" in text and "*Scope:* Service" in text

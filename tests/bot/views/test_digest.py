"""The digest's and themes' blocks: within Slack's limits however long the week, user text escaped,
long lists cut with "and n more"."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from bot.views.digest import digest_blocks, themes_blocks
from bot.views.leads import split_for_leads
from flows.digest import build_digest, week_starting
from flows.report import BearerTotal, ClassificationView, CostReport, InterventionView, Person, ProblemReport
from flows.themes import ThemeView


def _report(n: int) -> ProblemReport:
    shares = (
        BearerTotal(bearer="residents", label="Residents", amount=Decimal(n * 10)),
        BearerTotal(bearer="staff", label="Staff", amount=Decimal(n * 100)),
        BearerTotal(bearer="council services", label="Council services", amount=Decimal(0)),
    )
    return ProblemReport(
        session_id=n,
        template_id="cost-impacts",
        title="Cost impacts",
        problem=f"<!channel> problem {n} " + "x" * 400,
        classification=ClassificationView(
            scope="service",
            category=("data", "process", "technology")[n % 3],
            status="confirmed",
            proposed_scope="service",
            proposed_category="data",
        ),
        costs=CostReport(total=Decimal(n * 110), by_bearer=shares, lines=(), assumptions=()),
        interventions=tuple(
            InterventionView(
                session_id=n,
                what=f"Fix <thing> {i}",
                owner=Person(user_id=f"U{i}", name="Someone"),
                first_checkin="2026-11-20",
                status=("open", "done")[i % 2],
                progress=(None, "blocked", "on_track")[n % 3],
            )
            for i in range(3)
        ),
    )


def _text(blocks: list[dict]) -> str:
    return "\n".join(
        str(b.get("text", {}).get("text", ""))
        + "".join(str(e.get("text", "")) for e in b.get("elements", []))
        for b in blocks
    )


def test_two_hundred_problems_fit_one_message_with_the_lists_cut() -> None:
    reports = [_report(n) for n in range(1, 201)]
    theme = ThemeView(
        category="data",
        root_causes=40,
        services=12,
        council_wide_candidate=True,
        shown=("<@U1> said so",),
        shown_services=("housing",),
        hidden_services=2,
        hidden_root_causes=3,
        key_words=("data",),
    )
    digest = build_digest(
        week=week_starting(date(2026, 11, 23), "Europe/London"),
        started=200,
        finished=200,
        this_week=reports,
        last_week=reports[:50],
        with_interventions=reports,
        themes=[theme] * 30,
        today=date(2026, 11, 30),
    )
    blocks = [b.to_dict() for b in digest_blocks(digest, when=str(datetime(2026, 11, 30, tzinfo=UTC)))]
    messages = split_for_leads(digest_blocks(digest, when="now"))
    assert len(messages) == 1 and len(blocks) <= 50
    for block in blocks:
        text = block.get("text", {}).get("text", "")
        assert len(text) <= 3000
    text = _text(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<@U1> said so" not in text and "&lt;@U1&gt; said so" in text
    assert "Fix &lt;thing&gt; 0" in text
    assert "…and 195 more." in text  # costliest: 5 of 200
    assert f"*{'£22,000'}* a year" in text  # the costliest first: problem 200
    assert "service · data: 66 (+50)" in text and "service · process: 67 (+50)" in text
    assert "*council-wide candidate*" in text and "2 private" in text


def test_themes_blocks_without_themes_say_so() -> None:
    blocks = [b.to_dict() for b in themes_blocks([])]
    assert "No themes yet" in _text(blocks)

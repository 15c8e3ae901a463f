"""The digest's wording where a head of service would trip: a week without costs says so rather
than showing £0."""

from __future__ import annotations

from datetime import UTC, date, datetime

from slack_sdk.models.blocks import Block

from bot.views.digest import digest_blocks
from flows.digest import build_digest, week_starting


def _text(blocks: list[Block]) -> str:
    return "\n".join(str(block.to_dict().get("text", {}).get("text", "")) for block in blocks)


def test_a_week_without_costs_says_none_were_worked_out() -> None:
    week = week_starting(date(2026, 11, 16), "Europe/London")
    digest = build_digest(
        week=week,
        started=0,
        finished=0,
        this_week=[],
        last_week=[],
        with_interventions=[],
        themes=[],
        today=date(2026, 11, 23),
    )
    text = _text(digest_blocks(digest, when=datetime(2026, 11, 23, 9, tzinfo=UTC).isoformat()))
    assert "no costs were worked out this week" in text and "£0" not in text

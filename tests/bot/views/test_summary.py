"""What a person reads in a session's summary: no questions that only steer the conversation, each
fact once, one date style, £ on every amount, each person named once per section."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from slack_sdk.models.blocks import Block

from bot.views.summary import summary_blocks
from flows.engine import Answer, ReplyContext, apply_reply, with_changes
from flows.schema import get_template
from flows.summary import build_summary

CTX = ReplyContext(today=date(2026, 12, 1), hourly_rate=Decimal(30))
FAC, ALEX, SAM = "U0FAC", "U0ALEX", "U0SAM"
ROOT = "The platform's October release changed validation and we can't override it"


def run(template_id: str, replies: list[tuple[str, str]]) -> dict[str, Answer]:
    template = get_template(template_id)
    state: dict[str, Answer] = {}
    for reply, author in replies:
        outcome = apply_reply(template, state, reply, CTX)
        assert not outcome.rejected, (reply, outcome.message)
        state = with_changes(state, outcome.changes, author)
    return state


def texts(blocks: list[Block]) -> list[str]:
    """Each block's text as a person reads it, in order."""
    out = []
    for block in blocks:
        body = block.to_dict()
        if isinstance(body.get("text"), dict):
            out.append(body["text"]["text"])
        out += [e["text"] for e in body.get("elements", []) if isinstance(e.get("text"), str)]
    return out


def sections_of(lines: list[str]) -> list[str]:
    """The summary cut at its section headings (a bold line of its own)."""
    parts: list[str] = [""]
    for line in lines:
        if re.fullmatch(r"\*[^*]+\*", line):
            parts.append("")
        parts[-1] += line + "\n"
    return parts


def five_whys() -> dict[str, Answer]:
    return run(
        "five-whys",
        [
            ("Residents ring us because the moving form rejects postcodes", FAC),
            ("The form won't accept postcodes without a space", ALEX),
            ("The validation pattern insists on a space", SAM),
            (ROOT, FAC),
            ("yes", FAC),  # fixing it would stop the problem
            ("yes", FAC),  # the suggested root cause
            ("no", FAC),  # no second branch
            ("confirm", FAC),
            ("Ask the supplier for a fix", FAC),
            (f"<@{SAM}>", FAC),
            ("2026-12-08", FAC),
            ("weekly", FAC),
            ("Add a postcode hint to the form", FAC),
            (f"<@{SAM}>", FAC),
            ("2026-12-15", FAC),
            ("monthly", FAC),
            ("done", FAC),
        ],
    )


def five_whys_text() -> list[str]:
    summary = build_summary(get_template("five-whys"), five_whys(), context=CTX)
    blocks = summary_blocks(summary, session_id=4, facilitator=FAC, when="Tuesday 1 December 2026, 10:00")
    return texts(blocks)


def test_a_five_whys_summary_shows_no_steering_questions_and_the_root_cause_once() -> None:
    text = "\n".join(five_whys_text())
    assert "Would fixing this stop the problem recurring" not in text
    assert "Second branch explored" not in text
    assert text.count(ROOT) == 1
    assert f"3. {ROOT}  ← *Root cause*" in text


def test_a_five_whys_summary_writes_dates_one_way() -> None:
    text = "\n".join(five_whys_text())
    assert "First check-in: Tuesday 8 December 2026" in text
    assert "First check-in: Tuesday 15 December 2026" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert "weekly" in text and "monthly" in text


def test_each_person_is_mentioned_once_per_section() -> None:
    lines = five_whys_text()
    for part in sections_of(lines):
        for person in (FAC, ALEX, SAM):
            assert part.count(f"<@{person}>") <= 1, part
    text = "\n".join(lines)
    # The whys credit who said what; the interventions are grouped under their owner.
    assert f"_Answered by <@{ALEX}> (1), <@{SAM}> (2) and <@{FAC}> (3)_" in text
    interventions = next(part for part in sections_of(lines) if part.startswith("*Interventions*"))
    assert interventions.count(f"*Owner:* <@{SAM}>") == 1
    assert "1. Ask the supplier for a fix" in interventions and "2. Add a postcode hint" in interventions


def cost_impacts() -> dict[str, Answer]:
    replies = [
        *["Missed bin collections lead to repeat calls"],
        *["staff", "Re-keying missed-bin reports", "both", "2h 30m", "3 a week", "2", "£28", "skip"],
        *["Team estimate"],
        *["residents", "Calls chasing collections", "both", "45 minutes", "10 per month", "1", "£15"],
        *["£2 each time", "skip"],
        *["council services", "Extra collection rounds", "money", "twice a year"],
        *["£3.5k a year", "Fleet invoices 2025"],
        *["done", "Residents lose trust in the service"],
    ]
    return run("cost-impacts", [(reply, FAC) for reply in replies])


def cost_text() -> str:
    summary = build_summary(get_template("cost-impacts"), cost_impacts(), context=CTX)
    blocks = summary_blocks(summary, session_id=5, facilitator=FAC, when="Tuesday 1 December 2026, 10:00")
    return "\n".join(texts(blocks))


def test_every_amount_in_a_cost_summary_has_a_pound_sign_and_separators() -> None:
    text = cost_text()
    # Every figure with pence or a thousands separator is money here, and each is written with £.
    for match in re.finditer(r"\d[\d,]*(?:\.\d+)?", text):
        figure = match.group()
        if re.search(r",\d{3}|\.\d\d$", figure):
            assert text[match.start() - 1] == "£", (figure, text[match.start() - 20 : match.end()])
    assert "28.00" not in text and "£28" in text
    assert "Direct cost: £2 each time" in text and "Direct cost: £3,500 a year" in text
    assert "3500" not in text


def test_every_figure_of_the_report_is_in_the_cost_summary_once() -> None:
    text = cost_text()
    # 2.5 h × 156 × 2 × £28 = £21,840; 0.75 h × 120 × £15 + £2 × 120 = £1,590; £3,500 a year.
    assert "1. Re-keying missed-bin reports — *£21,840 a year*" in text
    assert "2. Calls chasing collections — *£1,590 a year*" in text
    assert "3. Extra collection rounds — *£3,500 a year*" in text
    assert "*Total a year:* £26,930" in text
    assert (
        "*Staff:* £21,840" in text and "*Residents:* £1,590" in text and "*Council services:* £3,500" in text
    )
    assert text.count("£21,840 a year") == 1  # beside its line, not again in a list of lines
    assert "A year is counted as 52 weeks." in text

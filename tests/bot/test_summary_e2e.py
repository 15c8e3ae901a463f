"""What a team reads at the end of a session, through signed requests: the thread summary of a five
whys (no steering questions, the root cause once, one date style, each person once per section) and
of a cost impacts session (£ on every amount, each line's yearly figure beside it)."""

from __future__ import annotations

import re

from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, Harness, rendered
from tests.bot.test_five_whys_e2e import say, start

ROOT = "The platform's October release changed validation and we can't override it"


def summary_parts(h: Harness, thread: str) -> list[str]:
    """The summary's text cut at its section headings (a bold line of its own)."""
    messages = h.thread(CHANNEL, thread)
    start_at = next(i for i, m in enumerate(messages) if ": summary" in rendered(m))
    text = "\n".join(rendered(m) for m in messages[start_at:])
    parts = [""]
    for line in text.splitlines():
        if re.fullmatch(r"\*[^*]+\*", line):
            parts.append("")
        parts[-1] += line + "\n"
    return parts


def test_a_five_whys_summary_in_the_thread_reads_like_a_message(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Residents ring us because the moving form rejects postcodes")
    say(h, thread, "The form won't accept postcodes without a space", user=ALEX)
    say(h, thread, "The validation pattern insists on a space", user=SAM)
    say(h, thread, ROOT)
    say(h, thread, "yes")
    say(h, thread, "yes")
    say(h, thread, "no")
    proposal = h.last_text(CHANNEL, thread)
    assert "scope, in the" in proposal and "margin" not in proposal and "Confidence" not in proposal
    say(h, thread, "confirm")
    for what, when in (("Ask the supplier for a fix", "next Tuesday"), ("Add a postcode hint", "2026-12-15")):
        say(h, thread, what)
        say(h, thread, f"<@{SAM}>", encoded=True)
        say(h, thread, when)
        say(h, thread, "weekly")
    say(h, thread, "done")

    parts = summary_parts(h, thread)
    text = "".join(parts)
    assert "Five whys: summary" in text
    assert "Would fixing this stop the problem recurring" not in text
    assert "Second branch explored" not in text
    assert text.count(ROOT) == 1 and f"3. {ROOT}  ← *Root cause*" in text
    # One date style: the clock says Wednesday 25 November 2026, so "next Tuesday" is 1 December.
    assert "First check-in: Tuesday 1 December 2026" in text
    assert "First check-in: Tuesday 15 December 2026" in text
    assert "Wednesday 25 November 2026, 10:00" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    # Each person once per section.
    for part in parts:
        for person in (FACILITATOR, ALEX, SAM):
            assert part.count(f"<@{person}>") <= 1, part
    assert f"_Answered by <@{ALEX}> (1), <@{SAM}> (2) and <@{FACILITATOR}> (3)_" in text
    assert f"*Owner:* <@{SAM}>\n1. Ask the supplier for a fix" in text


def test_a_cost_impacts_summary_in_the_thread_has_pounds_on_every_amount(harness: Harness) -> None:
    h = harness
    thread = start(h, "start cost-impacts Missed bin collections lead to repeat calls")
    replies = [
        *["staff", "Re-keying missed-bin reports", "both", "2h 30m", "3 a week", "2", "£28", "skip"],
        *["Team estimate"],
        *["residents", "Calls chasing collections", "both", "45 minutes", "10 per month", "1", "£15"],
        *["£2 each time", "skip"],
        *["council services", "Extra collection rounds", "money", "twice a year"],
        *["£3.5k a year", "Fleet invoices 2025"],
        *["done", "Residents lose trust in the service"],
    ]
    for reply in replies:
        say(h, thread, reply)
    text = "".join(summary_parts(h, thread))
    assert "28.00" not in text and "Hourly cost: £28" in text
    assert "Direct cost: £2 each time" in text and "Direct cost: £3,500 a year" in text
    assert "1. Re-keying missed-bin reports — *£21,840 a year*" in text
    assert "3. Extra collection rounds — *£3,500 a year*" in text
    assert "*Total a year:* £26,930" in text
    for match in re.finditer(r"\d[\d,]*(?:\.\d+)?", text):
        if re.search(r",\d{3}|\.\d\d$", match.group()):
            assert text[match.start() - 1] == "£", text[match.start() - 20 : match.end()]

"""The cost summary says only what is true of the rates: the default-rate sentence when some staff-time
line used the default, the own-rate sentence for lines with their own rate, and nothing about rates when
no line has staff time. One sentence list from the cost model, followed through signed requests to
every place a person reads it: the thread summary, the leads post, the Markdown, the workbook's
Assumptions sheet and the Word paper."""

from __future__ import annotations

import io

import docx
import pytest
from openpyxl import load_workbook

from tests.bot.conftest import CHANNEL, FACILITATOR, TEAM, Harness
from tests.bot.test_home import make_lead
from tests.bot.test_leads_summary import set_leads
from tests.bot.test_problem_report import export_files, leads_text
from tests.bot.test_templates_e2e import say, start, summary_text

DEFAULT_RATE = "Time is costed at £30 an hour, the default rate."
RATE_WORDS = ("an hour", "the default rate", "as given")

# Each line as typed: who bears it, what, the kind of cost, then that kind's questions.
OWN_RATES_ONLY = (
    ("staff", "Re-keying forms", "time", "1 hour", "3 a week", "2", "£25", "skip"),
    ("council services", "Printing and postage", "money", "monthly", "£3,000 a year", "skip"),
)
NO_TIME_LINES = (
    ("council services", "Printing and postage", "money", "monthly", "£3,000 a year", "skip"),
    ("residents", "Childcare to visit the office", "money", "monthly", "£1,200 a month", "skip"),
)


def every_output(h: Harness, lines: tuple[tuple[str, ...], ...]) -> dict[str, str]:
    """Run a cost-impacts session with ``lines``; the text of each output a person reads."""
    set_leads(h)
    make_lead(h, FACILITATOR)
    thread = start(h, "start cost-impacts Paper permits cost everyone")
    for line in lines:
        for reply in line:
            say(h, thread, reply)
    say(h, thread, "done")
    say(h, thread, "skip")  # no non-financial impacts
    files = export_files(h, 1)
    book = load_workbook(io.BytesIO(files["costs.xlsx"].content))
    sheet = book["Assumptions"]
    h.slack.files.clear()
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="export 1 docx"
    )
    assert response.status == 200, response.body
    paper = next(f for f in h.slack.files if f.filename.endswith("paper.docx"))
    document = docx.Document(io.BytesIO(paper.content or b""))
    return {
        "thread summary": summary_text(h, thread),
        "leads post": leads_text(h),
        "markdown": files["summary.md"].content.decode(),
        "xlsx": "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell),
        "docx": "\n".join(p.text for p in document.paragraphs),
    }


def test_lines_at_their_own_rate_are_not_said_to_use_the_default(harness: Harness) -> None:
    outputs = every_output(harness, OWN_RATES_ONLY)
    for where, text in outputs.items():
        assert "Time for ‘Re-keying forms’ is costed at £25 an hour, as given." in text, where
        assert "the default rate" not in text, where


def test_no_staff_time_means_nothing_about_rates(harness: Harness) -> None:
    outputs = every_output(harness, NO_TIME_LINES)
    for where, text in outputs.items():
        assert "A year is counted as 52 weeks." in text, where  # the assumptions are there...
        for words in RATE_WORDS:  # ...but none about an hourly rate
            assert words not in text, (where, words)


@pytest.mark.parametrize("lines", [OWN_RATES_ONLY[:1] + NO_TIME_LINES[1:]])
def test_a_line_at_the_default_rate_still_says_so(
    harness: Harness, lines: tuple[tuple[str, ...], ...]
) -> None:
    staff_default = (("staff", "Answering calls", "time", "1 hour", "3 a week", "2", "skip", "skip"),)
    outputs = every_output(harness, staff_default + lines)
    for where, text in outputs.items():
        assert DEFAULT_RATE in text, where
        assert "Time for ‘Re-keying forms’ is costed at £25 an hour, as given." in text, where

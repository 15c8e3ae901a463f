"""``/playbook export <session>``: Markdown summary, CSV of every answer version, xlsx of cost impacts,
uploaded with files_upload_v2 to the session's thread."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from storage.models import AnswerVersion, Session
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness
from tests.bot.test_classification_e2e import finish, reach_classification
from tests.bot.test_five_whys_e2e import say
from tests.bot.test_leads_summary import add_session, extra_templates
from tests.flows.test_report import COSTS

__all__ = ["extra_templates"]  # the fixture, used by name below


def export(h: Harness, text: str, user: str = FACILITATOR) -> str:
    response = h.client.slash_command(team_id=TEAM, user_id=user, channel_id=CHANNEL, text=text)
    assert response.status == 200
    return response.body


def files_by_name(h: Harness) -> dict[str, Any]:
    return {f.filename.rsplit("-", 1)[-1]: f for f in h.slack.files}


def test_export_uploads_summary_answers_and_costs(harness: Harness, extra_templates: None) -> None:
    h = harness
    thread = reach_classification(h, "Refunds <take> months & more")
    say(h, thread, "back")  # a retraction: history, not an overwrite
    say(h, thread, "no")
    say(h, thread, "scope service", user=FACILITATOR)
    finish(h, thread)
    with h.deps.session_factory() as orm:
        problem_id = orm.get(Session, 1).problem_id  # type: ignore[union-attr]
        assert problem_id is not None
    add_session(
        h,
        COSTS.id,
        problem_id,
        {
            "lines.1.bearer": "staff",
            "lines.1.what": "Chasing refunds",
            "lines.1.time": {"hours": "0.5"},
            "lines.1.often": {"per_year": "520", "text": "10 a week"},
            "lines.1.people": 1,
            "lines.done": 1,
        },
    )

    reply = export(h, "export 1")
    assert "Exported session 1" in reply
    files = files_by_name(h)
    assert set(files) == {"summary.md", "answers.csv", "costs.xlsx", "costs.csv"}
    assert all(f.channel_id == CHANNEL and f.thread_ts == thread and f.completed for f in files.values())

    markdown = files["summary.md"].content.decode()
    assert "## Problem\n\nRefunds <take> months & more" in markdown
    assert "Scope **service**, category **procurement-market**: changed by Fran" in markdown
    assert "## Annual cost: £7,800" in markdown  # 0.5 h × 520 × £30

    with h.deps.session_factory() as orm:
        stored = list(
            orm.scalars(select(AnswerVersion).where(AnswerVersion.session_id == 1).order_by(AnswerVersion.id))
        )
    rows = list(csv.DictReader(io.StringIO(files["answers.csv"].content.decode())))
    assert len(rows) == len(stored) > 8
    names = {FACILITATOR: "Fran", ALEX: "Alex", SAM: "Sam"}
    assert {(r["key"], r["version"], r["author"]) for r in rows} == {
        (a.key, str(a.version), names[a.author_id]) for a in stored
    }
    # People are named as Slack names them, never by user id.
    assert {r["author"] for r in rows} == {"Fran", "Alex", "Sam"}
    assert not any(user in files["answers.csv"].content.decode() for user in (FACILITATOR, ALEX, SAM))
    assert not any(user in markdown for user in (FACILITATOR, ALEX, SAM))
    second_branch = [r for r in rows if r["key"] == "second_branch"]
    assert [(r["version"], r["retracted"]) for r in second_branch] == [("1", "no"), ("2", "yes"), ("3", "no")]
    assert all(r["answered_at"].startswith("20") for r in rows)

    book = load_workbook(io.BytesIO(files["costs.xlsx"].content))
    lines = list(book["Cost lines"].iter_rows(values_only=True))
    assert lines[0][0] == "What" and lines[1][0] == "Chasing refunds" and lines[1][-1] == 7800
    assert list(book["Totals"].iter_rows(values_only=True))[-1] == ("Total", 7800)


def test_export_without_costs_has_no_spreadsheet(harness: Harness) -> None:
    h = harness
    thread = reach_classification(h)
    say(h, thread, "confirm")
    export(h, "export #1")
    assert set(files_by_name(h)) == {"summary.md", "answers.csv"}


def test_export_is_refused_to_someone_who_took_no_part(harness: Harness) -> None:
    h = harness
    reach_classification(h)
    h.slack.add_user(TEAM, "U0OUT", "Outsider")
    assert "Only people who took part" in export(h, "export 1", user="U0OUT")
    assert "Which session?" in export(h, "export")
    assert "can't find session" in export(h, "export 99")
    assert h.slack.files == []

"""One report behind every output, through signed requests into the real app: the same cost figures in
the thread summary, the leads post, the Markdown, the workbook and the Home tab; each template's leads
post says what leads decide from; an intervention added later reaches the next leads post; a change
after completion updates the posted leads message; exports name people and keep formulas as text."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import MetaData, select

from bot.ids import CheckInActionId, CheckInBlockId, CheckInCallbackId
from storage.models import LeadsPost, Session
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness, rendered
from tests.bot.test_classification_e2e import choose, finish, reach_classification
from tests.bot.test_home import home, make_lead, text_of
from tests.bot.test_leads_summary import leads_messages, mrkdwn_text, set_leads
from tests.bot.test_templates_e2e import say, start, summary_text


@dataclass(frozen=True)
class CostStory:
    """Cost lines as a person types them, and the figures worked out by hand."""

    name: str
    lines: tuple[tuple[str, ...], ...]
    total: str
    residents: str
    staff: str
    council_services: str
    workspace_rate: str | None = None
    assumptions: tuple[str, ...] = ()


# Each line: who bears it, what, the kind of cost (staff time, money spent or both), then the questions
# that kind asks: staff time, how often, people, hourly cost, direct cost, evidence.
STORIES = (
    CostStory(
        # The example. Staff: 1 h × 156 a year (3 a week × 52) × 2 people × £30 = £9,360.
        # Council services, only a direct cost a year: £3,000. Residents, only a direct cost of £1,200 a
        # month: £14,400. Total £26,760.
        name="only direct costs count",
        lines=(
            ("staff", "Re-keying forms", "time", "1 hour", "3 a week", "2", "skip", "skip"),
            ("council services", "Printing and postage", "money", "monthly", "£3,000 a year", "skip"),
            ("residents", "Childcare to visit the office", "money", "monthly", "£1,200 a month", "skip"),
        ),
        total="£26,760",
        residents="£14,400",
        staff="£9,360",
        council_services="£3,000",
        assumptions=("Time is costed at £30 an hour, the default rate.",),
    ),
    CostStory(
        # The workspace's rate is £40. Staff: 0.25 h × 260 a year ("daily" = 5 working days × 52 weeks)
        # × 3 people × £40 = £7,800. Residents at their own £12.50: 2 h × 120 × 1 × £12.50 = £3,000, plus
        # £4 each time × 120 = £480: £3,480. Council services: £250 each time × 52 = £13,000.
        # Total £24,280.
        name="workspace rate, own rate and a daily line",
        lines=(
            ("staff", "Answering chase-up calls", "time", "15 minutes", "daily", "3", "skip", "skip"),
            (
                "residents",
                "Travelling to the office",
                "both",
                "2 hours",
                "10 a month",
                "1",
                "£12.50",
                "£4 each time",
                "skip",
            ),
            ("council services", "Agency cover", "money", "weekly", "£250 each time", "Invoices"),
        ),
        total="£24,280",
        residents="£3,480",
        staff="£7,800",
        council_services="£13,000",
        workspace_rate="40",
        assumptions=(
            "Time is costed at £40 an hour, the default rate.",
            "Time for ‘Travelling to the office’ is costed at £12.50 an hour, as given.",
            "“Daily” means every working day: 5 a week, 260 a year.",
        ),
    ),
)


def export_files(h: Harness, session_id: int, user: str = FACILITATOR) -> dict[str, Any]:
    h.slack.files.clear()
    response = h.client.slash_command(
        team_id=TEAM, user_id=user, channel_id=CHANNEL, text=f"export {session_id}"
    )
    assert response.status == 200 and "Exported" in response.body, response.body
    return {f.filename.rsplit("-", 1)[-1]: f for f in h.slack.files}


def leads_text(h: Harness) -> str:
    return "\n".join(mrkdwn_text(m) for m in leads_messages(h))


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.name)
def test_the_same_cost_figures_reach_every_output(harness: Harness, story: CostStory) -> None:
    h = harness
    set_leads(h)
    make_lead(h, FACILITATOR)
    if story.workspace_rate is not None:
        with h.deps.uow() as uow:
            uow.workspaces.change_settings(TEAM, hourly_rate=story.workspace_rate)
            uow.commit()
    thread = start(h, "start cost-impacts Paper permits cost everyone")
    for line in story.lines:
        for reply in line:
            say(h, thread, reply)
    say(h, thread, "done")
    say(h, thread, "skip")  # no non-financial impacts

    shares = {"Residents": story.residents, "Staff": story.staff, "Council services": story.council_services}
    thread_summary = summary_text(h, thread)
    assert f"*Total a year:* {story.total}" in thread_summary
    for label, amount in shares.items():
        assert f"*{label}:* {amount}" in thread_summary
    for sentence in story.assumptions:
        assert sentence in thread_summary

    posted = leads_text(h)
    assert f"*Annual cost: {story.total}*" in posted
    for label, amount in shares.items():
        assert f"• {label}: {amount}" in posted
    for sentence in story.assumptions:
        assert sentence in posted

    files = export_files(h, 1)
    markdown = files["summary.md"].content.decode()
    assert f"## Annual cost: {story.total}" in markdown
    for label, amount in shares.items():
        assert f"- {label}: {amount}\n" in markdown
    for sentence in story.assumptions:
        assert f"- {sentence}" in markdown
    book = load_workbook(io.BytesIO(files["costs.xlsx"].content))

    def pounds(text: str) -> int:
        return int(text.lstrip("£").replace(",", ""))

    expected = [(label, pounds(amount)) for label, amount in shares.items()] + [
        ("Total", pounds(story.total))
    ]
    assert list(book["Totals"].iter_rows(values_only=True))[1:] == expected
    cost_rows = list(book["Cost lines"].iter_rows(values_only=True))
    assert [(row[0], row[-1]) for row in cost_rows[-4:]] == expected
    lines = cost_rows[1 : 1 + len(story.lines)]
    assert [row[0] for row in lines] == [line[1] for line in story.lines]
    assert sum(row[-1] for row in lines) == pounds(story.total)

    cost_csv = list(csv.reader(io.StringIO(files["costs.csv"].content.decode())))
    assert [(row[0], int(row[-1])) for row in cost_csv[-4:]] == expected
    assert [row[0] for row in cost_csv[1 : 1 + len(story.lines)]] == [line[1] for line in story.lines]

    home_text = text_of(home(h, FACILITATOR))
    bearers = " · ".join(f"{label}: {amount}" for label, amount in shares.items())
    assert f"Cost a year: {story.total} ({bearers})" in home_text


def _pain_points(h: Harness) -> str:
    thread = start(h, "start pain-points Bulky waste collections go wrong")
    say(h, thread, "Bulky waste bookings")
    for reply in ("Slots vanish at checkout", "residents", "technology", "daily", "4", "skip"):
        say(h, thread, reply)
    for reply in ("Crews get no item list", "staff", "service", "weekly", "3", "Crew survey, May"):
        say(h, thread, reply)
    say(h, thread, "next")
    say(h, thread, "2, 1")
    return thread


def test_a_problem_levels_post_has_the_level_chosen_and_its_evidence(harness: Harness) -> None:
    h = harness
    set_leads(h)
    thread = start(h, "start problem-levels Residents can't renew parking permits online")
    for reply in (
        "They queue at the customer service centre",
        "Staff re-key every paper form",
        "The permit system has no online API",
        "No budget to replace it",
        "yes",
        "Every service buys systems the same way",
    ):
        say(h, thread, reply)
    posted = leads_text(h)
    assert "*For residents:* They queue at the customer service centre" in posted
    assert "*In technology:* The permit system has no online API" in posted
    assert "*Level chosen:* council-wide" in posted
    assert "*Evidence:* Every service buys systems the same way" in posted


def test_a_pain_points_post_ranks_them_with_who_feels_them(harness: Harness) -> None:
    h = harness
    set_leads(h)
    _pain_points(h)
    posted = leads_text(h)
    first = posted.index("1. Crews get no item list — Staff")
    second = posted.index("2. Slots vanish at checkout — Residents")
    assert first < second
    assert (
        "severity 3/5 _(ranked 1 by the team)_" in posted
        and "severity 4/5 _(ranked 2 by the team)_" in posted
    )


def test_a_cause_problem_impact_post_has_causes_impacts_and_who_is_affected(harness: Harness) -> None:
    h = harness
    set_leads(h)
    thread = start(h, "start cause-problem-impact Housing repair requests get lost")
    for reply in ("Two separate queues", "Phone notes are free text", "done"):
        say(h, thread, reply)
    for reply in (
        "Residents ring three times",
        "residents",
        "4",
        "Overtime in repairs",
        "staff",
        "3",
        "done",
    ):
        say(h, thread, reply)
    say(h, thread, "council wide")
    say(h, thread, "One shared repairs queue")
    say(h, thread, f"<@{SAM}>", encoded=True)
    say(h, thread, "next Friday")
    say(h, thread, "weekly")
    say(h, thread, "done")
    posted = leads_text(h)
    assert "*Causes*\n1. Two separate queues\n2. Phone notes are free text" in posted
    assert "1. Residents ring three times — Residents · severity 4/5" in posted
    assert "2. Overtime in repairs — Staff · severity 3/5" in posted
    assert "*Who is affected:* Residents, Staff" in posted
    assert "*Scope:* Council-wide" in posted
    # The clock says Wednesday 25 November 2026: "next Friday" is the Friday of next week (UK usage).
    assert f"One shared repairs queue · owner <@{SAM}> · first check-in 4 December 2026 · weekly" in posted


def test_a_cost_impacts_post_lists_the_costliest_lines_first(harness: Harness) -> None:
    h = harness
    set_leads(h)
    thread = start(h, "start cost-impacts Paper permits")
    for line in STORIES[0].lines:
        for reply in line:
            say(h, thread, reply)
    say(h, thread, "done")
    say(h, thread, "skip")
    posted = leads_text(h)
    costliest = posted[posted.index("_Costliest lines_") :]
    assert (
        costliest.index("Childcare to visit the office (Residents): £14,400")
        < costliest.index("Re-keying forms (Staff): £9,360")
        < costliest.index("Printing and postage (Council services): £3,000")
    )


def _five_whys_with_intervention(h: Harness) -> str:
    thread = reach_classification(h, "Residents can't pay council tax online")
    say(h, thread, "confirm")
    assert "Intervention 1" in h.last_text(CHANNEL, thread)
    say(h, thread, "Renegotiate the session cap")
    say(h, thread, f"<@{ALEX}>", encoded=True)
    say(h, thread, "2026-12-02")
    say(h, thread, "monthly")
    say(h, thread, "done")
    return thread


def test_a_five_whys_post_has_the_chain_root_cause_classification_and_interventions(harness: Harness) -> None:
    h = harness
    set_leads(h)
    _five_whys_with_intervention(h)
    posted = leads_text(h)
    assert "*Why chain*\n1. The payment form times out\n2. The supplier's product caps sessions" in posted
    assert "*Root cause*\nOur contract doesn't let us change the supplier's settings" in posted
    assert f"Scope *product*, category *procurement-market*: confirmed by <@{FACILITATOR}>." in posted
    assert (
        f"Renegotiate the session cap · owner <@{ALEX}> · first check-in 2 December 2026 · monthly" in posted
    )


def _intervene(h: Harness, session_id: int, what: str, owner: str, first: str) -> None:
    response = h.client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=f"intervene {session_id}"
    )
    assert response.status == 200
    modal = h.slack.views[-1]
    assert modal.callback_id == CheckInCallbackId.ADD_INTERVENTION
    submitted = h.client.view_submission(
        team_id=TEAM,
        user_id=FACILITATOR,
        callback_id=CheckInCallbackId.ADD_INTERVENTION,
        private_metadata=modal.private_metadata,
        state_values={
            CheckInBlockId.WHAT: {CheckInActionId.WHAT: {"type": "plain_text_input", "value": what}},
            CheckInBlockId.OWNER: {CheckInActionId.OWNER: {"type": "users_select", "selected_user": owner}},
            CheckInBlockId.FIRST_CHECKIN: {
                CheckInActionId.FIRST_CHECKIN: {"type": "datepicker", "selected_date": first}
            },
            CheckInBlockId.CADENCE: {
                CheckInActionId.CADENCE: {
                    "type": "static_select",
                    "selected_option": {"value": "fortnightly"},
                }
            },
        },
    )
    assert submitted.status == 200


def test_an_intervention_added_with_intervene_is_in_the_next_leads_post(harness: Harness) -> None:
    h = harness
    set_leads(h)
    thread = reach_classification(h)
    say(h, thread, "confirm")
    finish(h, thread)
    assert "Publish a payment guide" not in leads_text(h)
    _intervene(h, 1, "Publish a payment guide", SAM, "2026-12-09")
    with h.deps.session_factory() as orm:
        problem_id = orm.get(Session, 1).problem_id  # type: ignore[union-attr]
    # A later session on the same problem: its leads post has the intervention added in between.
    later = start(h, f"start problem-levels --problem {problem_id}")
    for reply in ("They give up", "Calls double", "No API", "No budget", "no", "It is this supplier only"):
        say(h, later, reply)
    last = mrkdwn_text(leads_messages(h)[-1])
    assert f"Publish a payment guide · owner <@{SAM}> · first check-in 9 December 2026 · fortnightly" in last
    assert "*Level chosen:* service or product level" in last
    assert "*Root cause*\nOur contract doesn't let us change the supplier's settings" in last


def finished_with_leads_post(h: Harness) -> tuple[str, Any]:
    """A five-whys session confirmed and finished, summarised in the leads channel: (its thread, the
    leads message)."""
    set_leads(h)
    thread = reach_classification(h)
    say(h, thread, "confirm")
    finish(h, thread)
    [posted] = leads_messages(h)
    return thread, posted


def test_a_changed_classification_updates_the_posted_leads_message(harness: Harness) -> None:
    h = harness
    thread, posted = finished_with_leads_post(h)
    assert "Scope *product*, category *procurement-market*: confirmed" in mrkdwn_text(posted)
    with h.deps.session_factory() as orm:
        stored = orm.get(LeadsPost, 1)
        assert stored is not None and (stored.channel_id, stored.ts) == (LEADS, posted.ts)
    choose(h, thread, FACILITATOR, "classification.scope", "scope council-wide")
    [updated] = leads_messages(h)
    assert updated.ts == posted.ts and updated.edited
    text = mrkdwn_text(updated)
    assert f"Scope *council-wide*, category *procurement-market*: changed by <@{FACILITATOR}>" in text
    assert "confirmed by" not in text
    assert [c.params["ts"] for c in h.slack.calls_to("chat.update") if c.params.get("channel") == LEADS] == [
        posted.ts
    ]


def test_exports_name_people_and_keep_a_formula_as_text(harness: Harness) -> None:
    h = harness
    formula = '=HYPERLINK("https://example.org","x")'
    thread = start(h, "start problem-levels Permits")
    say(h, thread, formula, user=ALEX)
    for reply in ("Staff re-key forms", "No API", "No budget", "yes", "Every service"):
        say(h, thread, reply, user=SAM)
    files = export_files(h, 1)
    answers_csv = files["answers.csv"].content.decode()
    rows = list(csv.DictReader(io.StringIO(answers_csv)))
    residents = next(r for r in rows if r["key"] == "residents")
    assert residents["answer"] == residents["typed"] == "'" + formula
    assert residents["question"] == "For residents" and residents["author"] == "Alex"
    assert [r["key"] for r in rows][:3] == ["problem", "residents", "service"]
    markdown = files["summary.md"].content.decode()
    assert "Facilitated by Fran" in markdown
    for text in (answers_csv, markdown):
        assert not any(user in text for user in (FACILITATOR, ALEX, SAM))
    # After forget-me a person is a former participant, never an id.
    response = h.client.slash_command(
        team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="forget-me confirm"
    )
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(export_files(h, 1)["answers.csv"].content.decode())))
    assert "former participant" in {r["author"] for r in rows}


def test_a_formula_in_a_cost_line_is_a_string_cell(harness: Harness) -> None:
    h = harness
    formula = '=HYPERLINK("https://example.org","x")'
    thread = start(h, "start cost-impacts Forms")
    for reply in ("staff", formula, "time", "1 hour", "weekly", "1", "skip", "skip", "done", "skip"):
        say(h, thread, reply)
    book = load_workbook(io.BytesIO(export_files(h, 1)["costs.xlsx"].content))
    cell = book["Cost lines"]["A2"]
    assert cell.value == formula and cell.data_type == "s"
    assert rendered(h.thread(CHANNEL, thread)[-1])  # the session completed and posted its summary


DISTINCTIVE = "Zebra-striped parking permits confuse the Quillfeather depot"


def _every_text_in_the_database(h: Harness) -> str:
    """Every row of every table, as text."""
    engine = h.deps.session_factory.kw["bind"]
    tables = MetaData()
    tables.reflect(engine)
    found = []
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            found += [repr(tuple(row)) for row in connection.execute(select(table))]
    return "\n".join(found)


def test_forget_me_reaches_copies_other_people_hold_and_leaves_nothing_in_the_file(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Residents can't pay council tax online")
    say(h, thread, "The payment form times out")
    say(h, thread, "The supplier caps sessions", user=SAM)
    say(h, thread, DISTINCTIVE, user=ALEX)
    say(h, thread, "yes")  # fixing it would stop the problem
    say(h, thread, "yes")  # the facilitator picks Alex's why as the root cause: a copy of Alex's words
    say(h, thread, "no")
    say(h, thread, "confirm")
    say(h, thread, "done")
    with h.deps.uow() as uow:
        root = uow.answers.latest(1)["root_cause"]
        assert root.author_id == FACILITATOR and DISTINCTIVE in str(root.value)
    assert DISTINCTIVE in export_files(h, 1)["summary.md"].content.decode()

    response = h.client.slash_command(
        team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="forget-me confirm"
    )
    assert response.status == 200
    assert DISTINCTIVE not in _every_text_in_the_database(h)
    files = export_files(h, 1)
    assert all(
        DISTINCTIVE not in (f.content.decode() if f.filename.endswith((".md", ".csv")) else "")
        for f in files.values()
    )
    # Nor in another person's own data.
    h.slack.files.clear()
    assert (
        h.client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="my-data").status
        == 200
    )
    [mine] = [f for f in h.slack.files if f.filename.endswith(".json")]
    assert "root_cause" in mine.content.decode() and DISTINCTIVE not in mine.content.decode()
    url = str(h.deps.settings.database_url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for name in (path, path + "-wal"):
            if os.path.exists(name):
                with open(name, "rb") as stored:
                    assert DISTINCTIVE.encode() not in stored.read(), name


def test_an_answer_edited_after_completion_updates_the_posted_leads_message(harness: Harness) -> None:
    from tests.bot.test_edit import completed_levels, open_modal, submit

    h = harness
    set_leads(h)
    thread = completed_levels(h)
    [posted] = leads_messages(h)
    assert "They queue at the counter" in mrkdwn_text(posted)
    view = open_modal(h, thread, FACILITATOR)
    assert submit(h, view, FACILITATOR, {"residents": "They queue for an hour at the counter"}).status == 200
    [updated] = leads_messages(h)
    assert updated.ts == posted.ts and updated.edited
    text = mrkdwn_text(updated)
    assert "They queue for an hour at the counter" in text and "They queue at the counter" not in text

"""The Home tab's blocks from a plain page model (no Slack, no database): what a person and a lead
read, escaping, the Resume buttons, and Slack's limits (100 blocks, 3,000 characters a section)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock

from bot.ids import ActionId
from bot.views.common import SECTION_LIMIT
from bot.views.home import HOME_BLOCK_LIMIT, SHOWN_INTERVENTIONS, header, home_blocks, home_view
from flows.home import (
    HomePage,
    InterventionEntry,
    LeadsHome,
    OpenStatus,
    SessionEntry,
    SummaryEntry,
)
from flows.report import ClassificationView, Person

DUE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def page(**changes: Any) -> HomePage:
    values: dict[str, Any] = {
        "locale": "en",
        "timezone": "Europe/London",
        "sessions": (),
        "more_sessions": 0,
        "interventions": (),
        "leads": None,
    }
    values.update(changes)
    return HomePage(**values)


def session(n: int, **changes: Any) -> SessionEntry:
    values: dict[str, Any] = {
        "session_id": n,
        "title": "Five whys",
        "paused": False,
        "step": "Why 1",
        "channel_id": "C0TEAM",
        "is_dm": False,
    }
    values.update(changes)
    return SessionEntry(**values)


def intervention(what: str, **changes: Any) -> InterventionEntry:
    values: dict[str, Any] = {
        "session_id": 2,
        "what": what,
        "cadence": "weekly",
        "owner_id": "U0ALEX",
        "next_checkin_at": DUE,
        "owner_tz": None,
        "progress": None,
        "progress_reason": None,
    }
    values.update(changes)
    return InterventionEntry(**values)


def dicts(home: HomePage) -> list[dict[str, Any]]:
    return [b.to_dict() for b in home_blocks(home)]


def text_of(blocks: list[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def test_a_person_with_nothing_going_on_is_told_how_to_start() -> None:
    text = text_of(dicts(page()))
    assert "You have no active sessions. Start one with `/playbook start five-whys" in text
    assert "You don't own any interventions yet." in text
    assert "Recent summaries" not in text and "Open interventions" not in text  # not a lead


def test_sessions_say_where_they_stand_with_a_resume_button_each() -> None:
    blocks = dicts(
        page(
            sessions=(session(1, paused=True, title="Five <whys>"), session(2, is_dm=True, step="Why <3>")),
            more_sessions=4,
        )
    )
    text = text_of(blocks)
    assert "*Session 1* · Five &lt;whys&gt; · paused at Why 1 · <#C0TEAM>" in text
    assert "*Session 2* · Five whys · in progress: Why &lt;3&gt; · our DM" in text
    assert "…and 4 more." in text
    buttons = [b["accessory"] for b in blocks if "accessory" in b]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        (ActionId.RESUME, "1", "Resume"),
        (ActionId.RESUME, "2", "Resume"),
    ]


def test_an_owner_sees_the_next_check_in_in_their_own_zone_else_the_workspaces() -> None:
    text = text_of(
        dicts(
            page(
                interventions=(
                    intervention("Fix the <pothole> form"),
                    intervention(
                        "Publish times",
                        owner_tz="America/New_York",
                        cadence="monthly",
                        progress="blocked",
                        progress_reason="no <budget>",
                    ),
                    intervention("Later", next_checkin_at=None, progress="on_track"),
                ),
                timezone="Asia/Tokyo",
            )
        )
    )
    assert (
        "• Fix the &lt;pothole&gt; form · session 2 · next check-in Wednesday 2 December 2026 at 19:00"
        " · weekly · No update yet" in text
    )
    assert "Publish times · session 2 · next check-in Wednesday 2 December 2026 at 05:00 · monthly" in text
    assert "Blocked: no &lt;budget&gt;" in text
    assert "• Later · session 2 · next check-in — · weekly · On track" in text


def test_leads_see_summaries_and_open_interventions_grouped_in_order() -> None:
    classification = ClassificationView(
        scope="service",
        category="process",
        status="changed",
        by=Person(user_id="U0FAC", name="Fran"),
        proposed_scope="product",
        proposed_category="technology",
    )
    leads = LeadsHome(
        summaries=(
            SummaryEntry(
                session_id=1,
                title="Five whys",
                problem="Residents   can't report <!here>\npotholes",
                classification=classification,
                completed="25 November 2026, 10:00",
            ),
        ),
        open_interventions=(
            intervention("Waiting", status=OpenStatus.AWAITING_FIRST, owner_id="U0SAM"),
            intervention("Stuck", status=OpenStatus.BLOCKED, progress="blocked", progress_reason="no budget"),
            intervention("Silent", status=OpenStatus.NO_ANSWER),
        ),
    )
    text = text_of(dicts(page(leads=leads)))
    assert (
        "*Session 1* · Five whys · Residents can't report &lt;!here&gt; potholes · Scope *service*, category "
        "*process*: changed by <@U0FAC>" in text
    )
    assert "<!here>" not in text and "completed 25 November 2026, 10:00" in text
    order = [text.index(f"*{label}*") for label in ("Blocked", "No answer to the last two check-ins")]
    order.append(text.index("*Awaiting first check-in* (1)"))
    assert order == sorted(order)
    assert (
        "Stuck · session 2 · next check-in Wednesday 2 December 2026 at 10:00 · weekly · <@U0ALEX>"
        " · Blocked: no budget" in text
    )
    assert (
        "Waiting · session 2 · next check-in Wednesday 2 December 2026 at 10:00 · weekly · <@U0SAM>" in text
    )


def test_a_lead_with_an_empty_workspace_is_told_so() -> None:
    text = text_of(dicts(page(leads=LeadsHome(summaries=(), open_interventions=()))))
    assert "No sessions have been completed yet." in text and "There are no open interventions." in text


def test_long_lists_are_cut_and_the_page_stays_within_slacks_limits() -> None:
    many = tuple(intervention(f"Do {n} " + "long " * 200, owner_id="U0FAC") for n in range(60))
    leads = LeadsHome(
        summaries=tuple(
            SummaryEntry(
                session_id=n,
                title="Five whys",
                problem="word " * 1000,
                classification=None,
                completed="today",
            )
            for n in range(20)
        ),
        open_interventions=tuple(
            intervention(f"Open {n}", status=list(OpenStatus)[n % len(OpenStatus)]) for n in range(400)
        ),
    )
    home = page(
        sessions=tuple(session(n) for n in range(10)), more_sessions=40, interventions=many, leads=leads
    )
    blocks = dicts(home)
    assert len(blocks) <= HOME_BLOCK_LIMIT
    assert all(len(b["text"]["text"]) <= SECTION_LIMIT for b in blocks if isinstance(b.get("text"), dict))
    text = text_of(blocks)
    assert f"…and {60 - SHOWN_INTERVENTIONS} more." in text  # the owner's own list
    assert "…and 65 more." in text  # each status group of 80 shows 15
    assert home_view(home).to_dict()["type"] == "home"


def test_a_page_longer_than_100_blocks_ends_with_a_note_of_what_was_left_out() -> None:
    def flood(home: HomePage) -> list[Block]:
        return [DividerBlock() for _ in range(130)]

    blocks = [b.to_dict() for b in home_blocks(page(), [header, flood])]
    assert len(blocks) == HOME_BLOCK_LIMIT
    assert (
        blocks[-1]["type"] == "context" and blocks[-1]["elements"][0]["text"] == "…and 34 more."
    )  # 3 + 130 blocks, 99 kept


# --- starting, finished sessions, problems by status, attention and the leads settings ----------------


def test_the_page_offers_a_start_button_for_each_template_and_warns_about_personal_data() -> None:
    from flows.home import TemplateChoice

    blocks = dicts(
        page(templates=(TemplateChoice("five-whys", "Five whys"), TemplateChoice("cost", "Costs")))
    )
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons] == [
        ("home.start", "five-whys", "Five whys"),
        ("home.start", "cost", "Costs"),
    ]
    text = text_of(blocks)
    assert "does not detect names or addresses automatically" in text
    assert "a session in your DM with me" in text


def test_finished_sessions_link_to_their_threads_and_say_when_they_finished() -> None:
    link = "https://anytown.slack.com/archives/C0TEAM/p1700000000000100"
    finished = (
        session(3, finished="Wednesday 25 November 2026", problem="Bins <b>missed</b>", link=link),
        session(4, is_dm=True, finished="Tuesday 1 December 2026"),
        session(5, finished="Monday 30 November 2026", link="javascript:alert(1)"),
    )
    text = text_of(dicts(page(finished=finished)))
    assert "*Your finished sessions*" in text
    assert (
        "*Session 3* · Five whys · finished Wednesday 25 November 2026 · <#C0TEAM>"
        f" · <{link}|open the thread>" in text
    )
    assert "Bins &lt;b&gt;missed&lt;/b&gt;" in text
    assert "*Session 4* · Five whys · finished Tuesday 1 December 2026 · our DM" in text
    assert "javascript" not in text  # only an https link from Slack becomes a link


def test_an_open_session_links_to_its_thread() -> None:
    link = "https://anytown.slack.com/archives/C0TEAM/p1700000000000200"
    text = text_of(dicts(page(sessions=(session(1, link=link),))))
    assert f"<#C0TEAM> · <{link}|open the thread>" in text


def test_leads_see_problems_by_status_named_where_they_may_and_counted_otherwise() -> None:
    from flows.home import ProblemEntry, ProblemStatus

    leads = LeadsHome(
        summaries=(),
        open_interventions=(),
        problems=(
            ProblemEntry(7, "Residents <!here> wait", ProblemStatus.ACTING, (3, 5), open_interventions=2),
            ProblemEntry(None, "Forms lost", ProblemStatus.IN_ANALYSIS, (9,)),
        ),
        problem_counts=(
            (ProblemStatus.IN_ANALYSIS, 1),
            (ProblemStatus.ACTING, 3),
            (ProblemStatus.ANALYSED, 1),
        ),
    )
    text = text_of(dicts(page(leads=leads)))
    assert "*Problems by status*" in text
    assert text.index("*Being analysed* (1)") < text.index("*Interventions under way* (3)")
    assert "• Forms lost · sessions 9" in text
    assert "• Residents &lt;!here&gt; wait · sessions 3, 5 · 2 open" in text and "<!here>" not in text
    assert "_2 more in channels you're not in._" in text
    assert "*Analysed, no open interventions* (1)\n_1 more in channels you're not in._" in text


def test_blocked_and_overdue_interventions_come_first_under_their_own_heading() -> None:
    leads = LeadsHome(
        summaries=(),
        open_interventions=(
            intervention("Waiting", status=OpenStatus.AWAITING_FIRST),
            intervention("Stuck", status=OpenStatus.BLOCKED, progress="blocked", progress_reason="no budget"),
            intervention("Silent", status=OpenStatus.NO_ANSWER),
        ),
    )
    text = text_of(dicts(page(leads=leads)))
    attention = text.index("*Interventions blocked or overdue*")
    others = text.index("*Other open interventions*")
    assert attention < text.index("Stuck") < text.index("Silent") < others < text.index("Waiting")
    calm = text_of(dicts(page(leads=LeadsHome(summaries=(), open_interventions=(intervention("Waiting"),)))))
    assert "Nothing is blocked or overdue." in calm


def test_leads_read_the_settings_and_who_can_change_them() -> None:
    from flows.home import LeadsSettings

    settings = LeadsSettings(
        leads_channel="C0LEADS",
        lead_ids=("U0FAC", "U0SAM"),
        hourly_rate="£32.50",
        weeks_per_year="46",
        nation="Scotland",
        retention_days=730,
    )
    text = text_of(dicts(page(leads=LeadsHome(summaries=(), open_interventions=(), settings=settings))))
    assert "*Leads settings*" in text
    assert "Leads channel: <#C0LEADS>" in text and "Leads: <@U0FAC> and <@U0SAM>" in text
    assert "Staff time is costed at £32.50 an hour, with 46 weeks in a year" in text
    assert "Check-ins skip the bank holidays of Scotland" in text and "kept for 730 days" in text
    assert "Slack workspace admins and the leads can change these" in text
    unset = LeadsSettings(None, (), "£30", "52", "England and Wales", 365)
    text = text_of(dicts(page(leads=LeadsHome(summaries=(), open_interventions=(), settings=unset))))
    assert "Leads channel: none set" in text and "Leads: none set" in text
    # Members see no settings, no problems and no workspace lists.
    member = text_of(dicts(page()))
    assert "Leads settings" not in member and "Problems by status" not in member

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
        "• Fix the &lt;pothole&gt; form · session 2 · next check-in Wednesday 2 December at 19:00 · weekly"
        " · No update yet" in text
    )
    assert "Publish times · session 2 · next check-in Wednesday 2 December at 05:00 · monthly" in text
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
        "Stuck · session 2 · next check-in Wednesday 2 December at 10:00 · weekly · <@U0ALEX>"
        " · Blocked: no budget" in text
    )
    assert "Waiting · session 2 · next check-in Wednesday 2 December at 10:00 · weekly · <@U0SAM>" in text


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
    assert blocks[-1]["type"] == "context" and blocks[-1]["elements"][0]["text"] == "…and 33 more."

"""The App Home tab: a person's active sessions (resume), their interventions; for leads, recent
summaries and open interventions by status."""

from __future__ import annotations

import re
from typing import Any

from bot.services import checkins
from bot.services.leads import latest_answers
from bot.services.workspace import settings_for
from storage.models import Session, SessionStatus, Workspace
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM, Harness
from tests.bot.test_classification_e2e import finish, reach_classification
from tests.bot.test_five_whys_e2e import say, start
from tests.bot.test_leads_summary import add_session
from tests.bot.test_start_and_help import _submit as submit_form


def home(h: Harness, user: str) -> list[dict[str, Any]]:
    response = h.client.app_home_opened(team_id=TEAM, user_id=user)
    assert response.status == 200
    view = h.slack.home_view(TEAM, user)
    assert view is not None, "no Home tab was published"
    return view.blocks


def text_of(blocks: list[dict[str, Any]]) -> str:
    parts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts += [e.get("text", "") for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return "\n".join(parts)


def record_interventions(h: Harness, session_id: int) -> None:
    """What completing a session does with its ``interventions`` answers: interventions with their
    first check-ins (``add_session`` builds a completed session straight in the database)."""
    with h.deps.uow() as uow:
        session = uow.sessions.get(TEAM, session_id)
        assert session is not None
        answers = latest_answers(uow, session_id)
        settings = settings_for(h.deps, uow, TEAM)
        assert checkins.materialise_interventions(uow, session, answers, h.clock.now(), settings) > 0
        uow.commit()


def make_lead(h: Harness, user: str) -> None:
    with h.deps.uow() as uow:
        uow.workspaces.change_settings(TEAM, lead_user_ids=(user,))
        uow.commit()


def test_a_person_sees_their_active_sessions_with_resume(harness: Harness) -> None:
    h = harness
    thread = start(h, "start five-whys Bins <b>missed</b>")
    say(h, thread, "pause")
    blocks = home(h, FACILITATOR)
    text = text_of(blocks)
    assert "*Session 1* · Five whys · paused at Why 1" in text
    button = next(
        b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == "session.resume"
    )
    assert button["value"] == "1"
    assert "Recent summaries" not in text  # not a lead
    # Resume from Home: the session carries on in its thread.
    h.client.block_action(team_id=TEAM, user_id=FACILITATOR, action_id="session.resume", value="1")
    with h.deps.session_factory() as orm:
        assert orm.get(Session, 1).status == SessionStatus.ACTIVE  # type: ignore[union-attr]
    assert "Why 1" in h.last_text(CHANNEL, thread)
    assert "in progress: Why 1" in text_of(h.slack.home_view(TEAM, FACILITATOR).blocks)  # type: ignore[union-attr]


def test_owners_see_their_interventions_and_leads_see_summaries_and_open_interventions(
    harness: Harness,
) -> None:
    h = harness
    thread = reach_classification(h, "Residents can't report <!here> potholes")
    say(h, thread, "scope service")
    finish(h, thread)
    with h.deps.session_factory() as orm:
        problem_id = orm.get(Session, 1).problem_id  # type: ignore[union-attr]
        assert problem_id is not None
    session_id = add_session(
        h,
        "five-whys",
        problem_id,
        {
            "interventions.1.what": "Fix the <pothole> form",
            "interventions.1.owner": ALEX,
            "interventions.1.first_checkin": "2026-12-02",
            "interventions.1.cadence": "weekly",
            "interventions.2.what": "Publish repair times",
            "interventions.2.owner": SAM,
            "interventions.2.first_checkin": "2026-12-09",
            "interventions.2.cadence": "monthly",
        },
    )
    record_interventions(h, session_id)
    alex = text_of(home(h, ALEX))
    assert (
        "Fix the &lt;pothole&gt; form · session 2 · next check-in Wednesday 2 December 2026 at 10:00 · weekly"
        " · No update yet" in alex
    )
    assert "Publish repair times" not in alex
    make_lead(h, SAM)
    lead = home(h, SAM)
    text = text_of(lead)
    assert "*Recent summaries*" in text
    assert "Residents can't report &lt;!here&gt; potholes" in text and "<!here>" not in text
    assert f"Scope *service*, category *procurement-market*: changed by <@{FACILITATOR}>" in text
    assert "*Awaiting first check-in* (2)" in text
    assert (
        "Fix the &lt;pothole&gt; form · session 2 · next check-in Wednesday 2 December 2026 at 10:00 · weekly"
        f" · <@{ALEX}>" in text
    )
    assert (
        "Publish repair times · session 2 · next check-in Wednesday 9 December 2026 at 10:00 · monthly"
        f" · <@{SAM}>" in text
    )


def test_the_home_tab_stays_within_100_blocks(harness: Harness) -> None:
    h = harness
    make_lead(h, FACILITATOR)
    start(h, "start five-whys The anchor session")
    with h.deps.session_factory() as orm:
        problem_id = orm.get(Session, 1).problem_id  # type: ignore[union-attr]
        assert orm.get(Workspace, TEAM) is not None
    for n in range(40):
        session_id = add_session(
            h,
            "five-whys",
            problem_id or 0,
            {
                "problem": f"Problem {n} " + "long " * 600,
                "interventions.1.what": f"Do {n}",
                "interventions.1.owner": FACILITATOR,
                "interventions.1.first_checkin": "2026-12-02",
                "interventions.1.cadence": "weekly",
            },
        )
        record_interventions(h, session_id)
    blocks = home(h, FACILITATOR)
    assert len(blocks) <= 100
    text = text_of(blocks)
    assert "*Recent summaries*" in text and "Do 0" in text and "…and 25 more." in text


# --- the whole Home tab through signed requests: a lead, a member, a Start button ---------------------

PRIVATE = "C0PRIVATE"


def _completed_with_intervention(h: Harness) -> str:
    """A five-whys in the team channel, finished with an intervention Sam owns."""
    thread = reach_classification(h, "Residents can't pay council tax online")
    say(h, thread, "confirm")
    say(h, thread, "Renegotiate the session cap")
    say(h, thread, f"<@{SAM}>", encoded=True)
    say(h, thread, "2026-12-08")
    say(h, thread, "weekly")
    say(h, thread, "done")
    return thread


def _private_session(h: Harness) -> None:
    """Alex's session in a private channel Sam is not in."""
    h.slack.add_channel(TEAM, PRIVATE, "restructure", members=[ALEX], is_private=True)
    response = h.client.slash_command(
        team_id=TEAM, user_id=ALEX, channel_id=PRIVATE, text="start five-whys Secret restructure plans"
    )
    assert response.status == 200, response.body


def test_the_home_tab_as_a_lead(harness: Harness) -> None:
    h = harness
    _completed_with_intervention(h)
    _private_session(h)
    make_lead(h, SAM)
    blocks = home(h, SAM)
    text = text_of(blocks)
    # Start buttons for every template.
    starts = [
        e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"
    ]
    assert set(starts) >= {
        "five-whys",
        "cost-impacts",
        "pain-points",
        "problem-levels",
        "cause-problem-impact",
    }
    assert "does not detect names or addresses automatically" in text
    # Problems by status: the channel's problem is named; the private one only counted.
    assert "*Problems by status*" in text
    assert "*Interventions under way* (1)" in text
    assert "• Residents can't pay council tax online · sessions 1 · 1 open" in text
    assert "*Being analysed* (1)\n_1 more in channels you're not in._" in text
    assert "Secret restructure" not in text
    # Sam's own intervention and its next check-in, in the one date style; nothing blocked yet.
    assert "Renegotiate the session cap · session 1 · next check-in Tuesday 8 December 2026 at 10:00" in text
    assert "Nothing is blocked or overdue." in text
    # The leads settings, read-only, and who may change them.
    assert "*Leads settings*" in text and f"Leads: <@{SAM}>" in text
    assert "Staff time is costed at £30 an hour, with 52 weeks in a year" in text
    assert "Slack workspace admins and the leads can change these" in text


def test_the_home_tab_as_a_member_with_links_and_a_start_button(harness: Harness) -> None:
    h = harness
    _completed_with_intervention(h)
    _private_session(h)
    text = text_of(home(h, ALEX))
    assert "Problems by status" not in text and "Leads settings" not in text  # not a lead
    # Open and finished sessions, each with a link to its thread from chat.getPermalink.
    assert re.search(
        r"\*Session 2\* · Five whys · in progress: Why 1 · <#C0PRIVATE> · "
        r"<https://[^|>]+/archives/C0PRIVATE/p\d+\|open the thread>",
        text,
    )
    assert re.search(
        r"\*Session 1\* · Five whys · finished Wednesday 25 November 2026 · <#C0TEAM> · "
        r"<https://[^|>]+/archives/C0TEAM/p\d+\|open the thread>",
        text,
    )
    assert "Residents can't pay council tax online" in text
    # Fran did not take part in Alex's private session: her Home does not list it.
    assert "Secret restructure" not in text_of(home(h, FACILITATOR))
    assert "C0PRIVATE" not in text_of(home(h, FACILITATOR))
    # A Start button opens the start form with its template chosen, for a session in Alex's DM;
    # submitting it starts the session there, and the Home tab shows it.
    opened = len(h.slack.views)
    response = h.client.block_action(
        team_id=TEAM, user_id=ALEX, action_id="home.start", value="cost-impacts", trigger_id="trigger-home"
    )
    assert response.status == 200, response.body
    assert len(h.slack.views) == opened + 1
    form = h.slack.views[-1]
    assert form.blocks[0]["element"]["initial_option"]["value"] == "cost-impacts"
    assert all(block.get("block_id") != "start.channel" for block in form.blocks)  # no channel: the DM
    submitted = submit_form(h, form, user=ALEX, template="cost-impacts", problem="Paper permits")
    assert submitted.status == 200, submitted.body
    assert h.slack.messages(channel=h.slack.dm_channel(TEAM, ALEX)), "nothing was posted in the DM"
    with h.deps.uow() as uow:
        started = uow.sessions.get(TEAM, 3)
        assert started is not None and started.is_dm and started.template_id == "cost-impacts"
        assert latest_answers(uow, 3)["problem"].value == "Paper permits"
    assert re.search(r"\*Session 3\* · Cost impacts · in progress: [^·]+ · our DM", text_of(home(h, ALEX)))

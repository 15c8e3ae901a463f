"""Check-ins on the Home tab and summaries: the App Home shows owners their interventions and leads the
open ones by where their check-ins stand, read from the check-ins tables; summaries carry an "Add
intervention" button; ``/playbook help`` lists ``intervene`` and ``nation``. Time is the harness's
injected clock; the dispatcher is called directly."""

from __future__ import annotations

import json
from typing import Any

from bot.ids import CheckInActionId, CheckInCallbackId
from localslack.webapi import Message
from storage.models import Session
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, LEADS, SAM, TEAM, Harness
from tests.bot.test_checkins_e2e import at, dispatch, reply_in_dm
from tests.bot.test_classification_e2e import finish, reach_classification
from tests.bot.test_five_whys_e2e import say
from tests.bot.test_home import home, make_lead, record_interventions, text_of
from tests.bot.test_leads_summary import add_session, leads_messages, set_leads


def _section_of(text: str, heading: str) -> str:
    """The lines under ``heading`` in a Home tab's text, up to the next heading or section."""
    start = text.index(heading)
    rest = text[start + len(heading) :]
    ends = [i for i in (rest.find("\n*"), rest.find("\n\n")) if i >= 0]
    return rest[: min(ends)] if ends else rest


def test_home_shows_progress_and_next_checkins_in_the_owners_time_and_leads_see_them_by_status(
    harness: Harness,
) -> None:
    h = harness
    h.slack.add_user(TEAM, ALEX, "Alex", tz="America/New_York")
    h.clock.set(at(2026, 11, 25, 12))
    with h.deps.uow() as uow:
        uow.workspaces.get_or_create(TEAM)
        problem = uow.problems.add(TEAM, "Potholes go unreported", FACILITATOR)
        uow.commit()
        problem_id = problem.id
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
            "interventions.2.first_checkin": "2026-12-02",
            "interventions.2.cadence": "fortnightly",
            "interventions.3.what": "Train the contact centre",
            "interventions.3.owner": FACILITATOR,
            "interventions.3.first_checkin": "2026-12-09",
            "interventions.3.cadence": "monthly",
        },
    )
    record_interventions(h, session_id)
    make_lead(h, FACILITATOR)
    assert "*Awaiting first check-in* (3)" in text_of(home(h, FACILITATOR))

    # 10:00 in New York on 2 December is 15:00 UTC: both first check-ins go (Alex's zone is looked up).
    h.clock.set(at(2026, 12, 2, 15))
    assert dispatch(h).sent == 2
    reply_in_dm(h, "blocked: waiting for the supplier", user=SAM)

    alex = text_of(home(h, ALEX))
    assert (
        f"Fix the &lt;pothole&gt; form · session {session_id} · next check-in Wednesday 9 December 2026"
        " at 10:00 · weekly · No update yet" in alex
    )
    sam = text_of(home(h, SAM))
    assert (
        f"Publish repair times · session {session_id} · next check-in Wednesday 16 December 2026 at 10:00"
        " · fortnightly · Blocked: waiting for the supplier" in sam
    )
    assert "Fix the" not in sam and "Train the contact centre" not in sam

    lead = text_of(home(h, FACILITATOR))
    headings = ["*Blocked* (1)", "*Waiting for an answer to a check-in* (1)", "*Awaiting first check-in* (1)"]
    assert [lead.index(heading) for heading in headings] == sorted(lead.index(h) for h in headings)
    assert f"<@{SAM}> · Blocked: waiting for the supplier" in _section_of(lead, "*Blocked* (1)")
    assert (
        f"Fix the &lt;pothole&gt; form · session {session_id} · next check-in Wednesday 9 December 2026"
        f" at 10:00 · weekly · <@{ALEX}>" in _section_of(lead, "*Waiting for an answer to a check-in* (1)")
    )
    assert "Train the contact centre" in _section_of(lead, "*Awaiting first check-in* (1)")
    assert "On track" not in lead and "No answer to the last two" not in lead

    # Alex stays silent through two more weekly check-ins: the third is escalated.
    h.clock.set(at(2026, 12, 9, 15))
    assert dispatch(h).sent == 2  # Alex's second and the facilitator's first
    h.clock.set(at(2026, 12, 16, 15))
    report = dispatch(h)
    assert (report.sent, report.escalated) == (2, 1)  # Alex's third (escalated) and Sam's second
    lead = text_of(home(h, FACILITATOR))
    assert f"<@{ALEX}>" in _section_of(lead, "*No answer to the last two check-ins* (1)")

    reply_in_dm(h, "on track", user=ALEX)
    reply_in_dm(h, "done", user=SAM)
    lead = text_of(home(h, FACILITATOR))
    assert f"Fix the &lt;pothole&gt; form · session {session_id}" in _section_of(lead, "*On track* (1)")
    assert "Train the contact centre" in _section_of(lead, "*Waiting for an answer to a check-in* (1)")
    assert "Publish repair times" not in lead  # done: no longer open
    assert "*Blocked*" not in lead and "No answer to the last two" not in lead
    assert "Your interventions*\nYou don't own any interventions yet." in text_of(home(h, SAM))
    assert "· On track" in text_of(home(h, ALEX))


def _add_intervention_button(message: Message) -> dict[str, Any] | None:
    for block in message.blocks or []:
        for element in block.get("elements", []) or []:
            if isinstance(element, dict) and element.get("action_id") == CheckInActionId.ADD_INTERVENTION:
                return element
    return None


def _click(h: Harness, user: str, channel: str, message: Message) -> None:
    button = _add_intervention_button(message)
    assert button is not None and button["text"]["text"] == "Add intervention"
    views_before = len(h.slack.views)
    response = h.client.block_action(
        team_id=TEAM,
        user_id=user,
        action_id=CheckInActionId.ADD_INTERVENTION,
        value=button["value"],
        channel_id=channel,
        message_ts=message.ts,
    )
    assert response.status == 200
    assert len(h.slack.views) == views_before + 1


def test_the_add_intervention_button_on_the_summaries_opens_the_form(harness: Harness) -> None:
    h = harness
    set_leads(h)
    thread = reach_classification(h, "Residents can't report potholes")
    say(h, thread, "confirm")
    finish(h, thread)
    with h.deps.uow() as uow:
        session = uow.sessions.by_thread(TEAM, CHANNEL, thread)
        assert isinstance(session, Session)
        session_id = session.id

    # In the session's thread, under its summary.
    [summary] = [m for m in h.thread(CHANNEL, thread) if _add_intervention_button(m) is not None]
    _click(h, ALEX, CHANNEL, summary)
    form = h.slack.views[-1]
    assert form.callback_id == CheckInCallbackId.ADD_INTERVENTION
    assert json.loads(form.private_metadata) == {"s": session_id}
    assert [b["label"]["text"] for b in form.blocks] == [
        "What will be done?",
        "Who owns it?",
        "First check-in",
        "Then check in",
    ]

    # In the leads channel, under the summary for leads: a lead who took no part may add one.
    [leads_summary] = [m for m in leads_messages(h) if _add_intervention_button(m) is not None]
    make_lead(h, "U0LEAD")
    _click(h, "U0LEAD", LEADS, leads_summary)
    form = h.slack.views[-1]
    assert form.callback_id == CheckInCallbackId.ADD_INTERVENTION
    assert json.loads(form.private_metadata) == {"s": session_id}


def test_help_lists_intervene_and_nation(harness: Harness) -> None:
    h = harness
    body = h.client.slash_command(team_id=TEAM, user_id=ALEX, channel_id=CHANNEL, text="help").body
    assert "`/playbook intervene <session>`" in body
    assert "`/playbook nation <england-and-wales|scotland|northern-ireland>`" in body

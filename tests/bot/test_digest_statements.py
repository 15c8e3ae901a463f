"""The number of SQL statements building a digest costs does not grow with the sessions it covers.

Reading a week's reports one session at a time cost two or three statements a session (1,451 for the
preview at 200 sessions); they are now read for all the sessions at once. Counted on the engine the
app uses, at one size and at five times it: the same count, within a stated bound.
"""

from __future__ import annotations

from bench.digest import seed
from bot.app import make_web_client
from bot.request import Caller
from bot.services import digest as digest_service
from flows.digest import seven_days_to
from tests.bot.conftest import CHANNEL, FACILITATOR, TEAM, Harness, counted_statements, engine_of
from tests.bot.test_home import make_lead

# Reading the digest as sent (twelve weeks of history for the chart), 16: the workspace's settings;
# the week's started and finished counts (2); the weeks' finished sessions, the sessions with followed
# interventions, and their problems' sessions (3, each with its participants: 6); the latest answers and
# the interventions of all of them (2, the interventions with their session and its participants: 3);
# then the confirmed root causes, their sessions (with participants: 2) and their participants (1)
# (sessions already read are not read again).
SEND_BOUND = 16
# The preview, 20: the settings read for the permission check, then the same reading without the older
# weeks, so the sessions of older root causes have their answers and interventions read afterwards (3).
PREVIEW_BOUND = 20
# /playbook themes, 10: the settings (the permission check), the confirmed root causes, their sessions
# and participants (3), their problems' sessions (2), their answers, and their interventions (2).
THEMES_BOUND = 10


def statements_for(h: Harness) -> dict[str, int]:
    week = seven_days_to(h.clock.now(), "Europe/London")
    client = make_web_client(h.deps.settings, f"xoxb-{TEAM}")
    caller = Caller(TEAM, FACILITATOR, CHANNEL, None, None, False, None, None)
    found = {}
    with counted_statements(engine_of(h)) as statements, h.deps.uow() as uow:
        digest_service.read_digest(uow, h.deps, TEAM, week, with_history=True)
    found["send"] = len(statements)
    with counted_statements(engine_of(h)) as statements:
        digest_service.preview_command(h.deps, client, caller)
    found["preview"] = len(statements)
    with counted_statements(engine_of(h)) as statements:
        digest_service.themes_command(h.deps, client, caller)
    found["themes"] = len(statements)
    return found


def test_building_a_digest_costs_the_same_statements_for_ten_sessions_or_fifty(harness: Harness) -> None:
    h = harness
    make_lead(h, FACILITATOR)
    # Sessions in 24 channels the stand-in does not know: Slack's answers (none) change no statement.
    seed(h.deps.session_factory, 10, team=TEAM, now=h.clock.now(), weeks=3)
    few = statements_for(h)
    seed(h.deps.session_factory, 40, team=TEAM, now=h.clock.now(), weeks=3, batch=1)
    many = statements_for(h)
    assert many == few, (few, many)
    assert few["send"] <= SEND_BOUND and few["preview"] <= PREVIEW_BOUND and few["themes"] <= THEMES_BOUND, (
        few
    )

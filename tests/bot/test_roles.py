"""Roles and scoping in every action and view handler: a crafted ``block_actions`` or
``view_submission`` carrying another workspace's or another session's ids changes nothing there and
posts nothing there. Both workspaces are installed through OAuth (tests/bot/oauth_harness.py).

Each handler is driven with the ids of Anytown's session, intervention and check-in, from Othershire
(cross-workspace) and from a different channel of Anytown (cross-session). "Nothing changed" is
checked on every row of every table, so a handler added later that forgets its scope fails here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from bot.ids import (
    ActionId,
    CheckInActionId,
    CheckInBlockId,
    CheckInCallbackId,
    EditActionId,
    EditCallbackId,
    PrivacyActionId,
)
from bot.ids import indexed as numbered
from bot.views.classification import ClassificationActionId
from storage.checkins import CheckIn, Intervention
from storage.db import make_engine
from storage.models import Session
from tests.bot.conftest import rendered
from tests.bot.oauth_harness import (
    ALEX,
    CHANNEL,
    FAC,
    SAM,
    TEAM_A,
    TEAM_B,
    OAuthHarness,
    oauth_harness,
    two_councils,
)

__all__ = ["oauth_harness", "two_councils"]  # fixtures used by this module's tests

OTHER_CHANNEL = "C0ELSEWHERE"


def snapshot(h: OAuthHarness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except the ones that log requests rather than hold data."""
    engine = make_engine(h.settings.database_url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        skip = {"processed_events", "alembic_version", "slack_oauth_states"}
        with engine.connect() as connection:
            return {
                name: sorted((tuple(map(repr, row)) for row in connection.execute(select(table))), key=repr)
                for name, table in meta.tables.items()
                if name not in skip
            }
    finally:
        engine.dispose()


@pytest.fixture
def victim(two_councils: OAuthHarness) -> tuple[OAuthHarness, dict[str, int]]:
    """Anytown: a five-whys session at its first why, an intervention and a sent check-in."""
    h = two_councils
    h.client.slash_command(
        team_id=TEAM_A, user_id=FAC, channel_id=CHANNEL, text="start five-whys Missed bins"
    )
    h.slack.add_channel(TEAM_A, OTHER_CHANNEL, "elsewhere", members=[FAC, ALEX, SAM])
    h.slack.add_channel(TEAM_B, OTHER_CHANNEL, "elsewhere", members=[FAC, ALEX, SAM])
    with h.deps.session_factory() as orm:
        session = orm.scalars(select(Session)).one()
        intervention = Intervention(
            workspace_id=TEAM_A,
            session_id=session.id,
            what="Fix the rota",
            owner_id=FAC,
            created_by=FAC,
            cadence="weekly",
            first_due=date(2026, 12, 1),
            day_of_month=1,
        )
        orm.add(intervention)
        orm.flush()
        now = h.clock.now()
        checkin = CheckIn(
            intervention_id=intervention.id,
            workspace_id=TEAM_A,
            due_on=now.date(),
            due_at=now - timedelta(hours=1),
            status="sent",
            sent_at=now,
            channel_id=CHANNEL,
            message_ts="1.000001",
        )
        orm.add(checkin)
        orm.commit()
        ids = {"session": session.id, "intervention": intervention.id, "checkin": checkin.id}
    return h, ids


Craft = Callable[[OAuthHarness, dict[str, int], str, str, str], Any]


def _answer(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    value = json.dumps({"s": ids["session"], "k": "whys.1.answer", "r": "crafted answer"})
    return h.client.block_action(
        team_id=team, user_id=user, action_id=numbered(ActionId.ANSWER, 0), value=value, channel_id=channel
    )


def _classify(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    value = json.dumps({"s": ids["session"], "k": "classification", "r": "scope council-wide"})
    return h.client.block_action(
        team_id=team,
        user_id=user,
        action_id=ClassificationActionId.SCOPE,
        selected_option={"text": {"type": "plain_text", "text": "x"}, "value": value},
        channel_id=channel,
    )


def _checkin_button(kind: str) -> Craft:
    def craft(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
        value = json.dumps({"c": ids["checkin"], "r": kind})
        return h.client.block_action(
            team_id=team,
            user_id=user,
            action_id=numbered(CheckInActionId.RESPOND, 0),  # type: ignore[arg-type]
            value=value,
            channel_id=channel,
        )

    return craft


def _checkin_reason(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    return h.client.view_submission(
        team_id=team,
        user_id=user,
        callback_id=CheckInCallbackId.REASON,
        private_metadata=json.dumps({"c": ids["checkin"], "r": "blocked"}),
        state_values={
            CheckInBlockId.REASON: {CheckInActionId.REASON: {"type": "plain_text_input", "value": "x"}}
        },
    )


def _add_intervention_button(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    return h.client.block_action(
        team_id=team,
        user_id=user,
        action_id=CheckInActionId.ADD_INTERVENTION,
        value=str(ids["session"]),
        channel_id=channel,
    )


def _add_intervention_view(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    state: dict[str, Any] = {
        CheckInBlockId.WHAT: {CheckInActionId.WHAT: {"type": "plain_text_input", "value": "Crafted work"}},
        CheckInBlockId.OWNER: {CheckInActionId.OWNER: {"type": "users_select", "selected_user": user}},
        CheckInBlockId.FIRST_CHECKIN: {
            CheckInActionId.FIRST_CHECKIN: {"type": "datepicker", "selected_date": "2026-12-10"}
        },
        CheckInBlockId.CADENCE: {
            CheckInActionId.CADENCE: {"type": "static_select", "selected_option": {"value": "weekly"}}
        },
    }
    return h.client.view_submission(
        team_id=team,
        user_id=user,
        callback_id=CheckInCallbackId.ADD_INTERVENTION,
        private_metadata=json.dumps({"s": ids["session"]}),
        state_values=state,
    )


def _edit_open(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    return h.client.block_action(
        team_id=team, user_id=user, action_id=EditActionId.OPEN, value=str(ids["session"]), channel_id=channel
    )


def _edit_submit(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    return h.client.view_submission(
        team_id=team,
        user_id=user,
        callback_id=EditCallbackId.MODAL,
        private_metadata=json.dumps({"s": ids["session"]}),
        state_values={
            "edit.answer:problem": {EditActionId.INPUT: {"type": "plain_text_input", "value": "Crafted"}}
        },
    )


def _home_resume(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    return h.client.block_action(
        team_id=team, user_id=user, action_id=ActionId.RESUME, value=str(ids["session"])
    )


def _forget_me(h: OAuthHarness, ids: dict[str, int], team: str, user: str, channel: str) -> Any:
    return h.client.block_action(
        team_id=team, user_id=user, action_id=PrivacyActionId.FORGET_ME, value=TEAM_A, channel_id=channel
    )


HANDLERS: dict[str, Craft] = {
    "answer button": _answer,
    "classification menu": _classify,
    "check-in done button": _checkin_button("done"),
    "check-in blocked button": _checkin_button("blocked"),
    "check-in reason modal": _checkin_reason,
    "add-intervention button": _add_intervention_button,
    "add-intervention modal": _add_intervention_view,
    "edit button": _edit_open,
    "edit modal": _edit_submit,
    "home resume button": _home_resume,
    "forget-me button": _forget_me,
}


def _nothing_reached(h: OAuthHarness, before: dict[str, list[tuple[Any, ...]]], posted_before: int) -> None:
    after = snapshot(h)
    changed = {name for name in before if before[name] != after.get(name)}
    assert not changed, f"rows changed in {sorted(changed)}"
    posts = [m for m in h.slack.messages(team_id=TEAM_A) if m.ephemeral_user is None]
    assert len(posts) == posted_before, [rendered(m) for m in posts[posted_before:]]
    assert not [v for v in h.slack.views if v.team_id == TEAM_A]


@pytest.mark.parametrize("handler", sorted(HANDLERS))
def test_another_workspace_cannot_act_on_a_session(
    victim: tuple[OAuthHarness, dict[str, int]], handler: str
) -> None:
    h, ids = victim
    before = snapshot(h)
    posted = len([m for m in h.slack.messages(team_id=TEAM_A) if m.ephemeral_user is None])
    for user in (FAC, SAM):  # the same user ids exist in both workspaces
        reply = HANDLERS[handler](h, ids, TEAM_B, user, CHANNEL)
        assert reply.status in (200, 400, 401, 403, 404), reply.body
    _nothing_reached(h, before, posted)


CROSS_SESSION = ["answer button", "classification menu", "edit button", "edit modal"]


@pytest.mark.parametrize("handler", CROSS_SESSION)
def test_a_button_from_another_channel_cannot_act_on_a_session(
    victim: tuple[OAuthHarness, dict[str, int]], handler: str
) -> None:
    """Alex is in Anytown but not in the session: a payload from another channel naming it is refused."""
    h, ids = victim
    before = snapshot(h)
    posted = len([m for m in h.slack.messages(team_id=TEAM_A) if m.ephemeral_user is None])
    reply = HANDLERS[handler](h, ids, TEAM_A, ALEX, OTHER_CHANNEL)
    assert reply.status in (200, 400, 401, 403, 404), reply.body
    _nothing_reached(h, before, posted)


def test_an_answer_from_the_sessions_own_thread_is_accepted(
    victim: tuple[OAuthHarness, dict[str, int]],
) -> None:
    """The control for the tests above: the same payload from the right place does change the session."""
    h, ids = victim
    before = snapshot(h)
    assert _answer(h, ids, TEAM_A, ALEX, CHANNEL).status == 200
    assert snapshot(h)["answers"] != before["answers"]

"""Who may do what: settings, leads, and who may see a session or a problem."""

from __future__ import annotations

from flows.policy import (
    UNREADABLE,
    ChannelAccess,
    SessionPeople,
    container_matches,
    may_change_settings,
    may_name_leads,
    may_see_problem,
    may_see_session,
)

LEAD, ADMIN, ANYONE, FAC, ALEX = "U0LEAD", "U0ADMIN", "U0ANYONE", "U0FAC", "U0ALEX"


def test_settings_change_only_for_admins_and_named_leads() -> None:
    assert not may_change_settings(frozenset(), ANYONE, is_workspace_admin=False)
    assert may_change_settings(frozenset(), ADMIN, is_workspace_admin=True)
    assert may_change_settings(frozenset({LEAD}), LEAD, is_workspace_admin=False)
    assert not may_change_settings(frozenset({LEAD}), ANYONE, is_workspace_admin=False)


def test_only_admins_name_leads() -> None:
    assert may_name_leads(is_workspace_admin=True)
    assert not may_name_leads(is_workspace_admin=False)


def _people(is_dm: bool) -> SessionPeople:
    return SessionPeople(
        facilitator_id=FAC, facilitators=frozenset({FAC}), participants=frozenset({FAC, ALEX}), is_dm=is_dm
    )


def test_a_channel_session_is_seen_by_whoever_can_read_the_channel_now() -> None:
    private = ChannelAccess(is_public=False, members=frozenset({ANYONE}))
    public = ChannelAccess(is_public=True, members=frozenset())
    people = _people(is_dm=False)
    assert may_see_session(people, ANYONE, private)
    # Having taken part is not enough once the person has left a private channel.
    assert not may_see_session(people, ALEX, private)
    assert may_see_session(people, ALEX, public)
    assert not may_see_session(people, FAC, UNREADABLE)
    assert not may_see_session(people, FAC, None)


def test_a_dm_session_is_seen_only_by_the_people_who_took_part() -> None:
    people = _people(is_dm=True)
    assert may_see_session(people, FAC, None)
    assert may_see_session(people, ALEX, None)
    assert not may_see_session(people, ANYONE, ChannelAccess(is_public=True, members=frozenset({ANYONE})))


def test_a_problem_is_as_visible_as_its_sessions() -> None:
    assert may_see_problem(sessions_seen=1, sessions_total=3, created_by=FAC, user_id=ANYONE)
    assert not may_see_problem(sessions_seen=0, sessions_total=3, created_by=ANYONE, user_id=ANYONE)
    assert may_see_problem(sessions_seen=0, sessions_total=0, created_by=ANYONE, user_id=ANYONE)
    assert not may_see_problem(sessions_seen=0, sessions_total=0, created_by=FAC, user_id=ANYONE)


def test_a_button_must_name_the_sessions_own_channel() -> None:
    assert container_matches("C0TEAM", "C0TEAM")
    assert not container_matches("C0TEAM", "C0ELSEWHERE")
    assert not container_matches("C0TEAM", "")
    assert not container_matches("C0TEAM", None)
    assert container_matches("C0TEAM", "C0LEADS", also=["C0LEADS"])
    assert not container_matches("C0TEAM", None, also=[None])

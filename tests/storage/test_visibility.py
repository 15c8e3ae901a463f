"""The visibility query is the policy in SQL: on a seeded world of channel and DM sessions, problems
with and without sessions, and two workspaces, every person and every set of readable channels gets
exactly what ``flows.policy.may_see_session`` / ``may_see_problem`` allow, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from flows.policy import UNREADABLE, ChannelAccess, SessionPeople, may_see_problem, may_see_session
from storage.db import ensure_schema, make_engine, make_session_factory
from storage.models import Problem, Role, Session
from storage.uow import UnitOfWork

TEAMS = ("T1", "T2")
CHANNELS = ("C1", "C2", "C3", "G4")
USERS = ("U1", "U2", "U3", "U4", "U5")


@dataclass(frozen=True)
class Row:
    id: int
    channel_id: str
    is_dm: bool
    problem_id: int | None
    people: SessionPeople


@dataclass(frozen=True)
class World:
    factory: sessionmaker[OrmSession]
    sessions: dict[str, list[Row]]
    problems: dict[str, list[tuple[int, str]]]  # (id, created by)


def _world(url: str, seed: int = 7) -> World:
    engine = make_engine(url)
    ensure_schema(url, engine)
    factory = make_session_factory(engine)
    rng = random.Random(seed)
    with UnitOfWork(factory) as uow:
        for team in TEAMS:
            uow.workspaces.get_or_create(team)
            problems = [uow.problems.add(team, f"problem {n} of {team}", rng.choice(USERS)) for n in range(6)]
            for number in range(30):
                is_dm = rng.random() < 0.3
                facilitator = rng.choice(USERS)
                session = uow.sessions.add(
                    Session(
                        workspace_id=team,
                        template_id="five-whys",
                        facilitator_id=facilitator,
                        channel_id=f"D{facilitator}" if is_dm else rng.choice(CHANNELS),
                        thread_ts=None if is_dm else f"{number}.1",
                        is_dm=is_dm,
                        # The last problem of each workspace keeps no session.
                        problem_id=rng.choice([None, *(p.id for p in problems[:-1])]),
                    )
                )
                uow.sessions.add_participant(session, facilitator, Role.FACILITATOR)
                for other in rng.sample(USERS, rng.randint(0, 2)):
                    uow.sessions.add_participant(session, other)
        uow.commit()
    with factory() as orm:
        sessions = {
            team: [
                Row(s.id, s.channel_id, s.is_dm, s.problem_id, _people(s))
                for s in orm.scalars(select(Session).where(Session.workspace_id == team))
            ]
            for team in TEAMS
        }
        problems_by_team = {
            team: [
                (p.id, p.created_by) for p in orm.scalars(select(Problem).where(Problem.workspace_id == team))
            ]
            for team in TEAMS
        }
    return World(factory, sessions, problems_by_team)


def _people(session: Session) -> SessionPeople:
    return SessionPeople(
        facilitator_id=session.facilitator_id,
        facilitators=frozenset(p.user_id for p in session.participants if p.role == Role.FACILITATOR),
        participants=frozenset(p.user_id for p in session.participants),
        is_dm=session.is_dm,
    )


def _took_part(row: Row, user: str) -> bool:
    return row.people.is_participant(user) or row.people.is_facilitator(user)


def _readable_sets() -> list[frozenset[str]]:
    return [
        frozenset(chosen)
        for size in range(len(CHANNELS) + 1)
        for chosen in itertools.combinations(CHANNELS, size)
    ]


def test_visible_sessions_and_problems_are_what_the_policy_allows(database_url: str) -> None:
    world = _world(database_url)
    with UnitOfWork(world.factory) as uow:
        for team, user, readable in itertools.product(TEAMS, USERS, _readable_sets()):
            every = world.sessions[team]
            # Slack's answer for this case: the person is in the readable channels, nothing is public.
            access = {c: ChannelAccess(is_public=False, members=frozenset({user})) for c in readable}
            allowed = {
                r.id for r in every if may_see_session(r.people, user, access.get(r.channel_id, UNREADABLE))
            }
            got = {s.id for s in uow.visibility.visible_sessions(team, user, readable)}
            assert got == allowed, (team, user, sorted(readable))

            expected_problems = {
                problem_id
                for problem_id, created_by in world.problems[team]
                if may_see_problem(
                    sessions_seen=sum(1 for r in every if r.problem_id == problem_id and r.id in allowed),
                    sessions_total=sum(1 for r in every if r.problem_id == problem_id),
                    created_by=created_by,
                    user_id=user,
                )
            }
            assert {p.id for p in uow.visibility.visible_problems(team, user, readable)} == expected_problems

            mine = {s.id for s in uow.visibility.visible_sessions(team, user, readable, taking_part=True)}
            assert mine == {r.id for r in every if r.id in allowed and _took_part(r, user)}


def test_channels_to_check_cover_every_session_in_scope(database_url: str) -> None:
    world = _world(database_url)
    with UnitOfWork(world.factory) as uow:
        for team in TEAMS:
            every = world.sessions[team]
            assert set(uow.visibility.channels_to_check(team)) == {r.channel_id for r in every if not r.is_dm}
            for user in USERS:
                theirs = [r for r in every if _took_part(r, user)]
                their_problems = {r.problem_id for r in theirs if r.problem_id is not None}
                in_scope = theirs + [r for r in every if r.problem_id in their_problems]
                assert set(uow.visibility.channels_to_check(team, user_id=user)) == {
                    r.channel_id for r in in_scope if not r.is_dm
                }
            for row in every[:5]:
                expected = [] if row.is_dm else [row.channel_id]
                assert uow.visibility.channels_to_check(team, session_ids=[row.id]) == expected

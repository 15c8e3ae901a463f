"""The digest's queries on SQLite and PostgreSQL: the once-a-week claim, the week's counts and
finished sessions, and the sessions whose interventions are followed, all scoped by workspace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from storage.db import ensure_schema, make_engine, make_session_factory
from storage.models import CheckIn, Intervention, InterventionStatus, Session, SessionStatus
from storage.uow import UnitOfWork

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
NEXT_MONDAY = MONDAY + timedelta(weeks=1)


def _factory(url: str) -> sessionmaker[OrmSession]:
    engine = make_engine(url)
    ensure_schema(url, engine)
    return make_session_factory(engine)


def _session(
    uow: UnitOfWork, team: str, started: datetime, completed: datetime | None, *, cancelled: bool = False
) -> int:
    uow.workspaces.get_or_create(team)
    status = (
        SessionStatus.CANCELLED
        if cancelled
        else SessionStatus.COMPLETED
        if completed
        else SessionStatus.ACTIVE
    )
    session = uow.sessions.add(
        Session(
            workspace_id=team,
            template_id="five-whys",
            facilitator_id="U1",
            channel_id="C1",
            status=status,
            created_at=started,
            updated_at=started,
            completed_at=completed,
        )
    )
    return session.id


def test_a_week_is_claimed_once_and_given_back_only_unsent(database_url: str) -> None:
    factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        uow.workspaces.get_or_create("T1")
        uow.workspaces.get_or_create("T2")
        assert uow.digests.claim("T1", "2026-W49", MONDAY)
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert not uow.digests.claim("T1", "2026-W49", MONDAY)
        assert uow.digests.claim("T2", "2026-W49", MONDAY)  # another workspace's week
        assert uow.digests.claim("T1", "2026-W50", MONDAY)
        uow.commit()
    with UnitOfWork(factory) as uow:
        uow.digests.give_back("T1", "2026-W50")
        uow.digests.mark_sent("T1", "2026-W49", MONDAY, "C0LEADS", "1.2")
        uow.commit()
    with UnitOfWork(factory) as uow:
        uow.digests.give_back("T1", "2026-W49")  # sent: kept
        uow.commit()
    with UnitOfWork(factory) as uow:
        [row] = uow.digests.sent("T1")
        assert (row.send_week, row.message_ts, row.sent_at) == ("2026-W49", "1.2", MONDAY)
        assert uow.digests.claim("T1", "2026-W50", MONDAY)


def test_counts_and_finished_sessions_of_a_week(database_url: str) -> None:
    factory = _factory(database_url)
    inside = MONDAY + timedelta(days=2)
    with UnitOfWork(factory) as uow:
        before = _session(uow, "T1", MONDAY - timedelta(days=3), inside)  # started the week before
        both = _session(uow, "T1", inside, inside + timedelta(hours=1))
        _session(uow, "T1", inside, None)  # still running
        _session(uow, "T1", inside, None, cancelled=True)
        _session(uow, "T1", inside, NEXT_MONDAY)  # finished the moment the week ends: next week's
        _session(uow, "T2", inside, inside)  # another workspace
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.digests.counts("T1", MONDAY, NEXT_MONDAY) == (3, 2)
        assert [s.id for s in uow.digests.finished_between("T1", MONDAY, NEXT_MONDAY)] == [both, before]


def test_sessions_with_followed_interventions(database_url: str) -> None:
    factory = _factory(database_url)
    inside = MONDAY + timedelta(days=1)
    with UnitOfWork(factory) as uow:
        sessions = [_session(uow, "T1", inside, inside) for _ in range(3)]
        for session_id, status, closed in (
            (sessions[0], InterventionStatus.OPEN, None),
            (sessions[1], InterventionStatus.DONE, inside),
            (sessions[2], InterventionStatus.DONE, MONDAY - timedelta(days=10)),
        ):
            item = Intervention(
                workspace_id="T1",
                session_id=session_id,
                what="Do it",
                owner_id="U2",
                created_by="U1",
                cadence="weekly",
                first_due=date(2026, 11, 27),
                day_of_month=27,
                status=status,
                closed_at=closed,
            )
            uow.checkins.add_intervention(
                item,
                CheckIn(workspace_id="T1", due_on=date(2026, 11, 27), due_at=inside),
            )
        uow.commit()
    with UnitOfWork(factory) as uow:
        followed = uow.digests.with_followed_interventions("T1", MONDAY)
        assert [s.id for s in followed] == sessions[:2]
        assert uow.digests.with_followed_interventions("T2", MONDAY) == []


def test_claimed_weeks_and_an_uninstall_giving_back_the_unsent_ones(database_url: str) -> None:
    factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        for team in ("T1", "T2"):
            uow.workspaces.get_or_create(team)
            assert uow.digests.claim(team, "2026-W49", MONDAY)
            assert uow.digests.claim(team, "2026-W50", MONDAY)
        uow.digests.mark_sent("T1", "2026-W49", MONDAY, "C0LEADS", "1.2")
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.digests.claimed("T1", "2026-W50") and not uow.digests.claimed("T1", "2026-W51")
        uow.digests.give_back_unsent("T1")
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.digests.claimed("T1", "2026-W49")  # sent: kept
        assert not uow.digests.claimed("T1", "2026-W50")
        assert uow.digests.claimed("T2", "2026-W50")  # another workspace's: untouched

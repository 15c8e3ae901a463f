"""The check-in repository against SQLite and PostgreSQL: claims are exclusive, stale claims are
retaken, failed sends stay visible, and the App Home listing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from storage.checkins import (
    SENDING_TIMEOUT,
    CheckIn,
    CheckInStatus,
    Claimed,
    Intervention,
    InterventionStatus,
    retry_delay,
)
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Session
from storage.uow import UnitOfWork

T0 = datetime(2026, 12, 1, 10, tzinfo=UTC)
TEAM = "T0COUNCIL"


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[OrmSession]]:
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    yield make_session_factory(engine)
    engine.dispose()


def seed(factory: sessionmaker[OrmSession], due: list[datetime], owner: str = "U0SAM") -> list[int]:
    """One session with an intervention per due time, each with one pending check-in. Returns the
    check-in ids."""
    with UnitOfWork(factory) as uow:
        uow.workspaces.get_or_create(TEAM)
        session = uow.sessions.add(
            Session(workspace_id=TEAM, template_id="five-whys", facilitator_id="U0FAC", channel_id="C0TEAM")
        )
        repository = uow.checkins
        ids = []
        for number, moment in enumerate(due):
            intervention = Intervention(
                workspace_id=TEAM,
                session_id=session.id,
                what=f"Intervention {number}",
                owner_id=owner,
                created_by="U0FAC",
                cadence="weekly",
                first_due=moment.date(),
                day_of_month=moment.day,
            )
            first = CheckIn(due_on=moment.date(), due_at=moment, status=CheckInStatus.PENDING, attempts=0)
            repository.add_intervention(intervention, first)
            ids.append(first.id)
        uow.commit()
        return ids


def claim(factory: sessionmaker[OrmSession], now: datetime, token: str, limit: int = 50) -> list[Claimed]:
    with UnitOfWork(factory) as uow:
        claimed = uow.checkins.claim_due(now, token, limit)
        uow.commit()
        return claimed


def row(factory: sessionmaker[OrmSession], checkin_id: int) -> CheckIn:
    with UnitOfWork(factory) as uow:
        found = uow.checkins.get(checkin_id)
        assert found is not None
        return found


def test_claims_are_exclusive_and_only_due_rows_are_claimed(factory: sessionmaker[OrmSession]) -> None:
    due = seed(factory, [T0 - timedelta(minutes=n) for n in range(5)])
    later = seed(factory, [T0 + timedelta(minutes=1)])
    first = claim(factory, T0, "a", limit=3)
    second = claim(factory, T0, "b")
    assert len(first) == 3 and len(second) == 2
    assert sorted(c.checkin_id for c in first + second) == sorted(due)
    assert claim(factory, T0, "c") == []
    sending = row(factory, first[0].checkin_id)
    assert sending.status == CheckInStatus.SENDING and sending.claim_token == "a" and sending.attempts == 1
    assert sending.claimed_at == T0
    assert row(factory, later[0]).status == CheckInStatus.PENDING


def test_a_stale_sending_claim_is_taken_over_and_the_old_holder_loses_it(
    factory: sessionmaker[OrmSession],
) -> None:
    [checkin_id] = seed(factory, [T0])
    [old] = claim(factory, T0, "crashed")
    assert claim(factory, T0 + SENDING_TIMEOUT, "b") == []  # not yet stale
    [new] = claim(factory, T0 + SENDING_TIMEOUT + timedelta(seconds=1), "b")
    assert new.checkin_id == checkin_id and row(factory, checkin_id).attempts == 2
    with UnitOfWork(factory) as uow:
        repository = uow.checkins
        assert repository.holding(old) is None
        assert repository.release_failed(old, T0, "late") is False
        assert repository.holding(new) is not None


def test_a_failed_send_goes_back_to_pending_with_its_error_and_a_retry_time(
    factory: sessionmaker[OrmSession],
) -> None:
    [checkin_id] = seed(factory, [T0])
    [held] = claim(factory, T0, "a")
    with UnitOfWork(factory) as uow:
        assert uow.checkins.release_failed(held, T0, "ratelimited") is True
        uow.commit()
    failed = row(factory, checkin_id)
    assert failed.status == CheckInStatus.PENDING and failed.last_error == "ratelimited"
    assert failed.claim_token is None and failed.retry_at == T0 + timedelta(minutes=2)
    assert claim(factory, T0 + timedelta(minutes=1), "b") == []
    assert [c.checkin_id for c in claim(factory, T0 + timedelta(minutes=2), "b")] == [checkin_id]
    assert [retry_delay(n) for n in (1, 2, 3, 6, 7, 50)] == [
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=60),
        timedelta(minutes=60),
        timedelta(minutes=60),
    ]


def test_for_owner_lists_open_interventions_with_their_next_checkin(
    factory: sessionmaker[OrmSession],
) -> None:
    seed(factory, [T0 + timedelta(days=7), T0 + timedelta(days=2)], owner="U0ALEX")
    seed(factory, [T0], owner="U0SAM")
    with UnitOfWork(factory) as uow:
        repository = uow.checkins
        closed = repository.for_owner(TEAM, "U0ALEX")[0]
        intervention = repository.intervention(TEAM, closed.intervention_id)
        assert intervention is not None
        intervention.status = InterventionStatus.DONE
        repository.cancel_waiting(intervention.id)
        uow.commit()
    with UnitOfWork(factory) as uow:
        listing = uow.checkins.for_owner(TEAM, "U0ALEX")
        assert [(i.what, i.next_checkin_at, i.cadence) for i in listing] == [
            ("Intervention 0", T0 + timedelta(days=7), "weekly")
        ]
        assert uow.checkins.for_owner("T0OTHER", "U0ALEX") == []


def test_a_claim_says_whether_an_earlier_attempt_may_have_reached_slack(
    factory: sessionmaker[OrmSession],
) -> None:
    [checkin_id] = seed(factory, [T0])
    [first] = claim(factory, T0, "a")
    assert (first.attempts, first.may_have_been_sent) == (1, False)
    [again] = claim(factory, T0 + SENDING_TIMEOUT + timedelta(seconds=1), "b")
    assert (again.checkin_id, again.attempts, again.may_have_been_sent) == (checkin_id, 2, True)


def test_a_claim_given_back_unused_is_pending_again_and_not_counted(
    factory: sessionmaker[OrmSession],
) -> None:
    [checkin_id] = seed(factory, [T0])
    [held] = claim(factory, T0, "a")
    with UnitOfWork(factory) as uow:
        assert uow.checkins.give_back(held) is True
        uow.commit()
    returned = row(factory, checkin_id)
    assert (returned.status, returned.claim_token, returned.attempts) == (CheckInStatus.PENDING, None, 0)
    assert returned.retry_at is None and returned.last_error is None
    [next_claim] = claim(factory, T0, "b")
    assert (next_claim.attempts, next_claim.may_have_been_sent) == (1, False)
    with UnitOfWork(factory) as uow:
        assert uow.checkins.give_back(held) is False  # the old token holds nothing any more


def test_the_database_clock_is_utc_and_agrees_with_this_machine(factory: sessionmaker[OrmSession]) -> None:
    before = datetime.now(UTC)
    with UnitOfWork(factory) as uow:
        now = uow.database_now()
    after = datetime.now(UTC)
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
    # The same machine: PostgreSQL's now() is the transaction's start, SQLite reads to the millisecond.
    assert before - timedelta(seconds=1) <= now <= after + timedelta(seconds=1)


def test_an_interventions_check_ins_are_read_through_its_index_not_by_status_alone(
    factory: sessionmaker[OrmSession],
) -> None:
    """Marking check-ins sent reads their interventions' pending and sent ones (one by one, or a
    batch's at once): through ``(intervention_id, status, due_at)``, never by walking every pending
    check-in (the dispatcher slowed as check-ins piled up)."""
    engine = factory.kw["bind"]
    if engine.dialect.name != "sqlite":
        pytest.skip("query plans are read from SQLite")
    moment = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    seed(factory, [moment + timedelta(minutes=n) for n in range(20)])
    plans: list[str] = []

    def explain(_conn: object, cursor: Any, statement: str, parameters: Any, *_args: object) -> None:
        if "FROM checkins" in statement and statement.lstrip().startswith("SELECT"):
            rows = cursor.connection.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            plans.append(" ".join(str(row[3]) for row in rows))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        with UnitOfWork(factory) as uow:
            intervention_id = uow.checkins.pending_in_workspace(TEAM)[0].intervention_id
            plans.clear()
            assert uow.checkins.pending_for(intervention_id) is not None
            assert list(uow.checkins.recent_sent(intervention_id, 3)) == []
            history = uow.checkins.send_histories([intervention_id], sent_limit=2)[intervention_id]
            assert (history.recent_sent, history.has_pending) == ([], True)
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    assert len(plans) == 3
    assert all("ix_checkins_intervention_status" in plan for plan in plans), plans

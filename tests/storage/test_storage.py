"""Storage on SQLite and PostgreSQL: migrations, versioned answers, event claims, workspace scoping."""

from __future__ import annotations

import threading

from sqlalchemy import inspect

from storage.db import ensure_schema, make_engine, make_session_factory
from storage.models import Role, Session, SessionStatus
from storage.uow import UnitOfWork


def _factory(url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    ensure_schema(url, engine)
    return engine, make_session_factory(engine)


def _new_session(uow: UnitOfWork, team: str, channel: str = "C1", thread: str = "1.1") -> Session:
    uow.workspaces.get_or_create(team)
    session = uow.sessions.add(
        Session(
            workspace_id=team,
            template_id="five-whys",
            facilitator_id="U1",
            channel_id=channel,
            thread_ts=thread,
        )
    )
    uow.sessions.add_participant(session, "U1", Role.FACILITATOR)
    return session


def test_migrations_create_every_table(database_url: str) -> None:
    engine, _ = _factory(database_url)
    tables = set(inspect(engine).get_table_names())
    assert {"workspaces", "problems", "sessions", "participants", "answers", "processed_events"} <= tables


def test_answers_are_versioned_never_overwritten(database_url: str) -> None:
    _, factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        session = _new_session(uow, "T1")
        uow.answers.add_version(session.id, "problem", value="first", author_id="U1")
        uow.commit()
        session_id = session.id
    with UnitOfWork(factory) as uow:
        uow.answers.add_version(session_id, "problem", value="second", author_id="U2")
        uow.answers.add_version(session_id, "whys.1.answer", value="w", author_id="U2")
        uow.answers.add_version(session_id, "whys.1.answer", value=None, author_id="U2", retracted=True)
        uow.commit()
    with UnitOfWork(factory) as uow:
        latest = uow.answers.latest(session_id)
        assert latest["problem"].value == "second" and latest["problem"].author_id == "U2"
        assert "whys.1.answer" not in latest
        history = uow.answers.history(session_id, "problem")
        assert [(h.version, h.value, h.author_id) for h in history] == [
            (1, "first", "U1"),
            (2, "second", "U2"),
        ]


def test_uncommitted_work_is_rolled_back(database_url: str) -> None:
    _, factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        _new_session(uow, "T1")
    with UnitOfWork(factory) as uow:
        assert uow.sessions.by_thread("T1", "C1", "1.1") is None


def test_event_ids_are_claimed_once(database_url: str) -> None:
    _, factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        assert uow.events.claim("Ev1", "T1") is True
        uow.commit()
    with UnitOfWork(factory) as uow:
        assert uow.events.claim("Ev1", "T1") is False
        assert uow.events.claim("Ev2", "T1") is True
        uow.commit()


def test_concurrent_claims_of_one_event_succeed_once(database_url: str) -> None:
    _, factory = _factory(database_url)
    results: list[bool] = []
    lock = threading.Lock()

    def claim() -> None:
        with UnitOfWork(factory) as uow:
            ok = uow.events.claim("EvSame", "T1")
            uow.commit()
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_queries_are_scoped_by_workspace(database_url: str) -> None:
    _, factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        a = _new_session(uow, "TA", "C1", "1.1")
        b = _new_session(uow, "TB", "C1", "1.1")
        uow.commit()
        a_id, b_id = a.id, b.id
    with UnitOfWork(factory) as uow:
        assert uow.sessions.get("TA", b_id) is None
        assert uow.sessions.get("TB", a_id) is None
        found = uow.sessions.by_thread("TB", "C1", "1.1")
        assert found is not None and found.id == b_id
        assert [s.id for s in uow.sessions.for_user("TA", "U1")] == [a_id]


def test_dm_session_lookup_ignores_finished_sessions(database_url: str) -> None:
    _, factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        uow.workspaces.get_or_create("T1")
        done = uow.sessions.add(
            Session(
                workspace_id="T1",
                template_id="five-whys",
                facilitator_id="U1",
                channel_id="D1",
                is_dm=True,
                status=SessionStatus.COMPLETED,
            )
        )
        live = uow.sessions.add(
            Session(
                workspace_id="T1", template_id="five-whys", facilitator_id="U1", channel_id="D1", is_dm=True
            )
        )
        uow.commit()
        assert done.id != live.id
    with UnitOfWork(factory) as uow:
        found = uow.sessions.open_dm_session("T1", "D1")
        assert found is not None and found.id == live.id


def test_problem_statements_and_recent_sessions_stay_in_their_workspace(database_url: str) -> None:
    """What the leads' Home reads to group problems: statements by id in one query, and a workspace's
    sessions most recently active first; neither reaches another workspace's rows."""
    from datetime import UTC, datetime

    _, factory = _factory(database_url)
    with UnitOfWork(factory) as uow:
        uow.workspaces.get_or_create("TA")
        uow.workspaces.get_or_create("TB")
        mine = uow.problems.add("TA", "Bins missed", "U1")
        theirs = uow.problems.add("TB", "Potholes", "U1")
        older = _new_session(uow, "TA", "C1", "1.1")
        newer = _new_session(uow, "TA", "C1", "2.2")
        other = _new_session(uow, "TB", "C1", "1.1")
        older.updated_at = datetime(2026, 11, 1, tzinfo=UTC)
        newer.updated_at = datetime(2026, 11, 20, tzinfo=UTC)
        uow.commit()
        ids = (mine.id, theirs.id, older.id, newer.id, other.id)
    mine_id, theirs_id, older_id, newer_id, other_id = ids
    with UnitOfWork(factory) as uow:
        assert uow.problems.statements("TA", [mine_id, theirs_id]) == {mine_id: "Bins missed"}
        assert uow.problems.statements("TA", []) == {}
        assert [s.id for s in uow.sessions.recently_active("TA", 10)] == [newer_id, older_id]
        assert [s.id for s in uow.sessions.recently_active("TA", 1)] == [newer_id]
        assert other_id not in {s.id for s in uow.sessions.recently_active("TA", 10)}

"""Adding a participant: one insert, run at once, and the ORM's view of the session kept in step with
the database (nothing left for the commit's flush to write, nothing read back), on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect

from storage.db import ensure_schema, make_engine, make_session_factory
from storage.models import Role, Session
from storage.uow import UnitOfWork


def test_a_new_participant_is_one_insert_and_the_session_knows_it(database_url: str) -> None:
    engine = make_engine(database_url)
    ensure_schema(database_url, engine)
    factory = make_session_factory(engine)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    with UnitOfWork(factory) as uow:
        uow.workspaces.get_or_create("T1")
        session = uow.sessions.add(
            Session(
                workspace_id="T1",
                template_id="five-whys",
                facilitator_id="U1",
                channel_id="C1",
                thread_ts="1.1",
                participants=[],
            )
        )
        event.listen(engine, "before_cursor_execute", count)
        facilitator = uow.sessions.add_participant(session, "U1", Role.FACILITATOR)
        alex = uow.sessions.add_participant(session, "U2")
        again = uow.sessions.add_participant(session, "U2")  # already taking part: nothing written
        assert statements == ["INSERT", "INSERT"]
        assert again is alex and [p.user_id for p in session.participants] == ["U1", "U2"]
        assert facilitator.role == Role.FACILITATOR and alex.session is session
        assert inspect(alex).persistent and not inspect(session).modified
        uow.commit()
        event.remove(engine, "before_cursor_execute", count)
        assert statements == ["INSERT", "INSERT"]  # the commit's flush found nothing to write
        session_id = session.id
    with UnitOfWork(factory) as uow:
        stored = uow.sessions.get("T1", session_id)
        assert stored is not None
        assert sorted((p.user_id, p.role, p.joined_at is not None) for p in stored.participants) == [
            ("U1", Role.FACILITATOR, True),
            ("U2", Role.PARTICIPANT, True),
        ]
    engine.dispose()

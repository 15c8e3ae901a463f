"""Repositories add and query; they never commit (the unit of work owns the transaction).

Every query that reaches a session, problem or answer is scoped by workspace id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession

from storage.models import (
    AnswerVersion,
    Participant,
    Problem,
    ProcessedEvent,
    Role,
    Session,
    SessionStatus,
    Workspace,
    utcnow,
)


class WorkspaceRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def get(self, workspace_id: str) -> Workspace | None:
        return self._orm.get(Workspace, workspace_id)

    def get_or_create(self, workspace_id: str, name: str | None = None) -> Workspace:
        workspace = self._orm.get(Workspace, workspace_id)
        if workspace is None:
            workspace = Workspace(id=workspace_id, name=name, settings={})
            self._orm.add(workspace)
            self._orm.flush()
        return workspace


class ProblemRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def add(self, workspace_id: str, statement: str, created_by: str) -> Problem:
        problem = Problem(workspace_id=workspace_id, statement=statement, created_by=created_by)
        self._orm.add(problem)
        self._orm.flush()
        return problem

    def get(self, workspace_id: str, problem_id: int) -> Problem | None:
        return self._orm.scalar(
            select(Problem).where(Problem.workspace_id == workspace_id, Problem.id == problem_id)
        )


class SessionRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def add(self, session: Session) -> Session:
        self._orm.add(session)
        self._orm.flush()
        return session

    def get(self, workspace_id: str, session_id: int, *, for_update: bool = False) -> Session | None:
        query = select(Session).where(Session.workspace_id == workspace_id, Session.id == session_id)
        if for_update:
            query = query.with_for_update()
        return self._orm.scalar(query)

    def by_thread(
        self, workspace_id: str, channel_id: str, thread_ts: str, *, for_update: bool = False
    ) -> Session | None:
        query = select(Session).where(
            Session.workspace_id == workspace_id,
            Session.channel_id == channel_id,
            Session.thread_ts == thread_ts,
        )
        if for_update:
            query = query.with_for_update()
        return self._orm.scalar(query)

    def open_dm_session(
        self, workspace_id: str, channel_id: str, *, for_update: bool = False
    ) -> Session | None:
        """The newest unfinished session run in a DM channel (one conversation at a time there)."""
        query = (
            select(Session)
            .where(
                Session.workspace_id == workspace_id,
                Session.channel_id == channel_id,
                Session.is_dm.is_(True),
                Session.status.in_((SessionStatus.ACTIVE, SessionStatus.PAUSED)),
            )
            .order_by(Session.id.desc())
            .limit(1)
        )
        if for_update:
            query = query.with_for_update()
        return self._orm.scalar(query)

    def for_user(self, workspace_id: str, user_id: str, limit: int = 20) -> Sequence[Session]:
        query = (
            select(Session)
            .join(Participant, Participant.session_id == Session.id)
            .where(Session.workspace_id == workspace_id, Participant.user_id == user_id)
            .order_by(Session.updated_at.desc(), Session.id.desc())
            .limit(limit)
        )
        return self._orm.scalars(query).unique().all()

    def add_participant(self, session: Session, user_id: str, role: Role = Role.PARTICIPANT) -> Participant:
        for participant in session.participants:
            if participant.user_id == user_id:
                return participant
        participant = Participant(user_id=user_id, role=role)
        session.participants.append(participant)
        self._orm.flush()
        return participant

    def touch(self, session: Session, when: datetime | None = None) -> None:
        session.updated_at = when or utcnow()

    def set_last_prompted(self, workspace_id: str, session_id: int, key: str | None) -> None:
        """Record the prompt last posted with one UPDATE: this runs after every answer, so it does not
        load the session (and its participants) first."""
        self._orm.execute(
            update(Session)
            .where(Session.workspace_id == workspace_id, Session.id == session_id)
            .values(last_prompted_key=key)
        )


class AnswerRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def latest(self, session_id: int) -> dict[str, AnswerVersion]:
        """The latest version of every key that is not retracted."""
        newest = (
            select(AnswerVersion.key, func.max(AnswerVersion.version).label("version"))
            .where(AnswerVersion.session_id == session_id)
            .group_by(AnswerVersion.key)
            .subquery()
        )
        rows = self._orm.scalars(
            select(AnswerVersion)
            .join(
                newest,
                (AnswerVersion.key == newest.c.key) & (AnswerVersion.version == newest.c.version),
            )
            .where(AnswerVersion.session_id == session_id)
        ).all()
        return {row.key: row for row in rows if not row.retracted}

    def history(self, session_id: int, key: str | None = None) -> Sequence[AnswerVersion]:
        query = select(AnswerVersion).where(AnswerVersion.session_id == session_id)
        if key is not None:
            query = query.where(AnswerVersion.key == key)
        return self._orm.scalars(query.order_by(AnswerVersion.key, AnswerVersion.version)).all()

    def add_version(
        self,
        session_id: int,
        key: str,
        *,
        value: Any,
        author_id: str,
        raw_text: str | None = None,
        skipped: bool = False,
        retracted: bool = False,
        current_versions: Mapping[str, int] | None = None,
    ) -> AnswerVersion:
        if current_versions is not None and key in current_versions:
            version = current_versions[key] + 1
        else:
            version = (
                self._orm.scalar(
                    select(func.max(AnswerVersion.version)).where(
                        AnswerVersion.session_id == session_id, AnswerVersion.key == key
                    )
                )
                or 0
            ) + 1
        row = AnswerVersion(
            session_id=session_id,
            key=key,
            version=version,
            value=value,
            raw_text=raw_text,
            skipped=skipped,
            retracted=retracted,
            author_id=author_id,
        )
        self._orm.add(row)
        return row


class EventRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def claim(self, event_id: str, workspace_id: str) -> bool:
        """Record ``event_id``; False if it was already recorded (a retried delivery)."""
        dialect = self._orm.get_bind().dialect.name
        values = {"event_id": event_id, "workspace_id": workspace_id, "received_at": utcnow()}
        if dialect == "postgresql":
            statement: Any = pg_insert(ProcessedEvent).values(**values).on_conflict_do_nothing()
        else:
            statement = sqlite_insert(ProcessedEvent).values(**values).on_conflict_do_nothing()
        # RETURNING, not rowcount: an ORM-executed INSERT reports rowcount -1 on psycopg.
        return self._orm.execute(statement.returning(ProcessedEvent.event_id)).first() is not None

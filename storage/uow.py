"""The unit of work: one database transaction per Slack request or scheduled job; it alone commits.

Every repository is reached through it, and the ORM session stays private to it: code outside
``storage/`` never writes SQL, and never commits half a change.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from storage.audit import AuditRepository
from storage.checkins import CheckInRepository
from storage.db import checkpoint, database_now
from storage.digests import DigestRepository
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.privacy import PendingAnswerRepository, PrivacyRepository
from storage.repositories import (
    AllowanceRepository,
    AnswerRepository,
    EventRepository,
    LeadsPostRepository,
    ProblemRepository,
    SessionRepository,
    WorkspaceRepository,
)
from storage.retention import RetentionRepository
from storage.root_causes import RootCauseRepository
from storage.visibility import VisibilityRepository


class DatabaseUnavailable(Exception):
    """The database did not answer (down, unreachable, refusing connections, or busy past the
    timeout): nothing was stored, and the caller may try again."""


class UnitOfWork:
    """``with UnitOfWork(factory) as uow: ...; uow.commit()``: anything not committed is rolled back."""

    def __init__(self, session_factory: sessionmaker[OrmSession]) -> None:
        self._factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self._orm = orm = self._factory()
        self.workspaces = WorkspaceRepository(orm)
        self.problems = ProblemRepository(orm)
        self.sessions = SessionRepository(orm)
        self.answers = AnswerRepository(orm)
        self.events = EventRepository(orm)
        self.checkins = CheckInRepository(orm)
        self.pending = PendingAnswerRepository(orm)
        self.allowances = AllowanceRepository(orm)
        self.privacy = PrivacyRepository(orm)
        self.audit = AuditRepository(orm)
        self.retention = RetentionRepository(orm)
        self.people = PeopleRepository(orm)
        self.visibility = VisibilityRepository(orm)
        self.outbox = OutboxRepository(orm)
        self.leads_posts = LeadsPostRepository(orm)
        self.root_causes = RootCauseRepository(orm)
        self.digests = DigestRepository(orm)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches objects without expiring them,
        # so values read inside the unit of work stay readable after it.
        try:
            self._orm.close()
        except (OperationalError, InterfaceError):
            if exc is None:
                raise
        if isinstance(exc, OperationalError | InterfaceError):
            raise DatabaseUnavailable(str(exc.orig) if exc.orig is not None else str(exc)) from exc

    def database_now(self) -> datetime:
        """The database's clock: what shared schedules (due check-ins, stale claims) are timed by, so
        that processes whose own clocks differ still agree."""
        return database_now(self._orm.connection())

    def flush(self) -> None:
        """Send pending changes (ids for new rows) without committing."""
        self._orm.flush()

    def commit(self) -> None:
        self._orm.commit()

    def rollback(self) -> None:
        self._orm.rollback()

    def checkpoint(self) -> None:
        """After a commit that erased data: on SQLite, fold the write-ahead log into the file and
        truncate it, so no old copy of the erased text stays in the WAL."""
        bind = self._orm.get_bind()
        checkpoint(bind if isinstance(bind, Engine) else bind.engine)

"""The unit of work: one database transaction per Slack request; it alone commits."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from storage.repositories import (
    AnswerRepository,
    EventRepository,
    ProblemRepository,
    SessionRepository,
    WorkspaceRepository,
)


class UnitOfWork:
    """``with UnitOfWork(factory) as uow: ...; uow.commit()``: anything not committed is rolled back."""

    def __init__(self, session_factory: sessionmaker[OrmSession]) -> None:
        self._factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.orm = self._factory()
        self.workspaces = WorkspaceRepository(self.orm)
        self.problems = ProblemRepository(self.orm)
        self.sessions = SessionRepository(self.orm)
        self.answers = AnswerRepository(self.orm)
        self.events = EventRepository(self.orm)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches objects without expiring them,
        # so values read inside the unit of work stay readable after it.
        self.orm.close()

    def commit(self) -> None:
        self.orm.commit()

    def rollback(self) -> None:
        self.orm.rollback()

"""Retention: each workspace keeps sessions for a set period (its ``retention_days`` setting, two years
unless changed); a daily job deletes sessions whose last activity is older than that.

"Last activity" is ``updated_at``: a session completed, cancelled or abandoned (nobody has answered)
before the cutoff goes, with its answers and participants (and, through their foreign keys, anything
other features attached to it); a session still in use stays however old it is. Problems that no
remaining session refers to and that were written before the cutoff go too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session as OrmSession

from storage.audit import SYSTEM, AuditRepository
from storage.models import AnswerVersion, Participant, PendingAnswer, Problem, Session, Workspace
from storage.repositories import count_erasure
from storage.settings import read_settings


@dataclass(frozen=True)
class PurgeResult:
    workspace_id: str
    cutoff: datetime
    sessions: int
    answers: int
    problems: int


def _count(orm: OrmSession, statement: Any) -> int:
    # RETURNING, not rowcount: an ORM-executed bulk statement may report -1 on psycopg.
    return len(orm.execute(statement).all())


def _retention_days(workspace: Workspace) -> int:
    return read_settings(workspace.settings, workspace.leads_channel).effective_retention_days


def purge_workspace(orm: OrmSession, workspace: Workspace, now: datetime) -> PurgeResult:
    cutoff = now - timedelta(days=_retention_days(workspace))
    expired = select(Session.id).where(Session.workspace_id == workspace.id, Session.updated_at < cutoff)
    answers = _count(
        orm, delete(AnswerVersion).where(AnswerVersion.session_id.in_(expired)).returning(AnswerVersion.id)
    )
    orm.execute(delete(Participant).where(Participant.session_id.in_(expired)))
    orm.execute(delete(PendingAnswer).where(PendingAnswer.session_id.in_(expired)))
    sessions = _count(
        orm,
        delete(Session)
        .where(Session.workspace_id == workspace.id, Session.updated_at < cutoff)
        .returning(Session.id),
    )
    problems = _count(
        orm,
        delete(Problem)
        .where(
            Problem.workspace_id == workspace.id,
            Problem.created_at < cutoff,
            ~exists().where(Session.problem_id == Problem.id),
        )
        .returning(Problem.id),
    )
    if answers or sessions or problems:
        count_erasure(orm, workspace.id)
    return PurgeResult(workspace.id, cutoff, sessions, answers, problems)


def purge_expired(orm: OrmSession, now: datetime) -> list[PurgeResult]:
    """Purge every workspace; each purge that deleted something is recorded in the audit log. Runs in
    the caller's transaction. Idempotent, so two workers running it on the same day is harmless."""
    results = []
    audit = AuditRepository(orm)
    for workspace in orm.scalars(select(Workspace).order_by(Workspace.id)).all():
        result = purge_workspace(orm, workspace, now)
        if result.sessions or result.problems:
            audit.add(
                workspace.id,
                SYSTEM,
                "retention.purge",
                {
                    "cutoff": result.cutoff.isoformat(),
                    "retention_days": _retention_days(workspace),
                    "sessions": result.sessions,
                    "answers": result.answers,
                    "problems": result.problems,
                },
                at=now,
            )
        results.append(result)
    return results


class RetentionRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def purge_expired(self, now: datetime) -> list[PurgeResult]:
        return purge_expired(self._orm, now)

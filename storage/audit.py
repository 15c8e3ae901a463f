"""The audit log: who did what, when. Confirmations, overrides, deletions and settings changes are
recorded here, in the same transaction as the change itself (so an entry exists exactly when the
change was committed).

Call ``record(uow, workspace_id, actor, action, detail)`` from any handler; ``actor`` is a Slack user
id, or :data:`SYSTEM` for scheduled jobs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Index, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as OrmSession

from storage.models import Base, utcnow

if TYPE_CHECKING:
    from storage.uow import UnitOfWork

SYSTEM = "system"


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_workspace", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: the log outlives what it describes (a purged session, an uninstalled workspace).
    workspace_id: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(32), index=True)
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def add(
        self,
        workspace_id: str,
        actor: str,
        action: str,
        detail: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            workspace_id=workspace_id[:32],
            actor=actor[:32],
            action=action[:64],
            detail=dict(detail or {}),
            created_at=at or utcnow(),
        )
        self._orm.add(entry)
        return entry

    def for_workspace(self, workspace_id: str, limit: int = 100) -> Sequence[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.workspace_id == workspace_id)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
        return self._orm.scalars(query).all()

    def by_actor(self, workspace_id: str, actor: str) -> Sequence[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.workspace_id == workspace_id, AuditEntry.actor == actor)
            .order_by(AuditEntry.created_at, AuditEntry.id)
        )
        return self._orm.scalars(query).all()


def record(
    uow: UnitOfWork,
    workspace_id: str,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to ``uow``'s transaction; it is written when the caller commits.

    ``action`` is a short dotted name (``session.confirm``, ``classification.override``,
    ``settings.retention``, ``privacy.forget_me``); ``detail`` is JSON (ids and before/after values,
    never free text a person wrote)."""
    return AuditRepository(uow.orm).add(workspace_id, actor, action, detail, at=at)

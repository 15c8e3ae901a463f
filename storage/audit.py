"""The audit log: who did what, when. Confirmations, overrides, deletions and settings changes are
recorded here, in the same transaction as the change itself (so an entry exists exactly when the
change was committed).

Services call ``uow.audit.add(workspace_id, actor, action, detail)``; ``actor`` is a Slack user id, or
:data:`SYSTEM` for scheduled jobs. ``action`` is a short dotted name (``classification.override``,
``settings.retention``, ``privacy.forget_me``); ``detail`` is JSON (ids and before/after values, never
free text a person wrote).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from storage.models import AuditEntry, utcnow

__all__ = ["SYSTEM", "AuditEntry", "AuditRepository"]

SYSTEM = "system"


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

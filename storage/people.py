"""What each person chose for themselves (today: their language). Adds and queries; never commits."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from storage.models import PersonSetting, utcnow


class PeopleRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def locale(self, workspace_id: str, user_id: str) -> str | None:
        """The language ``user_id`` chose in this workspace, or None if they have not chosen."""
        row = self._orm.get(PersonSetting, (workspace_id, user_id))
        return row.locale if row is not None else None

    def locales(self, workspace_id: str, user_ids: Collection[str]) -> dict[str, str | None]:
        """The language each of ``user_ids`` chose in this workspace (None: not chosen), in one query."""
        chosen: dict[str, str | None] = dict.fromkeys(user_ids)
        if chosen:
            rows = self._orm.execute(
                select(PersonSetting.user_id, PersonSetting.locale).where(
                    PersonSetting.workspace_id == workspace_id, PersonSetting.user_id.in_(sorted(chosen))
                )
            )
            chosen.update({user_id: locale for user_id, locale in rows})
        return chosen

    def set_locale(self, workspace_id: str, user_id: str, locale: str | None) -> None:
        """Record ``user_id``'s language (None: back to the workspace's default)."""
        row = self._orm.get(PersonSetting, (workspace_id, user_id))
        if row is None:
            self._orm.add(PersonSetting(workspace_id=workspace_id, user_id=user_id, locale=locale))
        else:
            row.locale = locale
            row.updated_at = utcnow()

    def forget(self, workspace_id: str, user_id: str) -> int:
        """Remove everything ``user_id`` chose in this workspace; the number of rows removed."""
        result = self._orm.execute(
            delete(PersonSetting).where(
                PersonSetting.workspace_id == workspace_id, PersonSetting.user_id == user_id
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

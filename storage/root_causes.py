"""Queries across a workspace's sessions for the classifier and for "seen elsewhere in the council":
the root causes teams confirmed, and the analyses whose classification a facilitator decided.

Both read the answers as stored (the latest version of each key, never a retracted one), so an answer
erased at a person's request or purged with its session is gone from them too. Every query is scoped by
workspace. Nothing here decides who may see what: the caller filters by channel.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session as OrmSession

from storage.models import REMOVED_TEXT, AnswerVersion, Session, SessionStatus

# The newest root causes and decided analyses are enough: a workspace with more is read in part.
DEFAULT_ROOT_CAUSES = 500
DEFAULT_DECIDED = 200


@dataclass(frozen=True)
class StoredRootCause:
    """A root cause a team confirmed: the text, the session it is from and where that session ran."""

    session_id: int
    key: str
    text: str
    channel_id: str
    thread_ts: str | None
    is_dm: bool
    session_started: datetime


@dataclass(frozen=True)
class DecidedAnalysis:
    """One session's answers (latest versions, by key) as they stood when its classification was
    decided, or at the cut-off if that came later."""

    session_id: int
    values: dict[str, Any]


def _latest_versions(workspace_id: str, before_id: int | None = None) -> Any:
    """(session id, key, newest version) of every answer key in the workspace's sessions, counting
    only versions stored before the answer version ``before_id`` when given."""
    query = (
        select(
            AnswerVersion.session_id,
            AnswerVersion.key,
            func.max(AnswerVersion.version).label("version"),
        )
        .join(Session, Session.id == AnswerVersion.session_id)
        .where(Session.workspace_id == workspace_id)
        .group_by(AnswerVersion.session_id, AnswerVersion.key)
    )
    if before_id is not None:
        query = query.where(AnswerVersion.id < before_id)
    return query


class RootCauseRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def confirmed(
        self,
        workspace_id: str,
        keys: Collection[str],
        *,
        except_session: int | None = None,
        limit: int = DEFAULT_ROOT_CAUSES,
    ) -> list[StoredRootCause]:
        """The root causes confirmed in the workspace's sessions (answers under ``keys``, whose value
        carries the chosen ``text``), newest first; cancelled sessions and ``except_session`` left out."""
        newest = _latest_versions(workspace_id).where(AnswerVersion.key.in_(tuple(keys))).subquery()
        query = (
            # Columns, not ORM objects (read on every confirmed root cause, up to ``limit`` rows).
            select(
                AnswerVersion.session_id,
                AnswerVersion.key,
                AnswerVersion.value,
                Session.channel_id,
                Session.thread_ts,
                Session.is_dm,
                Session.created_at,
            )
            .join(
                newest,
                (AnswerVersion.session_id == newest.c.session_id)
                & (AnswerVersion.key == newest.c.key)
                & (AnswerVersion.version == newest.c.version),
            )
            .join(Session, Session.id == AnswerVersion.session_id)
            .where(
                Session.workspace_id == workspace_id,
                Session.status != SessionStatus.CANCELLED,
                AnswerVersion.retracted.is_(False),
                AnswerVersion.skipped.is_(False),
            )
            .order_by(AnswerVersion.created_at.desc(), AnswerVersion.id.desc())
            .limit(limit)
        )
        if except_session is not None:
            query = query.where(Session.id != except_session)
        found = []
        for session_id, key, value, channel_id, thread_ts, is_dm, started in self._orm.execute(query).all():
            text = str(value.get("text") or "").strip() if isinstance(value, dict) else ""
            if not text or text == REMOVED_TEXT:
                continue
            found.append(
                StoredRootCause(
                    session_id=session_id,
                    key=key,
                    text=text,
                    channel_id=str(channel_id),
                    thread_ts=thread_ts,
                    is_dm=bool(is_dm),
                    session_started=started,
                )
            )
        return found

    def decided_before(
        self,
        workspace_id: str,
        session_id: int,
        classification_keys: Collection[str],
        *,
        limit: int = DEFAULT_DECIDED,
        value_keys: Collection[str] | None = None,
        value_key_shapes: Collection[tuple[str, str]] = (),
    ) -> list[DecidedAnalysis]:
        """The workspace's other analyses whose classification (an answer under
        ``classification_keys``) was decided before session ``session_id`` received its first answer,
        newest decision first, each with its answers as they stood then.

        ``value_keys`` and ``value_key_shapes`` (a key's start and end, ``("whys.", ".answer")``), when
        given, say which answers besides the classification the caller reads: only those are loaded
        (up to ``limit`` sessions' answers are read on every proposal).

        The cut-off makes the set repeatable: the proposal shown to a session and the one its
        ``confirm`` is checked against are the same, whatever other teams decide in between. It is
        the answers' id order, not their times, so it holds whatever the clocks say."""
        first_answer = self._orm.scalar(
            select(func.min(AnswerVersion.id)).where(AnswerVersion.session_id == session_id)
        )
        # First the decided sessions (their classification answers only), then those sessions' answers.
        newest_decisions = (
            _latest_versions(workspace_id, first_answer)
            .where(AnswerVersion.key.in_(tuple(classification_keys)), AnswerVersion.session_id != session_id)
            .subquery()
        )
        # Only the sessions' ids: the decisions' values are read with the rest of their answers below.
        decided = self._orm.scalars(
            _latest_rows(newest_decisions)
            .with_only_columns(AnswerVersion.session_id)
            .order_by(AnswerVersion.created_at.desc(), AnswerVersion.id.desc())
            .limit(limit)
        ).all()
        order = list(dict.fromkeys(decided))
        if not order:
            return []
        wanted = _latest_versions(workspace_id, first_answer).where(AnswerVersion.session_id.in_(order))
        if value_keys is not None:
            wanted = wanted.where(
                or_(
                    AnswerVersion.key.in_((*classification_keys, *value_keys)),
                    *(
                        and_(
                            AnswerVersion.key.startswith(start, autoescape=True),
                            AnswerVersion.key.endswith(end, autoescape=True),
                        )
                        for start, end in value_key_shapes
                    ),
                )
            )
        newest = wanted.subquery()
        values: dict[int, dict[str, Any]] = {decided: {} for decided in order}
        # Columns, not ORM objects: up to 200 sessions' answers are read on every proposal, and
        # building an AnswerVersion for each row cost more than the query itself.
        columns = (AnswerVersion.session_id, AnswerVersion.key, AnswerVersion.value)
        for session_id, key, value in self._orm.execute(_latest_rows(newest).with_only_columns(*columns)):
            values[session_id][key] = value
        return [DecidedAnalysis(decided, values[decided]) for decided in order]


def _latest_rows(newest: Any) -> Any:
    """The answer rows named by a ``_latest_versions`` subquery, without retractions and skips."""
    return (
        select(AnswerVersion)
        .join(
            newest,
            (AnswerVersion.session_id == newest.c.session_id)
            & (AnswerVersion.key == newest.c.key)
            & (AnswerVersion.version == newest.c.version),
        )
        .where(AnswerVersion.retracted.is_(False), AnswerVersion.skipped.is_(False))
    )

"""Queries across a workspace's sessions for the classifier and for "seen elsewhere in the council":
the root causes teams confirmed, and the analyses whose classification a facilitator decided.

Both read the answers as stored (the latest version of each key, never a retracted one), so an answer
erased at a person's request or purged with its session is gone from them too. Every query is scoped by
workspace. Nothing here decides who may see what: the caller filters by channel.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, and_, bindparam, exists, func, or_, select, union_all
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import BindParameter

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
    decided, or at the cut-off if that came later. ``through``: the id of that session's newest answer
    row (before the cut-off) when they were read. Answers are only ever added (an edit or a retraction
    is a new version), except by an erasure, which counts itself in ``Workspace.erasures``: so under
    one erasure count, the same ``through`` means the same answers."""

    session_id: int
    values: dict[str, Any]
    through: int | None = None


# The statements below are built once per variant (constructing one cost more than running it) and
# take their values as bound parameters: the workspace, the session left out, the cut-off answer id,
# the row limit and the decided sessions.
# Without a type of their own, each takes the type of the column it is compared with.
_WORKSPACE: BindParameter[Any] = bindparam("workspace")
_LEFT_OUT: BindParameter[Any] = bindparam("left_out")
_BEFORE: BindParameter[Any] = bindparam("before")
_LIMIT = bindparam("limit", type_=Integer)
# Named twice in the decided sessions' answers (inside and outside the subquery), once each.
_DECIDED: BindParameter[Any] = bindparam("decided", expanding=True)
_DECIDED_AGAIN: BindParameter[Any] = bindparam("decided_again", expanding=True)

# The id of the first answer of session ``:left_out`` (the cut-off of what it learns from).
_FIRST_ANSWER = select(func.min(AnswerVersion.id)).where(AnswerVersion.session_id == _LEFT_OUT)


def _newest_latest(
    columns: Sequence[Any], keys: Collection[str], *, where: Sequence[Any], before: bool
) -> Any:
    """``columns`` of the newest ``:limit`` answers under ``keys`` (by time, then id) that are the
    latest version of their session's key, neither retracted nor skipped, and match ``where`` (the
    answer's session is joined); counting only versions stored before the answer version ``:before``
    when ``before``. Each key's answers are walked newest first through ``ix_answers_key_newest`` until
    enough match, so the work does not grow with the workspace's history beyond the limit."""
    parts = []
    for key in sorted(set(keys)):
        newer = aliased(AnswerVersion)
        superseded = select(newer.id).where(
            newer.session_id == AnswerVersion.session_id,
            newer.key == AnswerVersion.key,
            newer.version > AnswerVersion.version,
        )
        query = (
            select(*columns, AnswerVersion.created_at.label("at"), AnswerVersion.id.label("answer_id"))
            .join(Session, Session.id == AnswerVersion.session_id)
            .where(
                AnswerVersion.key == key,
                AnswerVersion.retracted.is_(False),
                AnswerVersion.skipped.is_(False),
                *where,
            )
        )
        if before:
            superseded = superseded.where(newer.id < _BEFORE)
            query = query.where(AnswerVersion.id < _BEFORE)
        query = query.where(~exists(superseded))
        parts.append(query.order_by(AnswerVersion.created_at.desc(), AnswerVersion.id.desc()).limit(_LIMIT))
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    # Each key's newest (an ORDER BY … LIMIT inside a UNION needs its own subquery), merged.
    merged = union_all(*(select(*part.subquery().c) for part in parts)).subquery()
    return (
        select(*(column for column in merged.c if column.name not in ("at", "answer_id")))
        .order_by(merged.c.at.desc(), merged.c.answer_id.desc())
        .limit(_LIMIT)
    )


@lru_cache(maxsize=32)
def _confirmed_statement(keys: frozenset[str], leave_out: bool) -> Any:
    """:meth:`RootCauseRepository.confirmed`'s statement for ``keys``, with ``:left_out`` when
    ``leave_out``; None for no keys."""
    where = [Session.workspace_id == _WORKSPACE, Session.status != SessionStatus.CANCELLED]
    if leave_out:
        where.append(Session.id != _LEFT_OUT)
    # Columns, not ORM objects (read on every confirmed root cause, up to the limit's rows).
    columns = (
        AnswerVersion.session_id.label("session_id"),
        AnswerVersion.key.label("key"),
        AnswerVersion.value.label("value"),
        Session.channel_id.label("channel_id"),
        Session.thread_ts.label("thread_ts"),
        Session.is_dm.label("is_dm"),
        Session.created_at.label("started"),
    )
    return _newest_latest(columns, keys, where=where, before=False)


@lru_cache(maxsize=32)
def _decided_statement(keys: frozenset[str], before: bool) -> Any:
    """The decided sessions of :meth:`RootCauseRepository.decided_before` (their classification
    answers only, newest first), other than ``:left_out``; None for no keys."""
    where = [Session.workspace_id == _WORKSPACE, Session.id != _LEFT_OUT]
    return _newest_latest((AnswerVersion.session_id.label("session_id"),), keys, where=where, before=before)


@lru_cache(maxsize=2)
def _through_statement(before: bool) -> Any:
    """(session id, id of its newest answer row) for the sessions ``:decided``, counting only rows
    stored before ``:before`` when ``before``: what :class:`DecidedAnalysis` ``through`` compares."""
    query = (
        select(AnswerVersion.session_id, func.max(AnswerVersion.id))
        .where(AnswerVersion.session_id.in_(_DECIDED))
        .group_by(AnswerVersion.session_id)
    )
    return query.where(AnswerVersion.id < _BEFORE) if before else query


@lru_cache(maxsize=32)
def _decided_answers_statement(
    classification_keys: frozenset[str],
    value_keys: frozenset[str] | None,
    shapes: frozenset[tuple[str, str]],
    before: bool,
) -> Any:
    """(session id, key, value) of the latest answers of the sessions ``:decided`` (and
    ``:decided_again``, the same list), stored before ``:before`` when ``before``: all of them, or
    those under ``classification_keys``, ``value_keys`` and the keys of ``shapes`` when ``value_keys``
    is given."""
    wanted = (
        select(AnswerVersion.session_id, AnswerVersion.key, func.max(AnswerVersion.version).label("version"))
        .where(AnswerVersion.session_id.in_(_DECIDED))
        .group_by(AnswerVersion.session_id, AnswerVersion.key)
    )
    if before:
        wanted = wanted.where(AnswerVersion.id < _BEFORE)
    if value_keys is not None:
        wanted = wanted.where(
            or_(
                AnswerVersion.key.in_(sorted(classification_keys | value_keys)),
                *(
                    and_(
                        AnswerVersion.key.startswith(start, autoescape=True),
                        AnswerVersion.key.endswith(end, autoescape=True),
                    )
                    for start, end in sorted(shapes)
                ),
            )
        )
    newest = wanted.subquery()
    # Columns, not ORM objects: up to 200 sessions' answers are read on every proposal, and
    # building an AnswerVersion for each row cost more than the query itself.
    columns = (AnswerVersion.session_id, AnswerVersion.key, AnswerVersion.value)
    # The sessions named again outside the subquery: PostgreSQL otherwise read the whole table.
    return (
        _latest_rows(newest).with_only_columns(*columns).where(AnswerVersion.session_id.in_(_DECIDED_AGAIN))
    )


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
        query = _confirmed_statement(frozenset(keys), except_session is not None)
        if query is None:
            return []
        params = {"workspace": workspace_id, "left_out": except_session, "limit": limit}
        found = []
        for session_id, key, value, channel_id, thread_ts, is_dm, started, *_order in self._orm.execute(
            query, params
        ).all():
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
        known: Mapping[int, DecidedAnalysis] | None = None,
    ) -> list[DecidedAnalysis]:
        """The workspace's other analyses whose classification (an answer under
        ``classification_keys``) was decided before session ``session_id`` received its first answer,
        newest decision first, each with its answers as they stood then.

        ``value_keys`` and ``value_key_shapes`` (a key's start and end, ``("whys.", ".answer")``), when
        given, say which answers besides the classification the caller reads: only those are loaded
        (up to ``limit`` sessions' answers are read on every proposal).

        The cut-off makes the set repeatable: the proposal shown to a session and the one its
        ``confirm`` is checked against are the same, whatever other teams decide in between. It is
        the answers' id order, not their times, so it holds whatever the clocks say.

        ``known``: analyses an earlier call returned (with the same keys, under the same erasure
        count: the caller's to check). One whose session's newest answer before this cut-off is
        still the one it was read through is taken as it is; only the others' answers are read (a
        workspace's sessions reaching their classification one after another share most of theirs)."""
        first_answer = self._orm.scalar(_FIRST_ANSWER, {"left_out": session_id})
        # First the decided sessions (their classification answers only, newest first), then those
        # sessions' answers as they stood at the cut-off.
        before = first_answer is not None
        keys = frozenset(classification_keys)
        query = _decided_statement(keys, before)
        if query is None:
            return []
        params = {"workspace": workspace_id, "left_out": session_id, "before": first_answer, "limit": limit}
        order = list(dict.fromkeys(row[0] for row in self._orm.execute(query, params)))
        if not order:
            return []
        through: dict[int, int] = dict(
            self._orm.execute(_through_statement(before), {"decided": order, "before": first_answer}).all()
        )
        kept = {
            decided: analysis
            for decided in order
            if known is not None
            and (analysis := known.get(decided)) is not None
            and analysis.through is not None
            and analysis.through == through.get(decided)
        }
        unread = [decided for decided in order if decided not in kept]
        values: dict[int, dict[str, Any]] = {decided: {} for decided in unread}
        if unread:
            rows = _decided_answers_statement(
                keys,
                None if value_keys is None else frozenset(value_keys),
                frozenset(value_key_shapes),
                before,
            )
            answers = {"decided": unread, "decided_again": unread, "before": first_answer}
            for session_id, key, value in self._orm.execute(rows, answers):
                values[session_id][key] = value
        return [
            kept.get(decided) or DecidedAnalysis(decided, values[decided], through.get(decided))
            for decided in order
        ]


def _latest_rows(newest: Any) -> Any:
    """The answer rows named by a subquery of (session id, key, version), without retractions and skips."""
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

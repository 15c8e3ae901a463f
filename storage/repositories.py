"""Repositories add and query; they never commit (the unit of work owns the transaction).

Every query that reaches a session, problem or answer is scoped by workspace id.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from storage.models import (
    STORED_ANSWER_FIELDS,
    AnswerAllowance,
    AnswerVersion,
    LeadsPost,
    Participant,
    Problem,
    ProcessedEvent,
    Role,
    Session,
    SessionStatus,
    StoredAnswer,
    Workspace,
    utcnow,
)
from storage.settings import WorkspaceSettings, read_settings, write_settings


def insert_ignoring_conflicts(orm: OrmSession, table: Any, values: dict[str, Any]) -> bool:
    """``INSERT … ON CONFLICT DO NOTHING``; True if the row was inserted (False: it was there)."""
    statement = _insert_ignoring(orm.get_bind().dialect.name, cast(Table, table.__table__))
    return orm.connection().execute(statement, values).first() is not None


@cache
def _insert_ignoring(dialect: str, table: Table) -> Any:
    """The statement of :func:`insert_ignoring_conflicts`, built once per table (every answer claims
    its event id with it); the columns are those of the values it is run with. RETURNING, not rowcount,
    says whether the row went in (psycopg reports rowcount -1 for some inserts)."""
    primary = next(iter(table.primary_key.columns))
    return (
        (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
        .on_conflict_do_nothing()
        .returning(primary)
    )


# Read by every answer (its workspace's settings), built once.
_WORKSPACE_BY_ID = select(Workspace).where(Workspace.id == bindparam("workspace"))
_WORKSPACES = cast(Table, Workspace.__table__)
_SETTINGS_OF = select(_WORKSPACES.c.settings, _WORKSPACES.c.leads_channel).where(
    _WORKSPACES.c.id == bindparam("workspace")
)
_ERASURES_OF = select(_WORKSPACES.c.erasures).where(_WORKSPACES.c.id == bindparam("workspace"))
_COUNT_ERASURE = (
    update(_WORKSPACES)
    .where(_WORKSPACES.c.id == bindparam("workspace"))
    .values(erasures=_WORKSPACES.c.erasures + 1)
)


def count_erasure(orm: OrmSession, workspace_id: str) -> None:
    """Something of the workspace's stored answers was erased or purged (in this transaction): see
    :attr:`Workspace.erasures`."""
    orm.connection().execute(_COUNT_ERASURE, {"workspace": workspace_id})


class WorkspaceRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def get(self, workspace_id: str) -> Workspace | None:
        # The ORM's get builds its query anew on each call that must ask the database (most of an
        # answer's cost of reading its settings); one already loaded in this transaction is not asked for.
        if identity_key(Workspace, workspace_id) in self._orm.identity_map:
            return self._orm.get(Workspace, workspace_id)
        return self._orm.scalar(_WORKSPACE_BY_ID, {"workspace": workspace_id})

    def get_or_create(self, workspace_id: str, name: str | None = None) -> Workspace:
        """The workspace's row, created if this is its first request. An upsert, so many first
        requests at once (a new workspace trying the bot) all succeed instead of racing."""
        workspace = self.get(workspace_id)
        if workspace is None:
            insert_ignoring_conflicts(
                self._orm,
                Workspace,
                {"id": workspace_id, "name": name, "settings": {}, "created_at": utcnow()},
            )
            workspace = self.get(workspace_id)
            assert workspace is not None  # inserted now, or by a concurrent first request
        return workspace

    def ids(self) -> list[str]:
        return list(self._orm.scalars(select(Workspace.id).order_by(Workspace.id)))

    def settings(self, workspace_id: str) -> WorkspaceSettings:
        """The workspace's own settings (all unset for a workspace we have never seen). Read on every
        answer: its two columns, not a Workspace object, unless one is loaded (perhaps changed) here."""
        if identity_key(Workspace, workspace_id) in self._orm.identity_map:
            workspace = self.get(workspace_id)
            assert workspace is not None
            return read_settings(workspace.settings, workspace.leads_channel)
        row = self._orm.execute(_SETTINGS_OF, {"workspace": workspace_id}).first()
        if row is None:
            return WorkspaceSettings()
        return read_settings(row[0], row[1])

    def erasures(self, workspace_id: str) -> int:
        """:attr:`Workspace.erasures` as this transaction sees it (0 for a workspace never seen)."""
        return int(self._orm.scalar(_ERASURES_OF, {"workspace": workspace_id}) or 0)

    def change_settings(
        self, workspace_id: str, **changes: Any
    ) -> tuple[WorkspaceSettings, WorkspaceSettings]:
        """Write some settings (``leads_channel=…``, ``nation=…``); returns (before, after)."""
        workspace = self.get_or_create(workspace_id)
        before = read_settings(workspace.settings, workspace.leads_channel)
        after = before.model_copy(update=changes)
        workspace.settings = write_settings(workspace.settings, after)
        workspace.leads_channel = after.leads_channel
        return before, after


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

    def statements(self, workspace_id: str, problem_ids: Collection[int]) -> dict[int, str]:
        """The statements of ``problem_ids`` in the workspace, by id (one query)."""
        if not problem_ids:
            return {}
        rows = self._orm.execute(
            select(Problem.id, Problem.statement).where(
                Problem.workspace_id == workspace_id, Problem.id.in_(list(problem_ids))
            )
        )
        return {problem_id: statement for problem_id, statement in rows}


def _locking(query: Any) -> tuple[Any, Any]:
    """A session query as it is, and locking the session rows it reads (``FOR UPDATE OF sessions``:
    not the participants joined in)."""
    return query, query.with_for_update(of=Session)


# The reads every answer makes, built once: building a statement (and its cache key) each time cost
# more CPU than running it. The session's participants come in the same statement (joined), not in a
# second one as on other reads of a session.
_SESSION_BY_ID = _locking(
    select(Session)
    .options(joinedload(Session.participants))
    .where(Session.workspace_id == bindparam("workspace"), Session.id == bindparam("session"))
)
_SESSION_BY_THREAD = _locking(
    select(Session)
    .options(joinedload(Session.participants))
    .where(
        Session.workspace_id == bindparam("workspace"),
        Session.channel_id == bindparam("channel"),
        Session.thread_ts == bindparam("thread"),
    )
)


def _first_session(orm: OrmSession, query: Any, params: dict[str, Any]) -> Session | None:
    """The first session a query with its participants joined finds. Every row is read (one a
    participant), so that the participants are all there."""
    found = orm.execute(query, params).unique().scalars().all()
    return found[0] if found else None


_SESSIONS = cast(Table, Session.__table__)
_PARTICIPANTS = cast(Table, Participant.__table__)
_ADD_PARTICIPANT = (
    insert(_PARTICIPANTS)
    .values(
        session_id=bindparam("session"),
        user_id=bindparam("user"),
        role=bindparam("role"),
        joined_at=bindparam("joined"),
    )
    .returning(_PARTICIPANTS.c.id)
)
_TOUCH_SESSION = (
    update(_SESSIONS).where(_SESSIONS.c.id == bindparam("session")).values(updated_at=bindparam("when"))
)


class SessionRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def add(self, session: Session) -> Session:
        self._orm.add(session)
        self._orm.flush()
        return session

    def get(self, workspace_id: str, session_id: int, *, for_update: bool = False) -> Session | None:
        query = _SESSION_BY_ID[for_update]
        return _first_session(self._orm, query, {"workspace": workspace_id, "session": session_id})

    def by_thread(
        self, workspace_id: str, channel_id: str, thread_ts: str, *, for_update: bool = False
    ) -> Session | None:
        query = _SESSION_BY_THREAD[for_update]
        return _first_session(
            self._orm, query, {"workspace": workspace_id, "channel": channel_id, "thread": thread_ts}
        )

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

    def on_problem(
        self, workspace_id: str, problem_id: int, *, newest_first: bool = False, with_cancelled: bool = True
    ) -> Sequence[Session]:
        """Every session on one problem (oldest first, or most recently active first)."""
        query = select(Session).where(Session.workspace_id == workspace_id, Session.problem_id == problem_id)
        if not with_cancelled:
            query = query.where(Session.status != SessionStatus.CANCELLED)
        order = (Session.updated_at.desc(), Session.id.desc()) if newest_first else (Session.id,)
        return self._orm.scalars(query.order_by(*order)).all()

    def recently_active(self, workspace_id: str, limit: int) -> Sequence[Session]:
        """The workspace's sessions, most recently active first (any status)."""
        return self._orm.scalars(
            select(Session)
            .where(Session.workspace_id == workspace_id)
            .order_by(Session.updated_at.desc(), Session.id.desc())
            .limit(limit)
        ).all()

    def recently_completed(self, workspace_id: str, limit: int) -> Sequence[Session]:
        return self._orm.scalars(
            select(Session)
            .where(Session.workspace_id == workspace_id, Session.status == SessionStatus.COMPLETED)
            .order_by(Session.completed_at.desc(), Session.id.desc())
            .limit(limit)
        ).all()

    def idle_candidates(self, quiet_since: datetime, limit: int) -> list[tuple[int, str, datetime]]:
        """Active sessions untouched since ``quiet_since`` and not nudged in this quiet spell:
        (id, workspace id, last activity), the quietest first."""
        rows = self._orm.execute(
            select(Session.id, Session.workspace_id, Session.updated_at)
            .where(
                Session.status == SessionStatus.ACTIVE,
                Session.updated_at <= quiet_since,
                or_(Session.idle_nudged_at.is_(None), Session.idle_nudged_at < Session.updated_at),
            )
            .order_by(Session.updated_at)
            .limit(limit)
        ).all()
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    def claim_idle_nudge(self, session_id: int, now: datetime) -> tuple[str, str, str | None, bool] | None:
        """Mark an idle session nudged, if it still is idle and un-nudged (so only one process nudges
        it); returns (workspace id, channel, thread ts, is DM), or None if another got there first."""
        table = cast(Table, Session.__table__)
        won = (
            self._orm.connection()
            .execute(
                update(table)
                .where(
                    table.c.id == session_id,
                    table.c.status == SessionStatus.ACTIVE,
                    or_(table.c.idle_nudged_at.is_(None), table.c.idle_nudged_at < table.c.updated_at),
                )
                .values(idle_nudged_at=now)
                .returning(table.c.workspace_id, table.c.channel_id, table.c.thread_ts, table.c.is_dm)
            )
            .first()
        )
        if won is None:
            return None
        return str(won[0]), str(won[1]), won[2], bool(won[3])

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
        """``user_id`` taking part in ``session`` (a stored session: flushed, with its participants
        loaded), added if new. A Core insert, run now: appended through the ORM, each new participant
        cost a flush that walked the session and all its participants (a person's first answer in
        every session)."""
        for participant in session.participants:
            if participant.user_id == user_id:
                return participant
        joined = utcnow()
        values = {"session": session.id, "user": user_id, "role": role, "joined": joined}
        added = self._orm.connection().execute(_ADD_PARTICIPANT, values).scalar_one()
        participant = Participant(
            id=added, session_id=session.id, user_id=user_id, role=role, joined_at=joined
        )
        # Stored already: the ORM holds it as loaded, with nothing left to write.
        make_transient_to_detached(participant)
        self._orm.add(participant)
        set_committed_value(participant, "session", session)
        set_committed_value(session, "participants", [*session.participants, participant])
        return participant

    def touch(self, session: Session, when: datetime | None = None) -> None:
        when = when or utcnow()
        if session.updated_at == when:
            return  # as the ORM does with a value that did not change: nothing to write
        if not sa_inspect(session).persistent:
            session.updated_at = when  # not stored yet: goes in with its insert
            return
        # A Core update, run now (every answer touches its session): through the ORM it cost a flush.
        # The loaded session says the same, without anything left for the ORM to write.
        self._orm.connection().execute(_TOUCH_SESSION, {"session": session.id, "when": when})
        set_committed_value(session, "updated_at", when)

    def set_thread(self, session_id: int, thread_ts: str) -> None:
        """A channel session's anchor was posted: its ts names the session's thread from now on."""
        self._orm.execute(
            update(Session)
            .where(Session.id == session_id, Session.thread_ts.is_(None))
            .values(thread_ts=thread_ts)
        )

    def cancel_unanchored(self, session_id: int) -> tuple[str, str, str, str] | None:
        """A channel session whose anchor could never be posted (the bot is not in the channel) is
        cancelled; returns (workspace, channel, facilitator, locale) to tell the facilitator, or None
        if it was not waiting for its anchor."""
        row = self._orm.execute(
            update(Session)
            .where(
                Session.id == session_id,
                Session.thread_ts.is_(None),
                Session.is_dm.is_(False),
                Session.status != SessionStatus.CANCELLED,
            )
            .values(status=SessionStatus.CANCELLED)
            .returning(Session.workspace_id, Session.channel_id, Session.facilitator_id, Session.locale)
        ).first()
        return (str(row[0]), str(row[1]), str(row[2]), str(row[3])) if row is not None else None


_ANSWERS = cast(Table, AnswerVersion.__table__)


def _latest_answers() -> Any:
    newest = (
        select(_ANSWERS.c.key, func.max(_ANSWERS.c.version).label("version"))
        .where(_ANSWERS.c.session_id == bindparam("session"))
        .group_by(_ANSWERS.c.key)
        .subquery()
    )
    return (
        select(*(_ANSWERS.c[field] for field in STORED_ANSWER_FIELDS))
        .join(newest, (_ANSWERS.c.key == newest.c.key) & (_ANSWERS.c.version == newest.c.version))
        .where(_ANSWERS.c.session_id == bindparam("session"))
    )


# Read on every answer (built once, as the session reads above).
_LATEST_ANSWERS = _latest_answers()


def newest_versions(session_ids: Collection[int]) -> Any:
    """(session id, key, newest version) of every answer key of the sessions ``session_ids``: joined
    to the answers, their latest versions (a retracted or skipped one included: callers choose)."""
    return (
        select(AnswerVersion.session_id, AnswerVersion.key, func.max(AnswerVersion.version).label("version"))
        .where(AnswerVersion.session_id.in_(tuple(session_ids)))
        .group_by(AnswerVersion.session_id, AnswerVersion.key)
    )


_ADD_ANSWER = insert(_ANSWERS).returning(_ANSWERS.c.id)


class AnswerRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def latest(self, session_id: int) -> dict[str, StoredAnswer]:
        """The latest version of every key that is not retracted."""
        return {key: row for key, row in self.latest_with_retracted(session_id).items() if not row.retracted}

    def latest_with_retracted(self, session_id: int) -> dict[str, StoredAnswer]:
        """The latest version of every key the session has ever had, retractions included: with it,
        :meth:`add_version` (``versions_complete=True``) numbers a new version without asking the
        database for the highest one."""
        rows = self._orm.execute(_LATEST_ANSWERS, {"session": session_id}).all()
        return {row[2]: StoredAnswer(*row) for row in rows}

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
        versions_complete: bool = False,
    ) -> StoredAnswer:
        """A new version of ``key``. ``current_versions``: the latest version of keys already read in
        this transaction (with the session row locked); ``versions_complete`` says it holds every key the
        session has ever had (:meth:`latest_with_retracted`), so a key missing from it is new."""
        if current_versions is not None and key in current_versions:
            version = current_versions[key] + 1
        elif current_versions is not None and versions_complete:
            version = 1
        else:
            version = (
                self._orm.scalar(
                    select(func.max(AnswerVersion.version)).where(
                        AnswerVersion.session_id == session_id, AnswerVersion.key == key
                    )
                )
                or 0
            ) + 1
        values = {
            "session_id": session_id,
            "key": key,
            "version": version,
            "value": value,
            "raw_text": raw_text,
            "skipped": skipped,
            "retracted": retracted,
            "author_id": author_id,
            "created_at": utcnow(),
        }
        # A Core insert, run now: an ORM add cost a flush of its own on every answer. The row returned
        # is a copy (not in the ORM session); reads in this transaction find the stored one.
        answer_id = self._orm.connection().execute(_ADD_ANSWER, values).scalar_one()
        return StoredAnswer(id=answer_id, **values)


class EventRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def claim(self, event_id: str, workspace_id: str) -> bool:
        """Record ``event_id``; False if it was already recorded (a retried delivery)."""
        values = {"event_id": event_id, "workspace_id": workspace_id, "received_at": utcnow()}
        return insert_ignoring_conflicts(self._orm, ProcessedEvent, values)

    def purge_before(self, cutoff: datetime) -> int:
        """Forget event ids received before ``cutoff`` (Slack stops retrying long before)."""
        deleted = self._orm.execute(
            delete(ProcessedEvent)
            .where(ProcessedEvent.received_at < cutoff)
            .returning(ProcessedEvent.event_id)
        ).all()
        return len(deleted)


class AllowanceRepository:
    """The per-person answer count behind the answer limit (see :class:`AnswerAllowance`)."""

    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def count_answer(self, workspace_id: str, user_id: str, now: datetime, window: timedelta) -> int:
        """Count one answer by ``user_id`` at ``now``; the answers counted in their current window,
        this one included. One statement (an upsert), so it costs a single round trip in the answer's
        own transaction, and its row lock orders two processes counting the same person."""
        statement = _count_answer_statement(self._orm.get_bind().dialect.name)
        params = {"workspace_id": workspace_id, "user_id": user_id, "now": now, "start": now - window}
        return int(self._orm.execute(statement, params).scalar_one())


@cache
def _count_answer_statement(dialect: str) -> Any:
    """The upsert behind :meth:`AllowanceRepository.count_answer`, built once per dialect (it runs on
    every answer, and building the statement cost more than running it)."""
    table = cast(Table, AnswerAllowance.__table__)
    now = bindparam("now", type_=table.c.window_start.type)
    values = {
        "workspace_id": bindparam("workspace_id"),
        "user_id": bindparam("user_id"),
        "window_start": now,
        "answers": 1,
    }
    insert: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(table).values(**values)
    # SET reads the row as it was: within the window, one more; past it, a new window from now.
    within = table.c.window_start > bindparam("start", type_=table.c.window_start.type)
    return insert.on_conflict_do_update(
        index_elements=[table.c.workspace_id, table.c.user_id],
        set_={
            "answers": case((within, table.c.answers + 1), else_=1),
            "window_start": case((within, table.c.window_start), else_=insert.excluded.window_start),
        },
    ).returning(table.c.answers)


class LeadsPostRepository:
    """Where each session's summary for leads went (its first message's channel and ts)."""

    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def record(self, workspace_id: str, session_id: int, channel_id: str, ts: str, when: datetime) -> None:
        """The latest post wins: a session posted again (completed again after an edit) is updated there."""
        row = self._orm.get(LeadsPost, session_id)
        if row is None:
            self._orm.add(
                LeadsPost(
                    session_id=session_id,
                    workspace_id=workspace_id,
                    channel_id=channel_id,
                    ts=ts,
                    posted_at=when,
                )
            )
            return
        row.channel_id, row.ts, row.posted_at = channel_id, ts, when

    def for_sessions(self, workspace_id: str, session_ids: Sequence[int]) -> Sequence[LeadsPost]:
        if not session_ids:
            return []
        return self._orm.scalars(
            select(LeadsPost)
            .where(LeadsPost.workspace_id == workspace_id, LeadsPost.session_id.in_(session_ids))
            .order_by(LeadsPost.session_id)
        ).all()

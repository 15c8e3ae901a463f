"""The outbox: every message the bot must send because something was stored is a row here, added in
the same transaction as that change, so nothing is posted for a change that did not commit and nothing
a committed change owes is lost.

States::

    pending ──claim──▶ claimed ──Slack accepted──▶ sent
       ▲                  │  └────Slack refused for good (not in channel, …)──▶ dead
       └──429, 5xx, ──────┘        (and every message in the thread of a dead one)
          connection lost (not_before; ``uncertain`` unless Slack said 429)

Order: messages with the same ``ordering_key`` (a session's place, or a channel) are sent in id order.
A message is claimable only when no earlier message with its key is still unsent (pending or
claimed); a dead one does not hold the rest back.

Claims are timed by the database's clock (``CURRENT_TIMESTAMP`` read in the claiming transaction), so
senders whose clocks disagree still agree on when a claim went stale. A sender that died (or lost its
connection to Slack) between claiming and recording the outcome leaves the row ``claimed``; once the
claim is older than ``stale_after`` any sender may claim it again, and :class:`Claimed` says it is
``uncertain``: the message may already be in Slack, so the sender looks for it (by its outbox id in the
message metadata) before posting it again. A send whose outcome was unknown (the connection dropped
mid-post, Slack answered 5xx) is given back ``uncertain`` for the same reason. Recording an outcome is
conditional on the claim (its ``attempts``), so a sender that lost its claim never overwrites
another's outcome.

``not_before`` (Retry-After, back-off) is compared with the caller's clock, which tests inject.

PostgreSQL: candidates are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent senders never wait for
each other; SQLite: every write transaction is serial (``BEGIN IMMEDIATE``, ``storage/db.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage import db as storage_db
from storage.models import OutboxMessage, OutboxStatus

__all__ = [
    "PROMPT_KIND",
    "Claimed",
    "OutboxMessage",
    "OutboxRepository",
    "OutboxStatus",
    "Recent",
    "database_now",
    "thread_not_sent",
]

UNSENT = (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
# The kind of a post carrying a question's buttons, menus or pickers: sent, it keeps its payload until
# the question is answered (its controls are then replaced without reading the message back).
PROMPT_KIND = "prompt"


def database_now(orm: OrmSession) -> datetime:
    """The database server's current time (UTC, aware): the one clock every sender shares."""
    return storage_db.database_now(orm.connection())


def thread_not_sent(message_id: int) -> str:
    """The error of a message that died because the one whose thread it goes in was never sent."""
    return f"its thread (outbox {message_id}) was not sent"


@dataclass(frozen=True)
class Claimed:
    """A message a sender now holds: send it, then record what happened (conditional on ``attempts``)."""

    id: int
    workspace_id: str
    session_id: int | None
    ordering_key: str
    channel: str
    thread_ts: str | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    # The earlier message (same ordering key) whose ts is this one's thread, until that is known.
    thread_of: int | None
    # It may already be in Slack: claimed before by a sender that never said what happened, or given
    # back after a send whose outcome was unknown.
    uncertain: bool
    # Whether a later message may wait for its ts as its thread (``thread_of``): an anchor, or a post
    # followed in its own transaction by a reply to it. When the claim says none can (the request
    # path's own claims know), recording it sent gives no thread to anyone (one statement fewer).
    leads: bool = True


# Built once (asked on every answer): each look is one search of ``ix_outbox_ordering``. Run on the
# connection, not through the ORM (no objects to load, and no ORM-pending outbox rows to flush first:
# messages are added with Core inserts, :meth:`OutboxRepository.add`).
_UNSENT_WITH_KEY = (
    select(OutboxMessage.id)
    .where(OutboxMessage.ordering_key == bindparam("key"), OutboxMessage.status.in_(UNSENT))
    .limit(1)
)
_PENDING_WITH_KEYS = (
    select(OutboxMessage.id)
    .where(
        OutboxMessage.ordering_key.in_(bindparam("keys", expanding=True)),
        OutboxMessage.status == OutboxStatus.PENDING,
    )
    .limit(1)
)

_TABLE = cast(Table, OutboxMessage.__table__)
# Whether anything with a key is unsent, and the database's clock (read as :func:`storage.db.database_now`
# reads it), in one statement: a transaction queuing an answer's messages asks both before it claims
# them (the clock only matters when nothing is unsent, but reading it costs nothing more here).
_UNSENT_EXISTS = exists().where(_TABLE.c.ordering_key == bindparam("key"), _TABLE.c.status.in_(UNSENT))
_UNSENT_AND_NOW = {
    dialect: select(storage_db.database_clock(dialect), _UNSENT_EXISTS)
    for dialect in ("postgresql", "sqlite")
}
# The statements of every answer's sends, built once: building a statement (and its cache key) cost
# more CPU than running it. A Core insert, not an ORM add and flush: nothing reads the row back as an
# object, and a flush per message was the dearest part of queuing one.
_ADD = insert(_TABLE).returning(_TABLE.c.id)
# A held claim: the message, still claimed, by the attempt that claimed it.
_HELD = and_(
    _TABLE.c.id == bindparam("held_id"),
    _TABLE.c.status == OutboxStatus.CLAIMED,
    _TABLE.c.attempts == bindparam("held_attempts"),
)
_SENT_VALUES: dict[str, Any] = {
    "status": OutboxStatus.SENT,
    "sent_ts": bindparam("sent_as"),
    "error": None,
    "not_before": None,
    "uncertain": False,
}
_MARK_SENT_KEEPING_PAYLOAD = update(_TABLE).where(_HELD).values(_SENT_VALUES).returning(_TABLE.c.id)
# Not needed once Slack has the message, and it may quote what people typed (forget-me and retention
# must not find copies here).
_MARK_SENT = update(_TABLE).where(_HELD).values({**_SENT_VALUES, "payload": {}}).returning(_TABLE.c.id)
# Whether a message with the sent one's key waits to be claimed (queued meanwhile by a request that
# found this one unsent), read by the statement that records the send: the request path asks it after
# every send, and asking it there costs no statement of its own. Written out because SQLite's RETURNING
# drops the table names that tell the subquery's columns from the updated row's.
_PENDING_BEHIND: ColumnElement[bool] = literal_column(
    "EXISTS (SELECT 1 FROM outbox AS behind WHERE behind.ordering_key = outbox.ordering_key"
    " AND behind.status = 'pending')"  # OutboxStatus.PENDING
)
_MARK_SENT_LOOKING_BEHIND = {
    True: update(_TABLE).where(_HELD).values(_SENT_VALUES).returning(_TABLE.c.id, _PENDING_BEHIND),
    False: update(_TABLE)
    .where(_HELD)
    .values({**_SENT_VALUES, "payload": {}})
    .returning(_TABLE.c.id, _PENDING_BEHIND),
}
_GIVE_THREAD = (
    update(_TABLE)
    .where(_TABLE.c.thread_of == bindparam("leader"), _TABLE.c.thread_ts.is_(None))
    .values(thread_ts=bindparam("leader_ts"))
)
_FORGET_PAYLOAD = update(_TABLE).where(_TABLE.c.id == bindparam("message_id")).values(payload={})


@cache
def _recent_of_session(limit: int) -> Any:
    """Built once per look-back (every typed answer looks for the question it answered): the columns
    that look reads, as rows (no ORM objects to build and track)."""
    return (
        select(
            _TABLE.c.id, _TABLE.c.kind, _TABLE.c.status, _TABLE.c.channel, _TABLE.c.sent_ts, _TABLE.c.payload
        )
        .where(_TABLE.c.session_id == bindparam("session"), _TABLE.c.status != OutboxStatus.DEAD)
        .order_by(_TABLE.c.id.desc())
        .limit(limit)
    )


@dataclass(frozen=True, slots=True)
class Recent:
    """One of a session's recent messages (:meth:`OutboxRepository.recent_of_session`)."""

    id: int
    kind: str
    status: str
    channel: str
    sent_ts: str | None
    payload: dict[str, Any]


class OutboxRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm
        self._connection: Connection | None = None

    def _conn(self) -> Connection:
        """The transaction's connection. The ORM session's ``connection()`` walks its transaction's
        state machine on every call, which cost more CPU than some of the statements run on it; the
        connection is kept until the session's transaction ends (committed, rolled back: then it is
        closed) and asked for again after that."""
        connection = self._connection
        if connection is None or connection.closed or not self._orm.in_transaction():
            connection = self._connection = self._orm.connection()
        return connection

    def add(
        self,
        *,
        workspace_id: str,
        ordering_key: str,
        channel: str,
        kind: str,
        payload: dict[str, Any],
        now: datetime,
        session_id: int | None = None,
        thread_ts: str | None = None,
        thread_of: int | None = None,
        held_since: datetime | None = None,
    ) -> int:
        """Add a message; ``held_since`` (the database's time, :func:`database_now`): claimed at once
        by the transaction adding it, which sends it after its commit (only when nothing earlier with
        its key is unsent: :meth:`has_unsent`)."""
        values = {
            "uncertain": False,
            "workspace_id": workspace_id,
            "session_id": session_id,
            "ordering_key": ordering_key,
            "channel": channel,
            "thread_ts": thread_ts,
            "thread_of": thread_of,
            "kind": kind,
            "payload": payload,
            "status": OutboxStatus.PENDING if held_since is None else OutboxStatus.CLAIMED,
            "attempts": 0 if held_since is None else 1,
            "not_before": None,
            "claimed_at": held_since,
            "sent_ts": None,
            "error": None,
            "created_at": now,
        }
        return int(self._conn().execute(_ADD, values).scalar_one())

    def has_unsent(self, ordering_key: str) -> bool:
        """Whether a message with this key is still to be sent (pending or claimed)."""
        found = self._conn().execute(_UNSENT_WITH_KEY, {"key": ordering_key}).first()
        return found is not None

    def unsent_and_now(self, ordering_key: str) -> tuple[bool, datetime]:
        """:meth:`has_unsent` and :meth:`database_now`, asked together."""
        connection = self._conn()
        statement = _UNSENT_AND_NOW.get(connection.dialect.name)
        if statement is None:
            return self.has_unsent(ordering_key), self.database_now()
        stamp, unsent = connection.execute(statement, {"key": ordering_key}).one()
        return bool(unsent), storage_db.as_database_now(stamp)

    def has_pending(self, ordering_keys: Collection[str]) -> bool:
        """Whether a message with one of these keys is waiting to be claimed (one indexed look, before
        a claim that would find nothing: the request path asks it after every send)."""
        if not ordering_keys:
            return False
        found = self._conn().execute(_PENDING_WITH_KEYS, {"keys": list(ordering_keys)}).first()
        return found is not None

    def database_now(self) -> datetime:
        return storage_db.database_now(self._conn())

    def claim_ready(
        self,
        *,
        now: datetime,
        stale_after: float,
        only: Collection[int] | None = None,
        keys: Collection[str] = (),
        exclude: Collection[int] = (),
        limit: int = 50,
    ) -> list[Claimed]:
        """Claim up to ``limit`` messages that may be sent now: pending and past ``not_before``, or
        claimed longer than ``stale_after`` seconds ago (database clock), and first of their ordering
        key among the unsent. With ``only``, just those ids (the request path sends what it queued),
        and those next in line with one of ``keys`` (queued meanwhile by a request that found this
        one's messages unsent); never those in ``exclude`` (tried already in this run)."""
        if only is not None and not only and not keys:
            return []
        # Only what was queued behind the caller's own messages: those are pending (a stale claim is
        # the background sender's), so the database's clock is read only if one is found.
        behind_only = only is not None and not only
        db_now = None if behind_only else storage_db.database_now(self._conn())
        stale_before = None if db_now is None else db_now - timedelta(seconds=stale_after)
        earlier = aliased(OutboxMessage)
        blocked = exists().where(
            earlier.ordering_key == OutboxMessage.ordering_key,
            earlier.id < OutboxMessage.id,
            earlier.status.in_(UNSENT),
        )
        pending = and_(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        )
        ready = (
            pending
            if stale_before is None
            else or_(
                pending,
                and_(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.claimed_at < stale_before),
            )
        )
        query = select(OutboxMessage.id, OutboxMessage.status).where(ready, ~blocked)
        if only is not None:
            mine = OutboxMessage.id.in_(list(only))
            query = query.where(or_(mine, OutboxMessage.ordering_key.in_(list(keys))) if keys else mine)
        if exclude:
            query = query.where(OutboxMessage.id.not_in(list(exclude)))
        query = query.order_by(OutboxMessage.id).limit(limit)
        if self._orm.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True, of=OutboxMessage)
        candidates = {int(row[0]): str(row[1]) for row in self._orm.execute(query)}
        if not candidates:
            return []
        if db_now is None or stale_before is None:
            db_now = storage_db.database_now(self._conn())
            stale_before = db_now - timedelta(seconds=stale_after)
        table = cast(Table, OutboxMessage.__table__)
        claimed = self._conn().execute(
            update(table)
            .where(
                table.c.id.in_(list(candidates)),
                or_(
                    table.c.status == OutboxStatus.PENDING,
                    and_(table.c.status == OutboxStatus.CLAIMED, table.c.claimed_at < stale_before),
                ),
            )
            .values(status=OutboxStatus.CLAIMED, claimed_at=db_now, attempts=table.c.attempts + 1)
            .returning(
                table.c.id,
                table.c.workspace_id,
                table.c.session_id,
                table.c.ordering_key,
                table.c.channel,
                table.c.thread_ts,
                table.c.kind,
                table.c.payload,
                table.c.attempts,
                table.c.thread_of,
                table.c.uncertain,
            )
        )
        found = [
            Claimed(
                id=int(r.id),
                workspace_id=str(r.workspace_id),
                session_id=r.session_id,
                ordering_key=str(r.ordering_key),
                channel=str(r.channel),
                thread_ts=r.thread_ts,
                kind=str(r.kind),
                payload=dict(r.payload),
                attempts=int(r.attempts),
                thread_of=r.thread_of,
                uncertain=bool(r.uncertain) or candidates[int(r.id)] == OutboxStatus.CLAIMED,
            )
            for r in claimed
        ]
        return sorted(found, key=lambda c: c.id)

    def _held(self, message_id: int, attempts: int) -> Any:
        table = cast(Table, OutboxMessage.__table__)
        return and_(
            table.c.id == message_id,
            table.c.status == OutboxStatus.CLAIMED,
            table.c.attempts == attempts,
        )

    def mark_sent(
        self,
        message_id: int,
        attempts: int,
        ts: str | None,
        *,
        may_lead: bool = True,
        keep_payload: bool = False,
    ) -> bool:
        """Record that Slack accepted it (``ts``: the message's ts); messages waiting for it as their
        thread get that thread (``may_lead=False``: none can, e.g. an update). False if the claim was
        lost meanwhile. The payload is dropped, unless ``keep_payload`` (a question whose buttons are
        replaced once it is answered: :meth:`forget_payload` then)."""
        statement = _MARK_SENT_KEEPING_PAYLOAD if keep_payload else _MARK_SENT
        return self._marked(statement, message_id, attempts, ts, may_lead=may_lead) is not None

    def mark_sent_looking_behind(
        self,
        message_id: int,
        attempts: int,
        ts: str | None,
        *,
        may_lead: bool = True,
        keep_payload: bool = False,
    ) -> bool | None:
        """:meth:`mark_sent`, saying as well whether a message with its ordering key is waiting to be
        claimed (what :meth:`has_pending` would say of its key, asked by the same statement); None if
        the claim was lost meanwhile (nothing recorded, nothing asked)."""
        statement = _MARK_SENT_LOOKING_BEHIND[keep_payload]
        row = self._marked(statement, message_id, attempts, ts, may_lead=may_lead)
        return None if row is None else bool(row[1])

    def _marked(
        self, statement: Any, message_id: int, attempts: int, ts: str | None, *, may_lead: bool
    ) -> Any:
        """Run a mark-sent ``statement`` on the claimed message; its row (None: the claim was lost),
        and the sent message's ts given to messages waiting for it as their thread."""
        connection = self._conn()
        row = connection.execute(
            statement, {"held_id": message_id, "held_attempts": attempts, "sent_as": ts}
        ).first()
        if row is not None and ts is not None and may_lead:
            connection.execute(_GIVE_THREAD, {"leader": message_id, "leader_ts": ts})
        return row

    def release(
        self,
        message_id: int,
        attempts: int,
        *,
        not_before: datetime | None = None,
        error: str | None = None,
        uncertain: bool = False,
    ) -> bool:
        """Give a claimed message back (to be sent after ``not_before``); ``uncertain``: it may have
        reached Slack (it stays so until it is sent)."""
        table = cast(Table, OutboxMessage.__table__)
        values: dict[str, Any] = {
            "status": OutboxStatus.PENDING,
            "not_before": not_before,
            "error": error,
            "claimed_at": None,
        }
        if uncertain:
            values["uncertain"] = True
        done = self._conn().execute(
            update(table).where(self._held(message_id, attempts)).values(**values).returning(table.c.id)
        )
        return done.first() is not None

    def mark_dead(self, message_id: int, attempts: int, error: str) -> list[int]:
        """Slack will never take it: it, and every unsent message in its thread, is dead. Returns the
        ids of those that followed it down (empty if the claim was lost)."""
        table = cast(Table, OutboxMessage.__table__)
        done = self._conn().execute(
            update(table)
            .where(self._held(message_id, attempts))
            .values(status=OutboxStatus.DEAD, error=error[:1000], payload={})
            .returning(table.c.id)
        )
        if done.first() is None:
            return []
        followers: list[int] = []
        parents = [message_id]
        while parents:
            killed = self._conn().execute(
                update(table)
                .where(table.c.thread_of.in_(parents), table.c.status.in_(UNSENT))
                .values(status=OutboxStatus.DEAD, error=thread_not_sent(message_id), payload={})
                .returning(table.c.id)
            )
            parents = [int(row[0]) for row in killed]
            followers += parents
        return followers

    def unsent_for_session(self, session_id: int) -> list[int]:
        return [
            int(i)
            for i in self._orm.scalars(
                select(OutboxMessage.id)
                .where(OutboxMessage.session_id == session_id, OutboxMessage.status.in_(UNSENT))
                .order_by(OutboxMessage.id)
            )
        ]

    def anchor_of(self, session_id: int) -> int | None:
        """The outbox id of a session's anchor message, while it is unsent."""
        found = self._orm.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.session_id == session_id,
                OutboxMessage.kind == "anchor",
                OutboxMessage.status.in_(UNSENT),
            )
        )
        return int(found) if found is not None else None

    def latest_sent(self, ordering_key: str) -> tuple[int, str | None] | None:
        """The last message sent with this key: (id, its ts)."""
        row = self._orm.execute(
            select(OutboxMessage.id, OutboxMessage.sent_ts)
            .where(OutboxMessage.ordering_key == ordering_key, OutboxMessage.status == OutboxStatus.SENT)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).first()
        return (int(row[0]), row[1]) if row is not None else None

    def recent_of_session(self, session_id: int, limit: int = 12) -> list[Recent]:
        """A session's most recent messages, newest first (sent or not; not the dead). Read on the
        connection: outbox rows are never ORM-pending (they are added with Core inserts)."""
        rows = self._conn().execute(_recent_of_session(limit), {"session": session_id})
        return [Recent(*row) for row in rows]

    def forget_payload(self, message_id: int) -> None:
        """Drop a sent message's kept payload (its question was answered)."""
        self._conn().execute(_FORGET_PAYLOAD, {"message_id": message_id})

    def forget_prompt_at(self, session_id: int, sent_ts: str) -> None:
        """Drop the kept payload of the session's question posted at ``sent_ts`` (answered by a click,
        which carries the message itself)."""
        table = cast(Table, OutboxMessage.__table__)
        self._conn().execute(
            update(table)
            .where(
                table.c.session_id == session_id,
                table.c.status == OutboxStatus.SENT,
                table.c.sent_ts == sent_ts,
            )
            .values(payload={})
        )

    def sent_keeping_payload(self, session_ids: Collection[int], kind: str) -> Sequence[OutboxMessage]:
        """Sent messages of ``kind`` in these sessions, which may still keep their payload."""
        return self._orm.scalars(
            select(OutboxMessage).where(
                OutboxMessage.session_id.in_(list(session_ids)),
                OutboxMessage.status == OutboxStatus.SENT,
                OutboxMessage.kind == kind,
            )
        ).all()

    def revise_pending(self, message_id: int, payload: dict[str, Any]) -> bool:
        """Change what a message says while no sender holds it (still pending); False otherwise."""
        changed = self._orm.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(payload=payload)
        )
        return bool(cast(Any, changed).rowcount)

    def get(self, message_id: int) -> OutboxMessage | None:
        return self._orm.get(OutboxMessage, message_id)

    def counts(self) -> dict[str, int]:
        """How many messages are in each state."""
        rows = self._orm.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {str(status): int(count) for status, count in rows}

    def statuses(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self._orm.execute(
            select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(list(ids)))
        )
        return {int(i): str(s) for i, s in rows}

    def unsent_in_workspace(self, workspace_id: str) -> Sequence[OutboxMessage]:
        """Messages of a workspace still to be sent (the only ones that keep their payload)."""
        return self._orm.scalars(
            select(OutboxMessage).where(
                OutboxMessage.workspace_id == workspace_id, OutboxMessage.status.in_(UNSENT)
            )
        ).all()

    def forget_workspace(self, workspace_id: str) -> int:
        """Forget every message of a workspace (the app has left it: its tokens are gone, so nothing may
        try to post what is unsent, and what was sent is no longer needed). A sender holding one finds
        its claim gone and records nothing. Returns how many were still to be sent."""
        deleted = self._orm.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.workspace_id == workspace_id)
            .returning(OutboxMessage.status)
        ).all()
        return sum(1 for row in deleted if row[0] in UNSENT)

    def purge_finished(self, before: datetime) -> int:
        """Forget sent and dead messages created before ``before`` (their payloads may quote answers;
        nothing needs them once Slack has the message)."""
        deleted = self._orm.execute(
            delete(OutboxMessage)
            .where(
                OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.DEAD)),
                OutboxMessage.created_at < before,
            )
            .returning(OutboxMessage.id)
        ).all()
        return len(deleted)

    def cancel_session(self, session_id: int, reason: str) -> int:
        """A session that cannot go on (its anchor could not be posted): its unsent messages are dead."""
        table = cast(Table, OutboxMessage.__table__)
        killed = self._conn().execute(
            update(table)
            .where(table.c.session_id == session_id, table.c.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.DEAD, error=reason[:1000], payload={})
            .returning(table.c.id)
        )
        return len(killed.all())

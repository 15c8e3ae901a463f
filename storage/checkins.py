"""Interventions the team agreed, their scheduled check-ins, and the owners' responses.

The check-in rows are the schedule: APScheduler only wakes the dispatcher, which claims due rows here.
An open intervention has exactly one check-in row waiting to be sent (``pending``) at any time, apart
from the moment one is being sent; the next row in the cadence is added when the current one is marked
as sent, so however long everything was down, recovery finds one row per intervention, never a backlog.

Check-in states::

    pending ──claim──▶ sending ──sent──▶ sent ──response──▶ (answered_at set)
       ▲                  │
       ├──send failed─────┤  (attempts, last_error, retry_at: stays pending and visible)
       └──not sent in time┘  (given back untouched: the claim was not used)
    pending/sending ──intervention closed──▶ cancelled

Time is the database's (``UnitOfWork.database_now``), never a worker's own clock: when a row is due,
``claimed_at`` and when a claim went stale are all read from one clock, so workers whose clocks differ
by minutes still agree (a worker whose clock runs fast neither sends early nor takes a live worker's
claims for dead ones).

Claiming (exactly once, with any number of dispatchers):

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` picks due rows no other transaction holds, and the
  same transaction marks them ``sending`` with a fresh claim token; a second dispatcher skips them.
* SQLite (one writer at a time: ``storage.db`` begins every transaction with ``BEGIN IMMEDIATE``): each
  candidate is claimed with ``UPDATE … WHERE id = :id AND status = 'pending'`` and counts only when the
  update returned the row (the same as ``rowcount == 1``; RETURNING is used on both backends because an
  ORM-run statement can report ``rowcount`` -1 on psycopg).

The claim is committed before anything is posted. ``attempts`` counts claims: a row claimed with
``attempts`` above one may already be in the owner's DM (a dispatcher died after Slack accepted it, or
the connection dropped before Slack's answer), and the dispatcher looks for it there before posting.
Marking a row sent, or giving it back, is conditional on its claim token, so a dispatcher that lost its
claim (see :data:`SENDING_TIMEOUT`) can never overwrite another's outcome.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.sql.elements import ColumnElement

from storage.models import (
    CheckIn,
    CheckInResponse,
    CheckInStatus,
    Intervention,
    InterventionStatus,
    ResponseKind,
)
from storage.models import Session as PlaybookSession

__all__ = [
    "CATCH_UP_AFTER",
    "SENDING_TIMEOUT",
    "CheckIn",
    "CheckInRepository",
    "CheckInResponse",
    "CheckInStatus",
    "Claimed",
    "Intervention",
    "InterventionStatus",
    "Mark",
    "NextCheckIn",
    "OpenIntervention",
    "OwnerIntervention",
    "ResponseKind",
    "SendHistory",
    "SentBefore",
]

# A claim older than this (by the database's clock) is taken to belong to a dispatcher that died between
# claiming and marking the row sent; another dispatcher then takes the row over, and first looks in the
# owner's DM for the check-in (Slack message metadata names it), so a message Slack had accepted is not
# sent twice. A dispatcher posts nothing once half this time has passed since its claim (it gives the
# row back instead), so a live one never posts what another has taken over; keep it well above one
# send's worst case (two Retry-After waits and a 15 s timeout). The dispatcher passes
# ``PLAYBOOK_SENDING_TIMEOUT_SECONDS`` (bot/settings.py, default the same ten minutes); the process tests
# set a few seconds so that a claim left by a worker they killed is taken over within the test.
SENDING_TIMEOUT = timedelta(minutes=10)

# A check-in sent more than this late (everything was down) is marked as a catch-up in its message.
CATCH_UP_AFTER = timedelta(days=7)

# Failed sends are retried after 2, 4, 8 … minutes, at most an hour apart, indefinitely.
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(frozen=True)
class Claimed:
    """A check-in this dispatcher now holds (status ``sending``) and the token that proves it;
    ``attempts`` counts this claim."""

    checkin_id: int
    token: str
    attempts: int = 1

    @property
    def may_have_been_sent(self) -> bool:
        """Claimed before: an earlier attempt may have reached Slack, so look before posting."""
        return self.attempts > 1


@dataclass(frozen=True)
class OwnerIntervention:
    """One row of :meth:`CheckInRepository.for_owner`: an open intervention and its next check-in."""

    intervention_id: int
    session_id: int
    what: str
    cadence: str
    progress: str | None
    progress_reason: str | None
    next_checkin_at: datetime | None
    # The owner's Slack time zone, None until the dispatcher has looked it up (10:00 London till then).
    owner_tz: str | None


@dataclass(frozen=True)
class OpenIntervention:
    """One row of :meth:`CheckInRepository.open_in_workspace`: an open intervention, its next check-in
    and how many check-ins it has had."""

    intervention: Intervention
    next_checkin_at: datetime | None
    checkins_sent: int


@dataclass(frozen=True)
class SentBefore:
    """A sent check-in, as deciding whether to escalate needs it."""

    checkin_id: int
    sent_at: datetime | None
    answered: bool


@dataclass
class SendHistory:
    """Where an intervention's check-ins stand when a batch of them is recorded: its most recent sent
    check-ins (newest first) and whether one is waiting to be sent. The dispatcher updates it as it
    records each check-in of the batch, so a second check-in of the same intervention in one batch
    sees the first."""

    recent_sent: list[SentBefore]
    has_pending: bool


@dataclass(frozen=True)
class Mark:
    """A claimed check-in to mark sent: where it landed in Slack."""

    claim: Claimed
    channel_id: str | None
    message_ts: str | None
    catch_up: bool


@dataclass(frozen=True)
class NextCheckIn:
    """The next check-in of an intervention's cadence, to be added waiting."""

    intervention_id: int
    workspace_id: str
    due_on: date
    due_at: datetime


def retry_delay(attempts: int) -> timedelta:
    """How long a failed send waits before its next attempt: 2, 4, 8 … minutes, capped at an hour."""
    return min(timedelta(minutes=2 ** max(1, min(attempts, 10))), MAX_RETRY_DELAY)


# The dispatcher reads a check-in (with its intervention and session) for every one it sends and
# records: not the session's participants (a query of their own each time), nor, where only the
# row's own columns are needed, the intervention and session joined in.
_WITHOUT_PARTICIPANTS = (
    joinedload(CheckIn.intervention).joinedload(Intervention.session).lazyload(PlaybookSession.participants)
)
_ROW_ONLY = lazyload(CheckIn.intervention)


class CheckInRepository:
    """Adds and queries interventions and check-ins; claims due check-ins. Never commits."""

    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm
        # Check-ins read (and locked) for a whole batch of claims at once: :meth:`hold_all`.
        self._held: dict[tuple[int, str], CheckIn] = {}

    # --- interventions ------------------------------------------------------------------------------

    def add_intervention(self, intervention: Intervention, first: CheckIn) -> Intervention:
        """Store an intervention with its first check-in."""
        self._orm.add(intervention)
        self._orm.flush()
        first.intervention_id = intervention.id
        first.workspace_id = intervention.workspace_id
        self._orm.add(first)
        self._orm.flush()
        return intervention

    def has_source(self, session_id: int, source_item: int) -> bool:
        return (
            self._orm.scalar(
                select(Intervention.id).where(
                    Intervention.session_id == session_id, Intervention.source_item == source_item
                )
            )
            is not None
        )

    def intervention(self, workspace_id: str, intervention_id: int) -> Intervention | None:
        return self._orm.scalar(
            select(Intervention).where(
                Intervention.workspace_id == workspace_id, Intervention.id == intervention_id
            )
        )

    def for_session(self, workspace_id: str, session_id: int) -> Sequence[Intervention]:
        return self._orm.scalars(
            select(Intervention)
            .where(Intervention.workspace_id == workspace_id, Intervention.session_id == session_id)
            .order_by(Intervention.id)
        ).all()

    def for_owner(self, workspace_id: str, user_id: str) -> list[OwnerIntervention]:
        """The open interventions ``user_id`` owns, each with its next check-in time (UTC), soonest
        first (for the App Home)."""
        waiting = (
            select(CheckIn.intervention_id, CheckIn.due_at)
            .where(CheckIn.workspace_id == workspace_id, CheckIn.status == CheckInStatus.PENDING)
            .subquery()
        )
        rows = self._orm.execute(
            select(Intervention, waiting.c.due_at)
            .outerjoin(waiting, waiting.c.intervention_id == Intervention.id)
            .where(
                Intervention.workspace_id == workspace_id,
                Intervention.owner_id == user_id,
                Intervention.status == InterventionStatus.OPEN,
            )
            .order_by(Intervention.id)
        ).all()
        found = [
            OwnerIntervention(
                intervention_id=row[0].id,
                session_id=row[0].session_id,
                what=row[0].what,
                cadence=row[0].cadence,
                progress=row[0].progress,
                progress_reason=row[0].progress_reason,
                next_checkin_at=row[1],
                owner_tz=row[0].owner_tz,
            )
            for row in rows
        ]
        return sorted(found, key=lambda item: (item.next_checkin_at is None, item.next_checkin_at or 0))

    def open_in_workspace(self, workspace_id: str, limit: int) -> list[OpenIntervention]:
        """The workspace's open interventions with their next check-in and how many were sent,
        soonest check-in first."""
        waiting = (
            select(CheckIn.intervention_id, func.min(CheckIn.due_at).label("due_at"))
            .where(CheckIn.workspace_id == workspace_id, CheckIn.status == CheckInStatus.PENDING)
            .group_by(CheckIn.intervention_id)
            .subquery()
        )
        sent = (
            select(CheckIn.intervention_id, func.count().label("sent"))
            .where(CheckIn.workspace_id == workspace_id, CheckIn.status == CheckInStatus.SENT)
            .group_by(CheckIn.intervention_id)
            .subquery()
        )
        rows = self._orm.execute(
            select(Intervention, waiting.c.due_at, sent.c.sent)
            .outerjoin(waiting, waiting.c.intervention_id == Intervention.id)
            .outerjoin(sent, sent.c.intervention_id == Intervention.id)
            .where(Intervention.workspace_id == workspace_id, Intervention.status == InterventionStatus.OPEN)
            .order_by(waiting.c.due_at.is_(None), waiting.c.due_at, Intervention.id)
            .limit(limit)
        ).all()
        return [OpenIntervention(row[0], row[1], int(row[2] or 0)) for row in rows]

    def get_intervention(self, intervention_id: int, *, for_update: bool = False) -> Intervention | None:
        query = select(Intervention).where(Intervention.id == intervention_id)
        if for_update:
            query = query.with_for_update(of=Intervention)
        return self._orm.scalar(query)

    def open_without_timezone(self, limit: int = 50) -> Sequence[Intervention]:
        """Open interventions whose owner's time zone has not been looked up yet."""
        return self._orm.scalars(
            select(Intervention)
            .where(Intervention.status == InterventionStatus.OPEN, Intervention.owner_tz.is_(None))
            .order_by(Intervention.id)
            .limit(limit)
        ).all()

    # --- check-ins ----------------------------------------------------------------------------------

    def get(self, checkin_id: int, *, for_update: bool = False) -> CheckIn | None:
        query = select(CheckIn).where(CheckIn.id == checkin_id)
        if for_update:
            query = query.with_for_update(of=CheckIn)
        return self._orm.scalar(query)

    def pending_for(self, intervention_id: int) -> CheckIn | None:
        """The intervention's check-in waiting to be sent, if any."""
        return self._orm.scalar(
            select(CheckIn)
            .where(CheckIn.intervention_id == intervention_id, CheckIn.status == CheckInStatus.PENDING)
            .order_by(CheckIn.due_at)
            .limit(1)
            .options(_ROW_ONLY)
        )

    def pending_in_workspace(self, workspace_id: str) -> Sequence[CheckIn]:
        return self._orm.scalars(
            select(CheckIn).where(
                CheckIn.workspace_id == workspace_id, CheckIn.status == CheckInStatus.PENDING
            )
        ).all()

    def recent_sent(self, intervention_id: int, limit: int) -> Sequence[CheckIn]:
        """The intervention's sent check-ins, newest first."""
        return self._orm.scalars(
            select(CheckIn)
            .where(CheckIn.intervention_id == intervention_id, CheckIn.status == CheckInStatus.SENT)
            .order_by(CheckIn.sent_at.desc(), CheckIn.id.desc())
            .limit(limit)
            .options(_ROW_ONLY)
        ).all()

    def send_histories(self, intervention_ids: Collection[int], sent_limit: int) -> dict[int, SendHistory]:
        """For each intervention: its ``sent_limit`` most recent sent check-ins and whether one is
        waiting, in one query for them all (through ``(intervention_id, status, due_at)``), so that
        recording a batch of check-ins reads them once, not twice per check-in."""
        found = {intervention_id: SendHistory([], False) for intervention_id in intervention_ids}
        if not found:
            return found
        rank = (
            func.row_number()
            .over(
                partition_by=(CheckIn.intervention_id, CheckIn.status),
                order_by=(CheckIn.sent_at.desc(), CheckIn.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(
                CheckIn.intervention_id,
                CheckIn.id,
                CheckIn.status,
                CheckIn.sent_at,
                CheckIn.answered_at,
                rank,
            )
            .where(
                CheckIn.intervention_id.in_(sorted(found)),
                CheckIn.status.in_((CheckInStatus.SENT, CheckInStatus.PENDING)),
            )
            .subquery()
        )
        rows = self._orm.execute(
            select(
                ranked.c.intervention_id,
                ranked.c.id,
                ranked.c.status,
                ranked.c.sent_at,
                ranked.c.answered_at,
            )
            .where(ranked.c.rank <= max(1, sent_limit))
            .order_by(ranked.c.intervention_id, ranked.c.rank)
        )
        for intervention_id, checkin_id, status, sent_at, answered_at in rows:
            cadence = found[intervention_id]
            if status == CheckInStatus.PENDING:
                cadence.has_pending = True
            elif len(cadence.recent_sent) < sent_limit:
                cadence.recent_sent.append(SentBefore(checkin_id, sent_at, answered_at is not None))
        return found

    def awaiting_answer(
        self, workspace_id: str, owner_id: str, *, message_ts: str | None = None
    ) -> CheckIn | None:
        """The check-in a reply from ``owner_id`` answers: the one whose message is ``message_ts``
        (a reply in its thread), else the most recently sent one of an open intervention that has
        no answer yet, else (a change of mind: "blocked", then "not doing") the most recently sent."""
        query = (
            select(CheckIn)
            .join(Intervention, Intervention.id == CheckIn.intervention_id)
            .where(
                CheckIn.workspace_id == workspace_id,
                Intervention.owner_id == owner_id,
                Intervention.status == InterventionStatus.OPEN,
                CheckIn.status == CheckInStatus.SENT,
            )
        )
        if message_ts is not None:
            query = query.where(CheckIn.message_ts == message_ts)
        unanswered = case((CheckIn.answered_at.is_(None), 0), else_=1)
        return self._orm.scalar(
            query.order_by(unanswered, CheckIn.sent_at.desc(), CheckIn.id.desc()).limit(1)
        )

    def cancel_waiting(self, intervention_id: int) -> None:
        """Stop every check-in of a closed intervention that has not gone out yet."""
        self._orm.execute(
            update(CheckIn)
            .where(
                CheckIn.intervention_id == intervention_id,
                CheckIn.status.in_((CheckInStatus.PENDING, CheckInStatus.SENDING)),
            )
            .values(status=CheckInStatus.CANCELLED, claim_token=None)
            .execution_options(synchronize_session="fetch")
        )

    def add_checkin(self, checkin: CheckIn) -> CheckIn:
        self._orm.add(checkin)
        self._orm.flush()
        return checkin

    def add_response(self, response: CheckInResponse) -> CheckInResponse:
        self._orm.add(response)
        self._orm.flush()
        return response

    # --- claiming -----------------------------------------------------------------------------------

    def _due(self, now: datetime, sending_timeout: timedelta) -> ColumnElement[bool]:
        return or_(
            and_(
                CheckIn.status == CheckInStatus.PENDING,
                CheckIn.due_at <= now,
                or_(CheckIn.retry_at.is_(None), CheckIn.retry_at <= now),
            ),
            and_(CheckIn.status == CheckInStatus.SENDING, CheckIn.claimed_at < now - sending_timeout),
        )

    def claim_due(
        self, now: datetime, token: str, limit: int, *, sending_timeout: timedelta = SENDING_TIMEOUT
    ) -> list[Claimed]:
        """Take up to ``limit`` due check-ins for this dispatcher (see the module docstring): pending
        rows whose time has come, and rows whose claim is older than ``sending_timeout``, ``now``
        being the database's clock (or a test's simulated one). Soonest due first."""
        table = cast(Table, CheckIn.__table__)
        due = self._due(now, sending_timeout)
        claim = {"status": CheckInStatus.SENDING, "claim_token": token, "claimed_at": now}
        connection = self._orm.connection()
        if connection.dialect.name == "postgresql":
            ids = list(
                connection.execute(
                    select(table.c.id)
                    .where(due)
                    .order_by(table.c.due_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not ids:
                return []
            claimed = connection.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(**claim, attempts=table.c.attempts + 1)
                .returning(table.c.id, table.c.attempts)
            )
            return sorted(
                (Claimed(int(checkin_id), token, int(attempts)) for checkin_id, attempts in claimed),
                key=lambda held: ids.index(held.checkin_id),
            )
        candidates = list(
            connection.execute(
                select(table.c.id, table.c.status, table.c.claimed_at)
                .where(due)
                .order_by(table.c.due_at)
                .limit(limit)
            )
        )
        result: list[Claimed] = []
        for checkin_id, status, claimed_at in candidates:
            # Conditional on the state we saw: another dispatcher that got there first changed it.
            seen = table.c.claimed_at.is_(None) if claimed_at is None else table.c.claimed_at == claimed_at
            won = connection.execute(
                update(table)
                .where(table.c.id == checkin_id, table.c.status == status, seen)
                .values(**claim, attempts=table.c.attempts + 1)
                .returning(table.c.attempts)
            ).first()
            if won is not None:
                result.append(Claimed(int(checkin_id), token, int(won[0])))
        return result

    def hold_all(self, claims: Sequence[Claimed]) -> None:
        """Read (and lock) every claimed check-in that this dispatcher still holds in one query, so
        that :meth:`holding` answers each of them without another (a batch's claims and its
        outcomes are read this way: one query instead of one per check-in)."""
        ids = [claim.checkin_id for claim in claims]
        if not ids:
            return
        tokens = {claim.checkin_id: claim.token for claim in claims}
        rows = self._orm.scalars(
            select(CheckIn)
            .where(
                CheckIn.id.in_(ids),
                CheckIn.status == CheckInStatus.SENDING,
                CheckIn.claim_token.in_(sorted(set(tokens.values()))),
            )
            .with_for_update(of=CheckIn)
            .options(_WITHOUT_PARTICIPANTS)
        ).all()
        for row in rows:
            token = row.claim_token
            if token is not None and token == tokens.get(row.id):
                self._held[(row.id, token)] = row

    def holding(self, claim: Claimed) -> CheckIn | None:
        """The claimed check-in, if this dispatcher still holds it (locked for the rest of the unit)."""
        held = self._held.pop((claim.checkin_id, claim.token), None)
        if held is not None and held.status == CheckInStatus.SENDING and held.claim_token == claim.token:
            return held
        return self._orm.scalar(
            select(CheckIn)
            .where(
                CheckIn.id == claim.checkin_id,
                CheckIn.status == CheckInStatus.SENDING,
                CheckIn.claim_token == claim.token,
            )
            .with_for_update(of=CheckIn)
            .options(_WITHOUT_PARTICIPANTS)
        )

    def mark_all_sent(self, marks: Sequence[Mark], now: datetime) -> None:
        """Mark a batch of claimed check-ins sent, as one executemany, each conditional on its claim
        token (a dispatcher that lost a claim never overwrites another's outcome). Written to the
        table directly: check-ins read earlier in this unit keep the values they were read with."""
        if not marks:
            return
        table = cast(Table, CheckIn.__table__)
        self._orm.flush()  # what the unit changed through the ORM goes first, in its order
        self._orm.connection().execute(
            update(table)
            .where(
                table.c.id == bindparam("checkin_id"),
                table.c.claim_token == bindparam("token"),
                table.c.status == CheckInStatus.SENDING,
            )
            .values(
                status=CheckInStatus.SENT,
                sent_at=now,
                channel_id=bindparam("channel"),
                message_ts=bindparam("ts"),
                catch_up=bindparam("late"),
                claim_token=None,
                last_error=None,
                retry_at=None,
            ),
            [
                {
                    "checkin_id": mark.claim.checkin_id,
                    "token": mark.claim.token,
                    "channel": mark.channel_id,
                    "ts": mark.message_ts,
                    "late": mark.catch_up,
                }
                for mark in marks
            ],
        )

    def add_next_all(self, upcoming: Sequence[NextCheckIn], now: datetime) -> None:
        """Add a batch's next check-ins, waiting, as one executemany insert."""
        if not upcoming:
            return
        table = cast(Table, CheckIn.__table__)
        self._orm.flush()
        self._orm.connection().execute(
            insert(table),
            [
                {
                    "intervention_id": item.intervention_id,
                    "workspace_id": item.workspace_id,
                    "due_on": item.due_on,
                    "due_at": item.due_at,
                    "status": CheckInStatus.PENDING,
                    "snoozed": False,
                    "attempts": 0,
                    "catch_up": False,
                    "created_at": now,
                }
                for item in upcoming
            ],
        )

    def give_back(self, claim: Claimed) -> bool:
        """Return a claimed check-in that was never posted to ``pending`` as it was (the claim is not
        counted as an attempt)."""
        checkin = self.holding(claim)
        if checkin is None:
            return False
        checkin.status = CheckInStatus.PENDING
        checkin.claim_token = None
        checkin.attempts = max(0, checkin.attempts - 1)
        return True

    def release_failed(self, claim: Claimed, now: datetime, error: str) -> bool:
        """Give a check-in whose send failed back to ``pending``, with the error and when to retry."""
        checkin = self.holding(claim)
        if checkin is None:
            return False
        checkin.status = CheckInStatus.PENDING
        checkin.claim_token = None
        checkin.last_error = error[:2000]
        checkin.retry_at = now + retry_delay(checkin.attempts)
        return True

"""Every table, as SQLAlchemy 2 typed models (one module, so the metadata is complete wherever it is
imported and nothing here imports a repository).

Answers are append-only: an edit or ``back`` adds a version. Interventions own a chain of scheduled
check-ins (``storage/checkins.py`` explains their states). Identity markers used after
``/playbook forget-me`` live here too, because every table that names a person may hold them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Who a person becomes after ``/playbook forget-me``, and what replaces words they typed.
FORMER_PARTICIPANT = "former-participant"
REMOVED_TEXT = "[removed at the participant's request]"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class SessionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Role(StrEnum):
    FACILITATOR = "facilitator"
    PARTICIPANT = "participant"


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # Slack team_id
    name: Mapped[str | None] = mapped_column(String(200))
    leads_channel: Mapped[str | None] = mapped_column(String(32))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Counts every erasure (forget-me) and retention purge that removed something of the workspace, in
    # the same transaction: what a process keeps from the workspace's stored answers is kept against
    # this count, so whatever any process erased is never served from it again (migration 0014).
    erasures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Problem(Base):
    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    statement: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Session(Base):
    """One run of a template. In a channel it lives in the thread of the bot's anchor message."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "channel_id", "thread_ts", name="uq_session_thread"),
        Index("ix_sessions_facilitator", "workspace_id", "facilitator_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id", ondelete="SET NULL"), index=True)
    template_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.ACTIVE)
    facilitator_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    # The anchor message in a channel, set when Slack has it (the anchor goes through the outbox); for
    # a DM session, None (the DM itself is the session's place).
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    is_dm: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # No longer written: a prompt that was lost is now an unsent outbox message (storage/outbox.py).
    last_prompted_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()
    # When the idle-session nudge was last posted (migration 0004); one nudge per quiet spell.
    idle_nudged_at: Mapped[datetime | None] = mapped_column()

    participants: Mapped[list[Participant]] = relationship(
        back_populates="session", cascade="all, delete-orphan", lazy="selectin"
    )


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_participant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16), default=Role.PARTICIPANT)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[Session] = relationship(back_populates="participants")


class AnswerVersion(Base):
    """One version of one answer. The latest version of a key is its current value; a retraction
    (``back``) is a version too, so history is never overwritten."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("session_id", "key", "version", name="uq_answer_version"),
        Index("ix_answers_session", "session_id", "key"),
        # The newest answers under a key (a workspace's latest decisions and root causes, migration 0013).
        Index("ix_answers_key_newest", "key", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    raw_text: Mapped[str | None] = mapped_column(Text)
    skipped: Mapped[bool] = mapped_column(default=False)
    retracted: Mapped[bool] = mapped_column(default=False)
    author_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """One stored version of an answer, as read: the columns of :class:`AnswerVersion` without an ORM
    object behind them (every answer reads all of its session's latest versions, and building an ORM
    object for each cost more than reading it). Changing an answer means adding a version."""

    id: int
    session_id: int
    key: str
    version: int
    value: Any
    raw_text: str | None
    skipped: bool
    retracted: bool
    author_id: str
    created_at: datetime


# Its fields in order, as a read selects their columns.
STORED_ANSWER_FIELDS = tuple(field.name for field in fields(StoredAnswer))


class ProcessedEvent(Base):
    """Slack event ids already handled: Slack retries deliveries and Bolt does not de-duplicate."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InterventionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_DOING = "not_doing"
    # Closed by /playbook forget-me: the owner asked to be forgotten (storage/privacy.py).
    OWNER_LEFT = "owner_left"


class CheckInStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class ResponseKind(StrEnum):
    ON_TRACK = "on_track"
    BLOCKED = "blocked"
    DONE = "done"
    NOT_DOING = "not_doing"
    SNOOZE_DAY = "snooze_day"
    SNOOZE_WEEK = "snooze_week"

    @property
    def closes(self) -> bool:
        return self in (ResponseKind.DONE, ResponseKind.NOT_DOING)

    @property
    def snoozes(self) -> bool:
        return self in (ResponseKind.SNOOZE_DAY, ResponseKind.SNOOZE_WEEK)


class LeadsPost(Base):
    """Where a session's summary for leads was posted (its first message), so that a change made after
    the session completed updates that message rather than leaving leads with an old account."""

    __tablename__ = "leads_posts"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Intervention(Base):
    """Something the team agreed to do about a problem, owned by one person."""

    __tablename__ = "interventions"
    __table_args__ = (
        # A session's answers are turned into interventions once: item n of its list is one row.
        UniqueConstraint("session_id", "source_item", name="uq_intervention_source"),
        Index("ix_interventions_owner", "workspace_id", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    # The item number in the session's ``interventions`` list; None when added later (modal, button).
    source_item: Mapped[int | None] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str] = mapped_column(String(32))
    # The owner's Slack time zone (users.info ``tz``), looked up once by the dispatcher; None until then.
    owner_tz: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(32))
    cadence: Mapped[str] = mapped_column(String(16))
    first_due: Mapped[date] = mapped_column(Date)
    # Monthly check-ins keep this day of the month (clamped to short months without drifting).
    day_of_month: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=InterventionStatus.OPEN)
    # The latest reported progress (a ResponseKind other than a snooze) and its reason, for summaries.
    progress: Mapped[str | None] = mapped_column(String(16))
    progress_reason: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()

    session: Mapped[Session] = relationship(lazy="joined")


class CheckIn(Base):
    """One scheduled check-in message to an intervention's owner."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_due", "status", "due_at"),
        # Interventions' sent or pending check-ins, read for each batch of check-ins sent (migration 0012).
        Index("ix_checkins_intervention_status", "intervention_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("interventions.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[str] = mapped_column(String(32))
    # The nominal date in the cadence (before moving off weekends and bank holidays).
    due_on: Mapped[date] = mapped_column(Date)
    # When to send it: 10:00 in the owner's time zone on the first working day on or after ``due_on``.
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=CheckInStatus.PENDING)
    snoozed: Mapped[bool] = mapped_column(default=False)
    claim_token: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    catch_up: Mapped[bool] = mapped_column(default=False)
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    intervention: Mapped[Intervention] = relationship(lazy="joined")


class CheckInResponse(Base):
    """What an owner said to a check-in (append-only)."""

    __tablename__ = "checkin_responses"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int] = mapped_column(
        ForeignKey("interventions.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    raw_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingAnswer(Base):
    """A typed answer that looked like personal data, waiting for ``keep`` or a redacted version."""

    __tablename__ = "pending_answers"
    __table_args__ = (UniqueConstraint("session_id", "user_id", name="uq_pending_answer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    # The prompt it answers: if the session has moved on since, the pending answer is dropped.
    prompt_key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerAllowance(Base):
    """How many answers a person has sent in their current minute, so that the per-person answer limit
    is one count for every web process on the database (not one per process). The minute starts at the
    first answer after the previous one ended; one row per person, kept small and updated in place."""

    __tablename__ = "answer_allowances"

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    window_start: Mapped[datetime]
    answers: Mapped[int] = mapped_column(Integer)


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


class PersonSetting(Base):
    """What one person chose for themselves in a workspace: the language the bot writes to them in
    (``en`` or ``cy``). No row means they have not chosen, and the workspace's default applies."""

    __tablename__ = "person_settings"

    workspace_id: Mapped[str] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestSend(Base):
    """The weekly digest of one workspace, once per ISO week: the row is claimed before the digest is
    sent, so however many workers wake at 09:00 only the one whose insert landed sends it."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("workspace_id", "send_week", name="uq_digest_send_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    send_week: Mapped[str] = mapped_column(String(10))  # ISO week it is sent in, e.g. 2026-W49
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    DEAD = "dead"


class OutboxMessage(Base):
    """A message the bot must send because something was stored, written in the same transaction as
    that change (``storage/outbox.py`` explains its states, ordering and claims)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_ready", "status", "id"),
        Index("ix_outbox_ordering", "ordering_key", "status", "id"),
        Index("ix_outbox_session", "session_id", "status"),
        # Every sent message gives its ts to the messages waiting for it as their thread: without an
        # index that update read the whole outbox (sent rows stay until purged) on every send.
        Index("ix_outbox_thread_of", "thread_of"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No foreign key: a message can outlive nothing it names, but it must not stop a workspace's rows
    # being deleted (an uninstall) or wait for them.
    workspace_id: Mapped[str] = mapped_column(String(32))
    # Erased with its session (retention, forget-me of a DM session): its payload may quote answers.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    # Messages with the same key are sent in id order: ``session:{id}:{channel}``, or the channel.
    ordering_key: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    # The thread it goes in; None for a top-level message, or until ``thread_of`` is sent.
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    # An earlier message (same ordering key) whose ts is this one's thread: a session's anchor, the
    # first part of a long leads post. If that one can never be sent, neither can this.
    thread_of: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not before this (the app's clock): Slack's Retry-After, or a back-off after a server error.
    not_before: Mapped[datetime | None] = mapped_column()
    # When a sender claimed it, by the database's clock (so senders' clocks may disagree).
    claimed_at: Mapped[datetime | None] = mapped_column()
    # A send whose outcome is unknown (the connection dropped, Slack answered 5xx): the message may be
    # in Slack, so it is looked for before it is posted again.
    uncertain: Mapped[bool] = mapped_column(default=False)
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

"""SQLAlchemy 2 typed models. Answers are append-only: an edit or ``back`` adds a version."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


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
    # The anchor message in a channel; for a DM session, None (the DM itself is the session's place).
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    is_dm: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    # The answer key of the last prompt we posted: lets a retried event re-post a prompt that was lost.
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


class ProcessedEvent(Base):
    """Slack event ids already handled: Slack retries deliveries and Bolt does not de-duplicate."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# Interventions and check-ins (issue 5) live in their own module; imported here so the metadata has them.
# So do the audit log and answers pending a redact-or-keep choice (issue 8).
from storage import audit as _audit  # noqa: E402, F401
from storage import checkins as _checkins  # noqa: E402, F401
from storage import privacy as _privacy  # noqa: E402, F401

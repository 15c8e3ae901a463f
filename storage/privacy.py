"""One person's data: export it (``/playbook my-data``), erase it (``/playbook forget-me``), and hold an
answer that looks like personal data until they choose to redact or keep it.

Erasure keeps the shape of a session (its answers' keys and versions, so the flow position and history
still make sense) but removes the person: their user id becomes :data:`FORMER_PARTICIPANT` everywhere,
what they typed (``raw_text``) is dropped, and their free-text answers are replaced by
:data:`REMOVED_TEXT`. Structured answers (a cost, a yes/no, a score) stay: they say nothing about anyone.

Other features that store user ids register an exporter and an eraser with :func:`register`, so both
commands cover them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import Session as OrmSession

from storage import audit
from storage.models import AnswerVersion, Base, Participant, Problem, Session, utcnow

FORMER_PARTICIPANT = "former-participant"
REMOVED_TEXT = "[removed at the participant's request]"

# (orm, workspace_id, user_id) -> JSON-ready data about that person
Exporter = Callable[[OrmSession, str, str], Any]
# (orm, workspace_id, user_id) -> number of rows changed or deleted
Eraser = Callable[[OrmSession, str, str], int]
# (template_id, answer key) -> is the answer free text a person wrote?
FreeTextTest = Callable[[str, str], bool]


@dataclass(frozen=True)
class _Extension:
    export: Exporter
    erase: Eraser


_EXTENSIONS: dict[str, _Extension] = {}


def register(name: str, export: Exporter, erase: Eraser) -> None:
    """Include another feature's tables in ``my-data`` (under ``name``) and in ``forget-me``."""
    _EXTENSIONS[name] = _Extension(export, erase)


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


class PendingAnswerRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def get(self, session_id: int, user_id: str) -> PendingAnswer | None:
        return self._orm.scalar(
            select(PendingAnswer).where(
                PendingAnswer.session_id == session_id, PendingAnswer.user_id == user_id
            )
        )

    def put(self, session_id: int, user_id: str, prompt_key: str, text: str, at: datetime) -> PendingAnswer:
        pending = self.get(session_id, user_id)
        if pending is None:
            pending = PendingAnswer(session_id=session_id, user_id=user_id)
            self._orm.add(pending)
        pending.prompt_key = prompt_key
        pending.text = text
        pending.created_at = at
        self._orm.flush()
        return pending

    def discard(self, pending: PendingAnswer) -> None:
        self._orm.delete(pending)
        self._orm.flush()


# --- export ----------------------------------------------------------------------------------------------


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _sessions_of(workspace_id: str) -> Any:
    return select(Session.id).where(Session.workspace_id == workspace_id)


def export_person(orm: OrmSession, workspace_id: str, user_id: str, now: datetime) -> dict[str, Any]:
    """Everything stored about ``user_id`` in ``workspace_id``, as JSON-ready data."""
    facilitated = orm.scalars(
        select(Session)
        .where(Session.workspace_id == workspace_id, Session.facilitator_id == user_id)
        .order_by(Session.id)
    ).all()
    participation = orm.execute(
        select(Participant, Session)
        .join(Session, Session.id == Participant.session_id)
        .where(Session.workspace_id == workspace_id, Participant.user_id == user_id)
        .order_by(Session.id)
    ).all()
    answers = orm.scalars(
        select(AnswerVersion)
        .where(AnswerVersion.session_id.in_(_sessions_of(workspace_id)), AnswerVersion.author_id == user_id)
        .order_by(AnswerVersion.session_id, AnswerVersion.key, AnswerVersion.version)
    ).all()
    problems = orm.scalars(
        select(Problem)
        .where(Problem.workspace_id == workspace_id, Problem.created_by == user_id)
        .order_by(Problem.id)
    ).all()
    pending = orm.scalars(
        select(PendingAnswer).where(
            PendingAnswer.session_id.in_(_sessions_of(workspace_id)), PendingAnswer.user_id == user_id
        )
    ).all()
    audit_entries = orm.scalars(
        select(audit.AuditEntry)
        .where(audit.AuditEntry.workspace_id == workspace_id, audit.AuditEntry.actor == user_id)
        .order_by(audit.AuditEntry.created_at, audit.AuditEntry.id)
    ).all()
    data: dict[str, Any] = {
        "about": "Everything Playbook bot stores about you in this workspace.",
        "workspace_id": workspace_id,
        "user_id": user_id,
        "generated_at": now.isoformat(),
        "sessions_facilitated": [
            {
                "session": s.id,
                "template": s.template_id,
                "status": s.status,
                "channel": s.channel_id,
                "started_at": _when(s.created_at),
                "completed_at": _when(s.completed_at),
            }
            for s in facilitated
        ],
        "participation": [
            {
                "session": s.id,
                "template": s.template_id,
                "role": p.role,
                "joined_at": _when(p.joined_at),
                "session_status": s.status,
            }
            for p, s in participation
        ],
        "answers": [
            {
                "session": a.session_id,
                "question": a.key,
                "version": a.version,
                "value": a.value,
                "typed_text": a.raw_text,
                "skipped": a.skipped,
                "withdrawn": a.retracted,
                "at": _when(a.created_at),
            }
            for a in answers
        ],
        "problems_written": [
            {"problem": p.id, "statement": p.statement, "at": _when(p.created_at)} for p in problems
        ],
        "answers_waiting_for_keep_or_redact": [
            {"session": p.session_id, "question": p.prompt_key, "text": p.text, "at": _when(p.created_at)}
            for p in pending
        ],
        "audit_log": [
            {"action": e.action, "detail": e.detail, "at": _when(e.created_at)} for e in audit_entries
        ],
    }
    for name, extension in sorted(_EXTENSIONS.items()):
        data[name] = extension.export(orm, workspace_id, user_id)
    return data


# --- erasure ---------------------------------------------------------------------------------------------


@dataclass
class ErasureReport:
    answers: int = 0
    free_text_removed: int = 0
    participants: int = 0
    sessions: int = 0
    problems: int = 0
    pending: int = 0
    audit_entries: int = 0
    other: dict[str, int] = field(default_factory=dict)

    @property
    def erased_anything(self) -> bool:
        return any(self.as_detail().values())

    def as_detail(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "free_text_removed": self.free_text_removed,
            "participants": self.participants,
            "sessions": self.sessions,
            "problems": self.problems,
            "pending": self.pending,
            "audit_entries": self.audit_entries,
            **{f"other.{k}": v for k, v in self.other.items()},
        }


def erase_person(
    orm: OrmSession, workspace_id: str, user_id: str, *, is_free_text: FreeTextTest
) -> ErasureReport:
    """Replace ``user_id`` with :data:`FORMER_PARTICIPANT` in ``workspace_id`` and remove what they
    typed. Runs in the caller's transaction; the caller commits (and records the audit entry)."""
    report = ErasureReport()
    rows = orm.execute(
        select(AnswerVersion, Session.template_id)
        .join(Session, Session.id == AnswerVersion.session_id)
        .where(Session.workspace_id == workspace_id, AnswerVersion.author_id == user_id)
    ).all()
    for answer, template_id in rows:
        answer.author_id = FORMER_PARTICIPANT
        answer.raw_text = None
        report.answers += 1
        if answer.value is not None and is_free_text(template_id, answer.key):
            answer.value = REMOVED_TEXT
            report.free_text_removed += 1
    for participant in orm.scalars(
        select(Participant)
        .join(Session, Session.id == Participant.session_id)
        .where(Session.workspace_id == workspace_id, Participant.user_id == user_id)
    ).all():
        # One row per person per session: if a former participant is already there, merge into it.
        already = orm.scalar(
            select(Participant.id).where(
                Participant.session_id == participant.session_id,
                Participant.user_id == FORMER_PARTICIPANT,
            )
        )
        if already is None:
            participant.user_id = FORMER_PARTICIPANT
        else:
            orm.delete(participant)
        report.participants += 1
    for session in orm.scalars(
        select(Session).where(Session.workspace_id == workspace_id, Session.facilitator_id == user_id)
    ).all():
        session.facilitator_id = FORMER_PARTICIPANT
        report.sessions += 1
    for problem in orm.scalars(
        select(Problem).where(Problem.workspace_id == workspace_id, Problem.created_by == user_id)
    ).all():
        problem.created_by = FORMER_PARTICIPANT
        problem.statement = REMOVED_TEXT
        report.problems += 1
    deleted = orm.execute(
        delete(PendingAnswer)
        .where(PendingAnswer.session_id.in_(_sessions_of(workspace_id)), PendingAnswer.user_id == user_id)
        .returning(PendingAnswer.id)
    ).all()
    report.pending = len(deleted)
    for entry in orm.scalars(
        select(audit.AuditEntry).where(
            audit.AuditEntry.workspace_id == workspace_id, audit.AuditEntry.actor == user_id
        )
    ).all():
        entry.actor = FORMER_PARTICIPANT
        report.audit_entries += 1
    for name, extension in sorted(_EXTENSIONS.items()):
        report.other[name] = extension.erase(orm, workspace_id, user_id)
    orm.flush()
    return report

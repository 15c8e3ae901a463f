"""One person's data: export it (``/playbook my-data``), erase it (``/playbook forget-me``), and hold an
answer that looks like personal data until they choose to redact or keep it.

Erasure keeps the shape of a session (its answers' keys and versions, so the flow position and history
still make sense) but removes the person: their user id becomes :data:`FORMER_PARTICIPANT` everywhere,
what they typed (``raw_text``) is dropped, and their free-text answers are replaced by
:data:`REMOVED_TEXT`. Structured answers (a cost, a yes/no, a score) stay: they say nothing about anyone.

Interventions and check-ins follow the same rule. Who a person was becomes the marker, and words they
typed are removed, while the structured facts (an intervention's cadence and status, what kind of answer
a check-in got) stay:

* interventions they own get the marker as owner, their progress reason is removed, and an open one is
  closed as ``owner_left`` with its waiting check-ins cancelled: there is nobody left to ask, and the
  dispatcher must never post to the marker;
* interventions they created get the marker as creator and their description (typed by them, like the
  ``interventions.N.what`` answer, which the session eraser blanks) is removed;
* their check-in responses keep the kind (on track, blocked…) but lose the reason and typed text;
* session answers naming them as an intervention's owner (``interventions.N.owner``) name the marker,
  and the mention typed for them is dropped.

Words of theirs that other answers copied go too: a root cause picks a why and stores its text, a
ranking stores the texts it ranks, a classification quotes the answers behind it. Every answer version
in the sessions they answered (whoever wrote it) and the problem statements of those sessions are
searched for the erased texts, and a copy is replaced by :data:`REMOVED_TEXT`; so no other person's
answers, my-data or exports keep them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.orm import Session as OrmSession

from storage.checkins import CheckInRepository
from storage.models import (
    FORMER_PARTICIPANT,
    REMOVED_TEXT,
    AnswerAllowance,
    AnswerVersion,
    AuditEntry,
    CheckIn,
    CheckInResponse,
    Intervention,
    InterventionStatus,
    Participant,
    PendingAnswer,
    Problem,
    Session,
    utcnow,
)
from storage.outbox import PROMPT_KIND, OutboxRepository
from storage.repositories import count_erasure

__all__ = [
    "FORMER_PARTICIPANT",
    "REMOVED_TEXT",
    "ErasureReport",
    "OwnerLeft",
    "PendingAnswer",
    "PendingAnswerRepository",
    "PrivacyRepository",
]

# (template_id, answer key) -> is the answer free text a person wrote?
FreeTextTest = Callable[[str, str], bool]

# The five-whys template's list of interventions and its owner step (flows/templates/five-whys.yaml).
OWNER_ANSWER_PREFIX = "interventions."
OWNER_ANSWER_SUFFIX = ".owner"


_PENDING_OF = select(PendingAnswer).where(
    PendingAnswer.session_id == bindparam("session"), PendingAnswer.user_id == bindparam("user")
)
# Asked on every typed answer (is one held for redact-or-keep?), and taken if so: one statement, built
# once (building it cost more than running it), rows rather than ORM objects.
_TAKE_PENDING = (
    delete(PendingAnswer)
    .where(PendingAnswer.session_id == bindparam("session"), PendingAnswer.user_id == bindparam("user"))
    .returning(PendingAnswer.prompt_key, PendingAnswer.text)
)


@dataclass(frozen=True)
class HeldAnswer:
    """A typed answer that was held for redact-or-keep: the question it answered, and what was said."""

    prompt_key: str
    text: str


class PendingAnswerRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def get(self, session_id: int, user_id: str) -> PendingAnswer | None:
        return self._orm.scalar(_PENDING_OF, {"session": session_id, "user": user_id})

    def take(self, session_id: int, user_id: str) -> HeldAnswer | None:
        """The answer held for this person in this session, removed (their next reply settles it)."""
        row = self._orm.connection().execute(_TAKE_PENDING, {"session": session_id, "user": user_id}).first()
        return None if row is None else HeldAnswer(str(row[0]), str(row[1]))

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


# --- export ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerLeft:
    """An intervention closed because its owner was forgotten: where to say so, and what it was."""

    intervention_id: int
    session_id: int
    channel_id: str
    thread_ts: str | None
    what: str


def _when(value: Any) -> str | None:
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
        select(AuditEntry)
        .where(AuditEntry.workspace_id == workspace_id, AuditEntry.actor == user_id)
        .order_by(AuditEntry.created_at, AuditEntry.id)
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
    data["interventions"] = _export_checkins(orm, workspace_id, user_id)
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
    erased: set[str] = set()
    for answer, template_id in rows:
        answer.author_id = FORMER_PARTICIPANT
        answer.raw_text = None
        report.answers += 1
        if answer.value is not None and is_free_text(template_id, answer.key):
            if isinstance(answer.value, str) and answer.value.strip():
                erased.add(answer.value.strip())
            answer.value = REMOVED_TEXT
            report.free_text_removed += 1
    report.other["copies"] = _erase_copies(
        orm, workspace_id, {answer.session_id for answer, _t in rows}, erased
    )
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
    # Their answer count for the rate limit: only a number, but keyed by their id.
    orm.execute(
        delete(AnswerAllowance).where(
            AnswerAllowance.workspace_id == workspace_id, AnswerAllowance.user_id == user_id
        )
    )
    for entry in orm.scalars(
        select(AuditEntry).where(AuditEntry.workspace_id == workspace_id, AuditEntry.actor == user_id)
    ).all():
        entry.actor = FORMER_PARTICIPANT
        report.audit_entries += 1
    report.other["interventions"] = _erase_checkins(orm, workspace_id, user_id)
    orm.flush()
    count_erasure(orm, workspace_id)
    return report


# --- copies of erased words -----------------------------------------------------------------------------

# A shorter erased text ("No", "Staff") is only a copy when a whole value is exactly it; a longer one
# also when another text contains it (a classification's reason quoting it).
_QUOTED_MIN = 12


def _holds(text: str, erased: set[str]) -> bool:
    stripped = text.strip()
    return any(stripped == e or (len(e) >= _QUOTED_MIN and e in text) for e in erased)


def _scrubbed(value: Any, erased: set[str]) -> tuple[Any, bool]:
    """``value`` (stored JSON) with every string holding an erased text replaced."""
    if isinstance(value, str):
        return (REMOVED_TEXT, True) if value != REMOVED_TEXT and _holds(value, erased) else (value, False)
    if isinstance(value, list):
        pairs = [_scrubbed(v, erased) for v in value]
        return [v for v, _c in pairs], any(c for _v, c in pairs)
    if isinstance(value, dict):
        items = {k: _scrubbed(v, erased) for k, v in value.items()}
        return {k: v for k, (v, _c) in items.items()}, any(c for _v, c in items.values())
    return value, False


def _erase_copies(orm: OrmSession, workspace_id: str, session_ids: set[int], erased: set[str]) -> int:
    """Replace copies of ``erased`` texts in any answer version of ``session_ids`` (and the problem
    statements of those sessions). Returns the rows changed."""
    if not erased or not session_ids:
        return 0
    changed = 0
    for answer in orm.scalars(
        select(AnswerVersion)
        .join(Session, Session.id == AnswerVersion.session_id)
        .where(Session.workspace_id == workspace_id, AnswerVersion.session_id.in_(sorted(session_ids)))
    ).all():
        value, copied = _scrubbed(answer.value, erased)
        typed = answer.raw_text is not None and _holds(answer.raw_text, erased)
        if copied:
            answer.value = value
        if typed:
            answer.raw_text = None
        changed += int(copied or typed)
    for problem in orm.scalars(
        select(Problem)
        .join(Session, Session.problem_id == Problem.id)
        .where(Problem.workspace_id == workspace_id, Session.id.in_(sorted(session_ids)))
        .distinct()
    ).all():
        if problem.statement and problem.statement != REMOVED_TEXT and _holds(problem.statement, erased):
            problem.statement = REMOVED_TEXT
            changed += 1
    # Messages still waiting in the outbox go out without the erased words; a sent question keeps its
    # payload until it is answered (its buttons are then replaced), so those sessions' are scrubbed
    # too (other sent messages keep none).
    outbox = OutboxRepository(orm)
    for message in [
        *outbox.unsent_in_workspace(workspace_id),
        *outbox.sent_keeping_payload(session_ids, PROMPT_KIND),
    ]:
        payload, copied = _scrubbed(message.payload, erased)
        if copied:
            message.payload = payload
            changed += 1
    return changed


# --- interventions and check-ins --------------------------------------------------------------------


def _owner_answers(orm: OrmSession, workspace_id: str, user_id: str) -> Sequence[AnswerVersion]:
    """Every version of an ``interventions.N.owner`` answer that names ``user_id``."""
    rows = orm.scalars(
        select(AnswerVersion)
        .join(Session, Session.id == AnswerVersion.session_id)
        .where(
            Session.workspace_id == workspace_id,
            AnswerVersion.key.startswith(OWNER_ANSWER_PREFIX),
            AnswerVersion.key.endswith(OWNER_ANSWER_SUFFIX),
        )
        .order_by(AnswerVersion.session_id, AnswerVersion.key, AnswerVersion.version)
    ).all()
    # The value is JSON: compared here rather than in SQL, where JSON equality differs by backend.
    return [row for row in rows if row.value == user_id]


def open_owned(orm: OrmSession, workspace_id: str, user_id: str) -> list[int]:
    """The open interventions ``user_id`` owns (those forgetting them will close), by id."""
    return list(
        orm.scalars(
            select(Intervention.id)
            .where(
                Intervention.workspace_id == workspace_id,
                Intervention.owner_id == user_id,
                Intervention.status == InterventionStatus.OPEN,
            )
            .order_by(Intervention.id)
        )
    )


def owner_left(orm: OrmSession, workspace_id: str, intervention_ids: Sequence[int]) -> list[OwnerLeft]:
    """Where to tell each session that these interventions lost their owner (read after erasure, so
    ``what`` is already removed if the forgotten person wrote it)."""
    found = orm.scalars(
        select(Intervention)
        .where(Intervention.workspace_id == workspace_id, Intervention.id.in_(list(intervention_ids)))
        .order_by(Intervention.id)
    ).all()
    return [
        OwnerLeft(
            intervention_id=i.id,
            session_id=i.session_id,
            channel_id=i.session.channel_id,
            thread_ts=None if i.session.is_dm else i.session.thread_ts,
            what=i.what,
        )
        for i in found
    ]


def _export_checkins(orm: OrmSession, workspace_id: str, user_id: str) -> dict[str, Any]:
    """The interventions ``user_id`` owns or created, the check-ins sent to them, their responses, and
    the session answers that name them as an owner. Other people's ids are left out."""
    interventions = orm.scalars(
        select(Intervention)
        .where(
            Intervention.workspace_id == workspace_id,
            or_(Intervention.owner_id == user_id, Intervention.created_by == user_id),
        )
        .order_by(Intervention.id)
    ).all()
    owned = [i.id for i in interventions if i.owner_id == user_id]
    checkins = orm.scalars(
        select(CheckIn)
        .where(CheckIn.workspace_id == workspace_id, CheckIn.intervention_id.in_(owned))
        .order_by(CheckIn.intervention_id, CheckIn.due_at, CheckIn.id)
    ).all()
    responses = orm.scalars(
        select(CheckInResponse)
        .join(Intervention, Intervention.id == CheckInResponse.intervention_id)
        .where(Intervention.workspace_id == workspace_id, CheckInResponse.user_id == user_id)
        .order_by(CheckInResponse.created_at, CheckInResponse.id)
    ).all()
    return {
        "interventions": [
            {
                "intervention": i.id,
                "session": i.session_id,
                "what": i.what,
                "you_own_it": i.owner_id == user_id,
                "you_added_it": i.created_by == user_id,
                "your_time_zone": i.owner_tz if i.owner_id == user_id else None,
                "cadence": i.cadence,
                "status": i.status,
                "progress": i.progress if i.owner_id == user_id else None,
                "progress_reason": i.progress_reason if i.owner_id == user_id else None,
                "created_at": _when(i.created_at),
                "closed_at": _when(i.closed_at),
            }
            for i in interventions
        ],
        "checkins_to_you": [
            {
                "intervention": c.intervention_id,
                "due_on": _when(c.due_on),
                "status": c.status,
                "sent_at": _when(c.sent_at),
                "answered_at": _when(c.answered_at),
            }
            for c in checkins
        ],
        "checkin_responses": [
            {
                "intervention": r.intervention_id,
                "answer": r.kind,
                "reason": r.reason,
                "typed_text": r.raw_text,
                "at": _when(r.created_at),
            }
            for r in responses
        ],
        "named_as_owner_in_answers": [
            {"session": a.session_id, "question": a.key, "version": a.version}
            for a in _owner_answers(orm, workspace_id, user_id)
        ],
    }


def _erase_checkins(orm: OrmSession, workspace_id: str, user_id: str) -> int:
    """Forget ``user_id`` in these tables (see the module docstring). Returns the rows changed."""
    changed = 0
    repository = CheckInRepository(orm)
    for intervention in orm.scalars(
        select(Intervention).where(
            Intervention.workspace_id == workspace_id,
            or_(Intervention.owner_id == user_id, Intervention.created_by == user_id),
        )
    ).all():
        if intervention.created_by == user_id:
            intervention.created_by = FORMER_PARTICIPANT
            intervention.what = REMOVED_TEXT
        if intervention.owner_id == user_id:
            intervention.owner_id = FORMER_PARTICIPANT
            intervention.owner_tz = None
            if intervention.progress_reason is not None:
                intervention.progress_reason = REMOVED_TEXT
            if intervention.status == InterventionStatus.OPEN:
                intervention.status = InterventionStatus.OWNER_LEFT
                intervention.closed_at = utcnow()
                intervention.escalated_at = None
                repository.cancel_waiting(intervention.id)
        changed += 1
    for response in orm.scalars(
        select(CheckInResponse)
        .join(Intervention, Intervention.id == CheckInResponse.intervention_id)
        .where(Intervention.workspace_id == workspace_id, CheckInResponse.user_id == user_id)
    ).all():
        response.user_id = FORMER_PARTICIPANT
        response.reason = REMOVED_TEXT if response.reason is not None else None
        response.raw_text = None
        changed += 1
    for answer in _owner_answers(orm, workspace_id, user_id):
        answer.value = FORMER_PARTICIPANT
        answer.raw_text = None  # the mention typed for them, ``<@U…>``
        changed += 1
    orm.flush()
    return changed


class PrivacyRepository:
    """One person's data across every table: export, erasure, and the interventions erasure closes."""

    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def export_person(self, workspace_id: str, user_id: str, now: datetime) -> dict[str, Any]:
        return export_person(self._orm, workspace_id, user_id, now)

    def erase_person(self, workspace_id: str, user_id: str, *, is_free_text: FreeTextTest) -> ErasureReport:
        return erase_person(self._orm, workspace_id, user_id, is_free_text=is_free_text)

    def open_owned(self, workspace_id: str, user_id: str) -> list[int]:
        return open_owned(self._orm, workspace_id, user_id)

    def owner_left(self, workspace_id: str, intervention_ids: Sequence[int]) -> list[OwnerLeft]:
        return owner_left(self._orm, workspace_id, intervention_ids)

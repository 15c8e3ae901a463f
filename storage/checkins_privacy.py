"""Interventions and check-ins in ``/playbook my-data`` and ``/playbook forget-me``.

``storage.checkins`` imports this module, which registers :func:`export_person` and :func:`erase_person`
with :func:`storage.privacy.register`, so both commands cover these tables wherever check-ins exist.

Forgetting a person here follows the rule for session answers (``storage/privacy.py``): who they were
becomes :data:`~storage.privacy.FORMER_PARTICIPANT`, and words they typed are removed, while the
structured facts (an intervention's cadence and status, what kind of answer a check-in got) stay:

* interventions they own get the marker as owner, their progress reason is removed, and an open one is
  closed as ``owner_left`` with its waiting check-ins cancelled: there is nobody left to ask, and the
  dispatcher must never post to the marker;
* interventions they created get the marker as creator and their description (typed by them, like the
  ``interventions.N.what`` answer, which the session eraser blanks) is removed;
* their check-in responses keep the kind (on track, blocked…) but lose the reason and typed text;
* session answers naming them as an intervention's owner (``interventions.N.owner``) name the marker,
  and the mention typed for them is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from storage.checkins import (
    CheckIn,
    CheckInRepository,
    CheckInResponse,
    Intervention,
    InterventionStatus,
)
from storage.models import AnswerVersion, Session, utcnow
from storage.privacy import FORMER_PARTICIPANT, REMOVED_TEXT, register

EXTENSION = "interventions"
# The five-whys template's list of interventions and its owner step (flows/templates/five-whys.yaml).
OWNER_ANSWER_PREFIX = "interventions."
OWNER_ANSWER_SUFFIX = ".owner"


@dataclass(frozen=True)
class OwnerLeft:
    """An intervention closed because its owner was forgotten: where to say so, and what it was."""

    intervention_id: int
    session_id: int
    channel_id: str
    thread_ts: str | None
    what: str


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


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def export_person(orm: OrmSession, workspace_id: str, user_id: str) -> dict[str, Any]:
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


def erase_person(orm: OrmSession, workspace_id: str, user_id: str) -> int:
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


register(EXTENSION, export_person, erase_person)

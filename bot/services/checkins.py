"""Interventions and their check-ins: creating them, sending due check-ins exactly once, recording
the owners' answers, escalating silence.

(Being moved here from ``bot/checkins.py`` and ``bot/listeners/checkins.py``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from bot.services.workspace import EffectiveSettings
from flows.calendar import checkin_moment
from flows.engine import Answer
from flows.interventions import INTERVENTIONS_REPEAT, NewIntervention, interventions_from_answers
from storage.models import CheckIn, CheckInStatus, Intervention, InterventionStatus, Session
from storage.uow import UnitOfWork


def add_intervention(
    uow: UnitOfWork,
    session: Session,
    new: NewIntervention,
    settings: EffectiveSettings,
    *,
    created_by: str,
    now: datetime,
    source_item: int | None = None,
    owner_tz: str | None = None,
) -> Intervention:
    """Store an intervention and its first check-in (inside the caller's unit of work).

    Until the owner's Slack time zone is known (the dispatcher looks it up before sending), the first
    check-in is timed for 10:00 in Europe/London."""
    uow.workspaces.get_or_create(session.workspace_id)
    intervention = Intervention(
        workspace_id=session.workspace_id,
        session_id=session.id,
        source_item=source_item,
        what=new.what,
        owner_id=new.owner_id,
        owner_tz=owner_tz,
        created_by=created_by,
        cadence=new.cadence,
        first_due=new.first_due,
        day_of_month=new.first_due.day,
        status=InterventionStatus.OPEN,
        created_at=now,
    )
    first = CheckIn(
        due_on=new.first_due,
        due_at=checkin_moment(new.first_due, tz=owner_tz, calendar=settings.calendar),
        status=CheckInStatus.PENDING,
        snoozed=False,
        attempts=0,
        catch_up=False,
        created_at=now,
    )
    return uow.checkins.add_intervention(intervention, first)


def materialise_interventions(
    uow: UnitOfWork,
    session: Session,
    answers: Mapping[str, Answer],
    now: datetime,
    settings: EffectiveSettings,
) -> int:
    """Turn a completed session's ``interventions`` answers into interventions with their first
    check-ins, in the same unit of work as the completion. Safe to call twice: items already stored
    are skipped. Returns how many were created."""
    created = 0
    for item, new in interventions_from_answers(answers):
        if uow.checkins.has_source(session.id, item):
            continue
        author = answers[f"{INTERVENTIONS_REPEAT}.{item}.what"].author or session.facilitator_id
        add_intervention(uow, session, new, settings, created_by=author, now=now, source_item=item)
        created += 1
    return created

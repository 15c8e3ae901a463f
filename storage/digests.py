"""Queries for the weekly digest and the themes: sessions started and finished in a week, the
sessions whose interventions are followed, the latest answers of many sessions at once, and the row
that makes a workspace's digest once per ISO week.

Every query is scoped by workspace. Nothing here decides who may see what.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from storage.models import (
    AnswerVersion,
    DigestSend,
    Intervention,
    InterventionStatus,
    Participant,
    Session,
    SessionStatus,
)
from storage.repositories import insert_ignoring_conflicts, newest_versions

# Ids per ``IN (…)`` list: well under SQLite's bound-parameter limit. A week's digest reads its sessions
# in one statement per this many (one, for any week a council is likely to have).
IDS_PER_STATEMENT = 900


def _chunks(ids: Sequence[int]) -> Iterator[tuple[int, ...]]:
    unique = tuple(dict.fromkeys(ids))
    for start in range(0, len(unique), IDS_PER_STATEMENT):
        yield unique[start : start + IDS_PER_STATEMENT]


class DigestRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    # --- once per week -----------------------------------------------------------------------------

    def claim(self, workspace_id: str, send_week: str, now: datetime) -> bool:
        """Claim the digest of ``send_week`` for this workspace; False when another worker (or an
        earlier run) already has. The claim is only seen by others once the caller commits."""
        values = {"workspace_id": workspace_id, "send_week": send_week, "claimed_at": now}
        return insert_ignoring_conflicts(self._orm, DigestSend, values)

    def claimed(self, workspace_id: str, send_week: str) -> bool:
        """Whether the digest of ``send_week`` is claimed already (queued, or sent)."""
        found = self._orm.scalar(
            select(DigestSend.id).where(
                DigestSend.workspace_id == workspace_id, DigestSend.send_week == send_week
            )
        )
        return found is not None

    def mark_sent(
        self, workspace_id: str, send_week: str, now: datetime, channel: str | None, ts: str | None
    ) -> None:
        self._orm.execute(
            update(DigestSend)
            .where(DigestSend.workspace_id == workspace_id, DigestSend.send_week == send_week)
            .values(sent_at=now, channel_id=channel, message_ts=ts)
        )

    def give_back(self, workspace_id: str, send_week: str) -> None:
        """Forget an unsent claim (Slack refused the digest), so the next run tries again."""
        self._orm.execute(
            delete(DigestSend).where(
                DigestSend.workspace_id == workspace_id,
                DigestSend.send_week == send_week,
                DigestSend.sent_at.is_(None),
            )
        )

    def give_back_unsent(self, workspace_id: str) -> None:
        """Forget every unsent claim of a workspace (the app left it before its digest went out)."""
        self._orm.execute(
            delete(DigestSend).where(DigestSend.workspace_id == workspace_id, DigestSend.sent_at.is_(None))
        )

    def sent(self, workspace_id: str) -> Sequence[DigestSend]:
        return self._orm.scalars(
            select(DigestSend).where(DigestSend.workspace_id == workspace_id).order_by(DigestSend.send_week)
        ).all()

    # --- what a week holds -------------------------------------------------------------------------

    def counts(self, workspace_id: str, start: datetime, end: datetime) -> tuple[int, int]:
        """Sessions started, and sessions finished, in [start, end) (cancelled ones left out)."""
        live = (Session.workspace_id == workspace_id, Session.status != SessionStatus.CANCELLED)
        started = self._orm.scalar(
            select(func.count())
            .select_from(Session)
            .where(*live, Session.created_at >= start, Session.created_at < end)
        )
        finished = self._orm.scalar(
            select(func.count())
            .select_from(Session)
            .where(*live, Session.completed_at >= start, Session.completed_at < end)
        )
        return int(started or 0), int(finished or 0)

    def finished_between(self, workspace_id: str, start: datetime, end: datetime) -> Sequence[Session]:
        """Sessions completed in [start, end), newest first."""
        return self._orm.scalars(
            select(Session)
            .where(
                Session.workspace_id == workspace_id,
                Session.status == SessionStatus.COMPLETED,
                Session.completed_at >= start,
                Session.completed_at < end,
            )
            .order_by(Session.completed_at.desc(), Session.id.desc())
        ).all()

    def with_followed_interventions(self, workspace_id: str, closed_since: datetime) -> Sequence[Session]:
        """Sessions with an open intervention, or one closed since ``closed_since``, oldest first."""
        ids = (
            select(Intervention.session_id)
            .where(
                Intervention.workspace_id == workspace_id,
                or_(
                    Intervention.status == InterventionStatus.OPEN,
                    Intervention.closed_at >= closed_since,
                ),
            )
            .distinct()
        )
        return self._orm.scalars(
            select(Session)
            .where(
                Session.workspace_id == workspace_id,
                Session.id.in_(ids),
                Session.status != SessionStatus.CANCELLED,
            )
            .order_by(Session.id)
        ).all()

    def sessions(self, workspace_id: str, session_ids: Sequence[int]) -> dict[int, Session]:
        found: dict[int, Session] = {}
        for chunk in _chunks(session_ids):
            rows = self._orm.scalars(
                select(Session).where(Session.workspace_id == workspace_id, Session.id.in_(chunk))
            ).all()
            found.update((row.id, row) for row in rows)
        return found

    def participants(self, session_ids: Sequence[int]) -> dict[int, set[str]]:
        """Everyone who took part in each session (the facilitator included)."""
        found: dict[int, set[str]] = {session_id: set() for session_id in session_ids}
        for chunk in _chunks(session_ids):
            rows: Any = self._orm.execute(
                select(Participant.session_id, Participant.user_id).where(Participant.session_id.in_(chunk))
            ).all()
            for session_id, user_id in rows:
                found.setdefault(session_id, set()).add(user_id)
        return found

    # --- many sessions at once (the reports of a week, without a query per session) ---------------

    def latest_answers(self, session_ids: Sequence[int]) -> dict[int, dict[str, AnswerVersion]]:
        """Each session's latest version of every key that is not retracted (as
        ``AnswerRepository.latest`` gives for one session); a session with none maps to ``{}``."""
        found: dict[int, dict[str, AnswerVersion]] = {session_id: {} for session_id in session_ids}
        for chunk in _chunks(session_ids):
            newest = newest_versions(chunk).subquery()
            rows = self._orm.scalars(
                select(AnswerVersion).join(
                    newest,
                    (AnswerVersion.session_id == newest.c.session_id)
                    & (AnswerVersion.key == newest.c.key)
                    & (AnswerVersion.version == newest.c.version),
                )
            ).all()
            for row in rows:
                if not row.retracted:
                    found.setdefault(row.session_id, {})[row.key] = row
        return found

    def interventions(self, workspace_id: str, session_ids: Sequence[int]) -> dict[int, list[Intervention]]:
        """Each session's interventions, oldest first (as ``CheckInRepository.for_session``)."""
        found: dict[int, list[Intervention]] = {session_id: [] for session_id in session_ids}
        for chunk in _chunks(session_ids):
            rows = self._orm.scalars(
                select(Intervention)
                .where(Intervention.workspace_id == workspace_id, Intervention.session_id.in_(chunk))
                .order_by(Intervention.id)
            ).all()
            for row in rows:
                found.setdefault(row.session_id, []).append(row)
        return found

    def on_problems(self, workspace_id: str, problem_ids: Sequence[int]) -> dict[int, list[Session]]:
        """Each problem's sessions that are not cancelled, most recently active first (as
        ``SessionRepository.on_problem(newest_first=True, with_cancelled=False)``)."""
        found: dict[int, list[Session]] = {problem_id: [] for problem_id in problem_ids}
        for chunk in _chunks(problem_ids):
            rows = self._orm.scalars(
                select(Session)
                .where(
                    Session.workspace_id == workspace_id,
                    Session.problem_id.in_(chunk),
                    Session.status != SessionStatus.CANCELLED,
                )
                .order_by(Session.updated_at.desc(), Session.id.desc())
            ).all()
            for row in rows:
                assert row.problem_id is not None
                found.setdefault(row.problem_id, []).append(row)
        return found

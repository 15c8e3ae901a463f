"""Which sessions and problems a person may see: the one query every surface that shows a session or a
problem goes through (``--problem``, ``status``, ``resume``, ``export``, ``intervene``, the Home tab,
and later "seen elsewhere" and themes).

The rule is :func:`flows.policy.may_see_session`, applied here in SQL:

- a session in a channel is visible when its channel is one of ``readable_channels`` — the channels
  Slack says the person can read (public, or they are a member), looked up by the caller *before* its
  transaction (``bot/directory.py``);
- a DM session is visible only to the people who took part in it (its participants, its facilitator).

A problem is visible when at least one of its sessions is (or, with no session left on it, to whoever
wrote it): :func:`flows.policy.may_see_problem`.

Asking Slack is the caller's job, so the query comes in two halves: :meth:`channels_to_check` names the
channels whose access the answer depends on, and the ``visible_*`` methods take the readable ones.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session as OrmSession

from storage.models import Participant, Problem, Session


def _took_part(user_id: str) -> ColumnElement[bool]:
    return or_(
        Session.facilitator_id == user_id,
        exists().where(Participant.session_id == Session.id, Participant.user_id == user_id),
    )


def session_visible_to(user_id: str, readable_channels: Collection[str]) -> ColumnElement[bool]:
    """The SQL form of :func:`flows.policy.may_see_session` (for a row of ``sessions``)."""
    in_channel = (
        and_(Session.is_dm.is_(False), Session.channel_id.in_(sorted(readable_channels)))
        if readable_channels
        else false()
    )
    return or_(in_channel, and_(Session.is_dm.is_(True), _took_part(user_id)))


class VisibilityRepository:
    def __init__(self, orm: OrmSession) -> None:
        self._orm = orm

    def channels_to_check(
        self,
        workspace_id: str,
        *,
        session_ids: Collection[int] | None = None,
        problem_ids: Collection[int] | None = None,
        user_id: str | None = None,
    ) -> list[str]:
        """The channels (not DMs) of the sessions in scope, whose access Slack must be asked about:
        the sessions ``session_ids``, the sessions on ``problem_ids``, the sessions ``user_id`` took
        part in and every session on their problems. No scope at all: every channel in the workspace."""
        query = select(Session.channel_id).where(
            Session.workspace_id == workspace_id, Session.is_dm.is_(False)
        )
        scopes: list[ColumnElement[bool]] = []
        if session_ids is not None:
            scopes.append(Session.id.in_(sorted(session_ids)))
        if problem_ids is not None:
            scopes.append(Session.problem_id.in_(sorted(problem_ids)))
        if user_id is not None:
            theirs = select(Session.problem_id).where(
                Session.workspace_id == workspace_id,
                Session.problem_id.is_not(None),
                _took_part(user_id),
            )
            scopes += [_took_part(user_id), Session.problem_id.in_(theirs)]
        if scopes:
            query = query.where(or_(*scopes))
        return sorted(set(self._orm.scalars(query.distinct())))

    def visible_sessions(
        self,
        workspace_id: str,
        user_id: str,
        readable_channels: Collection[str],
        *,
        session_ids: Collection[int] | None = None,
        problem_id: int | None = None,
        taking_part: bool = False,
        statuses: Collection[str] | None = None,
        newest_first: bool = False,
        limit: int | None = None,
    ) -> Sequence[Session]:
        """The sessions ``user_id`` may see, narrowed to ``session_ids``, to one problem, to the ones
        they took part in, or to some statuses; oldest first unless ``newest_first`` (most recently
        active first)."""
        query = select(Session).where(
            Session.workspace_id == workspace_id, session_visible_to(user_id, readable_channels)
        )
        if session_ids is not None:
            query = query.where(Session.id.in_(sorted(session_ids)))
        if problem_id is not None:
            query = query.where(Session.problem_id == problem_id)
        if taking_part:
            query = query.where(_took_part(user_id))
        if statuses is not None:
            query = query.where(Session.status.in_(sorted(statuses)))
        order = (Session.updated_at.desc(), Session.id.desc()) if newest_first else (Session.id,)
        query = query.order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        return self._orm.scalars(query).all()

    def visible_session(
        self, workspace_id: str, user_id: str, readable_channels: Collection[str], session_id: int
    ) -> Session | None:
        """One session, if it exists and ``user_id`` may see it (else None: the caller cannot tell
        which, and neither can the person it tells)."""
        found = self.visible_sessions(workspace_id, user_id, readable_channels, session_ids=[session_id])
        return found[0] if found else None

    def visible_problems(
        self,
        workspace_id: str,
        user_id: str,
        readable_channels: Collection[str],
        problem_ids: Collection[int] | None = None,
    ) -> Sequence[Problem]:
        """The problems ``user_id`` may see (of ``problem_ids``, if given), by id."""
        any_session = exists().where(Session.problem_id == Problem.id)
        seen_session = exists().where(
            Session.problem_id == Problem.id, session_visible_to(user_id, readable_channels)
        )
        query = select(Problem).where(
            Problem.workspace_id == workspace_id,
            or_(seen_session, and_(~any_session, Problem.created_by == user_id)),
        )
        if problem_ids is not None:
            query = query.where(Problem.id.in_(sorted(problem_ids)))
        return self._orm.scalars(query.order_by(Problem.id)).all()

    def visible_problem(
        self, workspace_id: str, user_id: str, readable_channels: Collection[str], problem_id: int
    ) -> Problem | None:
        found = self.visible_problems(workspace_id, user_id, readable_channels, [problem_id])
        return found[0] if found else None

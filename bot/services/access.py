"""Who may see a session or a problem, as the services ask it: Slack is asked which of the relevant
channels the person can read (before any transaction, briefly cached: ``bot/directory.py``), then
``uow.visibility`` (``storage/visibility.py``) answers from the database with that.

A refusal is the same as "no such session/problem": a person who may not see something cannot learn
from the reply that it exists.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from slack_sdk import WebClient

from bot.deps import Deps
from bot.errors import NotAllowed, SessionNotFound
from bot.request import Caller
from bot.services import language
from flows import policy
from flows.i18n import t

log = logging.getLogger("playbook.access")


def readable_channels(
    deps: Deps,
    client: WebClient,
    team_id: str,
    user_id: str,
    *,
    session_ids: Collection[int] | None = None,
    problem_ids: Collection[int] | None = None,
    mine: bool = False,
) -> frozenset[str]:
    """The channels, of the sessions in scope (see ``VisibilityRepository.channels_to_check``), that
    ``user_id`` can read. Opens and closes its own short read; call it before the unit of work that
    uses the answer."""
    with deps.uow() as uow:
        channels = uow.visibility.channels_to_check(
            team_id, session_ids=session_ids, problem_ids=problem_ids, user_id=user_id if mine else None
        )
    if not channels:
        return frozenset()
    return deps.directory(client, team_id).readable_channels(channels, user_id)


def ensure_session_visible(deps: Deps, client: WebClient, caller: Caller, session_id: int) -> None:
    """Refuse, with the words for a session that doesn't exist, unless the caller may see it."""
    readable = readable_channels(deps, client, caller.team_id, caller.user_id, session_ids=[session_id])
    with deps.uow() as uow:
        seen = uow.visibility.visible_session(caller.team_id, caller.user_id, readable, session_id)
        locale = language.person_locale(uow, caller.team_id, caller.user_id)
    if seen is None:
        log.warning("refused: session %s not visible to %s in %s", session_id, caller.user_id, caller.team_id)
        raise SessionNotFound(t("unknown_session", locale, session=session_id))


def problem_visible(deps: Deps, client: WebClient, caller: Caller, problem_id: int) -> bool:
    """Whether the problem exists and the caller may see it (the two are not told apart)."""
    readable = readable_channels(deps, client, caller.team_id, caller.user_id, problem_ids=[problem_id])
    with deps.uow() as uow:
        return (
            uow.visibility.visible_problem(caller.team_id, caller.user_id, readable, problem_id) is not None
        )


def channels_shareable_into(deps: Deps, client: WebClient, team_id: str, session_id: int) -> frozenset[str]:
    """The channels whose sessions may be shown in ``session_id``'s own conversation (an export
    uploaded to its thread, say): its own, and the public channels among those of the other sessions
    on its problem. Another private channel's or another DM's session is never shown there."""
    with deps.uow() as uow:
        session = uow.sessions.get(team_id, session_id)
        if session is None:
            return frozenset()
        own, problem_id = session.channel_id, session.problem_id
        others = (
            [] if problem_id is None else uow.visibility.channels_to_check(team_id, problem_ids=[problem_id])
        )
    directory = deps.directory(client, team_id)
    return frozenset({own, *(c for c in others if c != own and directory.channel_access(c).is_public)})


def ensure_clicked_in(
    session_channel: str, session_id: int, caller: Caller, also: Collection[str | None] = ()
) -> None:
    """A button on a session's message must come with the conversation it was clicked in, and that must
    be the session's own or one of ``also`` (``flows.policy.container_matches``): anything else is
    refused and logged."""
    if not policy.container_matches(session_channel, caller.channel_id, also):
        log.warning(
            "refused: %s clicked for session %s from %r",
            caller.user_id,
            session_id,
            caller.channel_id or None,
        )
        raise NotAllowed(t("not_this_session"))

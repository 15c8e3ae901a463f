"""Seen elsewhere in the council: when a team confirms a root cause, the thread shows up to three
similar root causes from other sessions of the workspace, with their channel, date and a link, and
says when the same cause has come up in three or more services ("this may be council-wide").
``/playbook similar <session>`` gives a lead the same for any session they may see, privately.

Who may see what (``flows.related.may_show_elsewhere``): a root cause is shown only from a session
held in a public channel, and only where everyone who will read it is a member of this workspace.
Slack is asked (``conversations.info``, ``chat.getPermalink``) after the database has been read and
its transaction closed, never while one is open; only the channels of related root causes are asked
about, at most :data:`MAX_CHANNEL_LOOKUPS` of them. What Slack said about a channel (and a
message's permalink) is kept for a minute by the app's lookup cache (``bot/directory.py``): a channel
made private stops being shown elsewhere within a minute.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import Outgoing, Shown
from bot.deps import Deps
from bot.directory import Directory
from bot.errors import NotAllowed, SessionNotFound
from bot.keepalive import TRANSPORT_ERRORS
from bot.request import Caller
from bot.services import access, conversation, language
from bot.services.workspace import council_timezone, settings_for
from bot.views import classification as views
from flows import policy
from flows.commands import session_ref
from flows.engine import Outcome
from flows.i18n import t
from flows.related import (
    ROOT_CAUSE_KEYS,
    SHOWN_ELSEWHERE,
    ChannelFacts,
    ElsewhereFound,
    RootCauseRecord,
    ShownRootCause,
    may_show_elsewhere,
    seen_elsewhere,
    similar_root_causes,
)
from storage.models import Session
from storage.root_causes import StoredRootCause
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.similar")

# Slack is asked about this many channels at most (conversations.info, one call each, while the
# person waits for the next question): the related root causes' channels, most similar first.
MAX_CHANNEL_LOOKUPS = 10


@dataclass(frozen=True)
class Asking:
    """The session whose root cause is compared, as read in the unit of work."""

    session_id: int
    channel_id: str
    thread_ts: str | None
    is_dm: bool
    locale: str
    timezone: str
    root_causes: tuple[str, ...]
    candidates: tuple[StoredRootCause, ...]


def confirmed_root_cause(outcome: Outcome | None) -> str | None:
    """The root cause a reply has just confirmed, if it did."""
    if outcome is None or outcome.rejected:
        return None
    for change in outcome.changes:
        if change.key in ROOT_CAUSE_KEYS and not change.retract and not change.skipped:
            value = change.value
            text = str(value.get("text") or "").strip() if isinstance(value, dict) else ""
            if text:
                return text
    return None


def asking_after(deps: Deps, uow: UnitOfWork, session: Session, outcome: Outcome | None) -> Asking | None:
    """What :func:`after_reply` compares when a reply confirmed a root cause, read in the reply's own
    transaction (the session is loaded there already; a transaction of its own after the commit read
    it again); None when the reply confirmed none."""
    text = confirmed_root_cause(outcome)
    return None if text is None else _asking(deps, uow, session, (text,))


def after_reply(directory: Directory, asking: Asking | None) -> list[Outgoing]:
    """After a committed reply that confirmed a root cause (``asking``, from :func:`asking_after`):
    the "seen elsewhere" message for its thread, or nothing when no similar root cause may be shown
    there. Slack is asked only now, outside the transaction."""
    if asking is None:
        return []
    text = asking.root_causes[0]
    session_id = asking.session_id
    try:
        own = _own_channel(directory, asking)
        found = find(directory, asking, text, audience=own, own=own)
    except TRANSPORT_ERRORS as error:
        # A courtesy: the answer is committed and its next question must still be posted.
        log.warning("seen elsewhere skipped for session %s: Slack lookup failed: %r", session_id, error)
        return []
    if not found.shown:
        return []
    return [
        delivery.post(
            asking.channel_id,
            t("seen_elsewhere_fallback", asking.locale),
            views.seen_elsewhere_blocks(found, asking.locale),
            thread_ts=None if asking.is_dm else asking.thread_ts,
            best_effort=True,
        )
    ]


def similar_command(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    """``/playbook similar <session>``: the root causes like that session's, shown to the caller
    alone. A lead or someone taking part may ask, and only about a session they may see."""
    session_id = session_ref(rest)
    locale = language.caller_locale(deps, caller)  # a refusal is the caller's; the results, the session's
    if session_id is None:
        return Shown(ack=t("similar_usage", locale))
    # A session the caller may not see is answered as one that doesn't exist (services/access.py).
    access.ensure_session_visible(deps, client, caller, session_id)
    directory = Directory(client)
    with deps.uow() as uow:
        session = uow.sessions.get(caller.team_id, session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", locale, session=session_id))
        people = conversation.people_of(session)
        is_lead = settings_for(deps, uow, caller.team_id).is_lead(caller.user_id)
        latest = uow.answers.latest(session.id)
        texts = tuple(
            text
            for key in ROOT_CAUSE_KEYS
            if (row := latest.get(key)) is not None and isinstance(row.value, dict) and not row.skipped
            if (text := str(row.value.get("text") or "").strip())
        )
        asking = _asking(deps, uow, session, texts)
    if not (is_lead or people.is_participant(caller.user_id)):
        raise NotAllowed(t("similar_not_allowed", locale, session=session_id))
    own = _own_channel(directory, asking)
    if not _may_see_session(directory, own, people, caller.user_id):
        raise NotAllowed(t("similar_not_allowed", locale, session=session_id))
    if not asking.root_causes:
        return Shown(ack=t("similar_no_root_cause", locale, session=session_id))
    # The answer is ephemeral: only the caller, a member of this workspace, reads it.
    audience = ChannelFacts(caller.channel_id or "", None, private=True, shared=False)
    results = [find(directory, asking, text, audience=audience, own=own) for text in asking.root_causes]
    return Shown(
        ack=t("seen_elsewhere_fallback", asking.locale),
        ack_blocks=delivery.as_dicts(views.similar_answer_blocks(session_id, results, asking.locale)),
    )


def _may_see_session(
    directory: Directory, own: ChannelFacts | None, people: policy.SessionPeople, user_id: str
) -> bool:
    """Whether ``user_id`` may see a session held in ``own``: someone taking part always; anyone else
    only a session in a public channel, or in a private channel they are a member of; a DM session,
    nobody else. What Slack did not tell us is a no."""
    if people.is_participant(user_id):
        return True
    if people.is_dm or own is None:
        return False
    return not own.private or directory.in_channel(own.channel_id, user_id)


def _asking(deps: Deps, uow: UnitOfWork, session: Session, texts: tuple[str, ...]) -> Asking:
    """The session asked about and the root causes of the workspace's other sessions, read in ``uow``."""
    candidates = uow.root_causes.confirmed(session.workspace_id, ROOT_CAUSE_KEYS, except_session=session.id)
    return Asking(
        session_id=session.id,
        channel_id=session.channel_id,
        thread_ts=session.thread_ts,
        is_dm=session.is_dm,
        locale=session.locale,
        timezone=council_timezone(deps),
        root_causes=texts,
        candidates=tuple(candidates),
    )


def _own_channel(directory: Directory, asking: Asking) -> ChannelFacts | None:
    """The conversation the session's thread is in: a DM with one person needs no lookup."""
    if asking.is_dm:
        return ChannelFacts(asking.channel_id, None, private=True, shared=False)
    return directory.channel_facts(asking.channel_id)


def find(
    directory: Directory,
    asking: Asking,
    root_cause: str,
    *,
    audience: ChannelFacts | None,
    own: ChannelFacts | None,
) -> ElsewhereFound:
    """The root causes like ``root_cause`` that everyone in ``audience`` may see; ``own`` is the
    conversation of the session asked about (its name counts it among the services)."""
    nothing = ElsewhereFound(root_cause, (), (), 0, False)
    if audience is None or audience.shared:
        return nothing
    candidates = [stored for stored in asking.candidates if not stored.is_dm and stored.thread_ts]
    records = [
        RootCauseRecord(str(position), stored.text, stored.channel_id)
        for position, stored in enumerate(candidates)
    ]
    # Only the channels of related root causes are asked about, most similar first.
    facts: dict[str, ChannelFacts | None] = {asking.channel_id: own}
    ranked = similar_root_causes(root_cause, records, k=len(records))
    for item in ranked:
        channel = item.record.service
        if not item.related or len(facts) > MAX_CHANNEL_LOOKUPS:
            break
        if channel not in facts:
            facts[channel] = directory.channel_facts(channel)
    visible = [record for record in records if may_show_elsewhere(facts.get(record.service), audience)]
    # Every candidate visible (the usual case: public channels): the ranking above is the same one.
    result = seen_elsewhere(
        root_cause,
        asking.channel_id,
        visible,
        k=len(visible),
        ranked=ranked if len(visible) == len(records) else None,
    )
    zone = ZoneInfo(asking.timezone)
    shown: list[ShownRootCause] = []
    sessions_shown: set[int] = set()
    for item in result.related:
        stored = candidates[int(item.record.id)]
        if stored.session_id in sessions_shown or len(shown) == SHOWN_ELSEWHERE:
            continue
        sessions_shown.add(stored.session_id)
        channel_facts = facts.get(stored.channel_id)
        shown.append(
            ShownRootCause(
                session_id=stored.session_id,
                text=stored.text,
                channel=(channel_facts.name if channel_facts else None) or stored.channel_id,
                started=stored.session_started.astimezone(zone).date(),
                link=directory.permalink(stored.channel_id, stored.thread_ts) if stored.thread_ts else None,
            )
        )
    names = tuple(
        name
        for service in result.services
        if (known := facts.get(service)) is not None and (name := known.name) is not None
    )
    return ElsewhereFound(
        root_cause, tuple(shown), names, len(result.services), result.council_wide_candidate
    )

"""Who may do what in a session: pure functions of ids and the session's position.

Checked by the services on every request that changes something, never only by hiding a button.

- **facilitator**: started the session; moves it on, confirms or overrides, cancels.
- **lead**: named in the workspace's settings; may do what a facilitator may, in any session.
- **participant**: anyone who has answered (or started) the session; answers questions, edits their
  own answers, adds interventions.
- In a channel thread anyone in the channel may join by replying; a DM session belongs to the person
  whose DM it is.
- **who may see** a session or problem (:func:`may_see_session`, :func:`may_see_problem`): for a
  session in a channel, anyone who can read the channel (it is public, or they are a member); for a
  DM session, only the people who took part. Taking part in a channel session that one has since left
  gives no access: what decides is the channel, now. ``storage/visibility.py`` applies the same rule
  in SQL.
- **settings** that decide where data goes or how long it is kept (the leads channel, the leads,
  retention, nation, hourly rate, weeks a year): a Slack workspace admin or owner, or a named lead;
  naming the leads themselves: admins and owners only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from flows.engine import Position, normalise_command

# Typed words anyone may send at a facilitator-only step (they change nothing).
ALWAYS_ALLOWED_AT_FACILITATOR_STEPS = frozenset({"help", "?", "pause"})


@dataclass(frozen=True)
class SessionPeople:
    """Who is in a session, as ids: enough to decide every permission without the database."""

    facilitator_id: str
    facilitators: frozenset[str]
    participants: frozenset[str]
    is_dm: bool

    def is_facilitator(self, user_id: str) -> bool:
        return user_id == self.facilitator_id or user_id in self.facilitators

    def is_participant(self, user_id: str) -> bool:
        return user_id in self.participants


def may_steer(people: SessionPeople, lead_ids: Collection[str], user_id: str) -> bool:
    """Confirm, override, move on, cancel: the facilitator or a lead."""
    return people.is_facilitator(user_id) or user_id in lead_ids


def may_join(people: SessionPeople, user_id: str, in_channel: bool | None) -> bool:
    """Whether ``user_id`` may answer: someone already taking part always; in a channel thread, anyone
    in the channel (``in_channel``: looked up by the caller only for someone new); in a DM, nobody
    else."""
    if people.is_participant(user_id):
        return True
    if people.is_dm:
        return False
    return in_channel is not False


def needs_membership_check(people: SessionPeople, user_id: str) -> bool:
    """Whether the caller must ask Slack if ``user_id`` is in the channel before they may answer."""
    return not people.is_dm and not people.is_participant(user_id)


def may_edit(people: SessionPeople, lead_ids: Collection[str], user_id: str) -> bool:
    """People taking part may change their own answers; the facilitator or a lead, any answer."""
    return people.is_participant(user_id) or may_steer(people, lead_ids, user_id)


def may_add_intervention(people: SessionPeople, lead_ids: Collection[str], user_id: str) -> bool:
    return people.is_participant(user_id) or may_steer(people, lead_ids, user_id)


def may_export(people: SessionPeople, lead_ids: Collection[str], user_id: str) -> bool:
    return people.is_participant(user_id) or user_id in lead_ids


def refuses_facilitator_step(position: Position | None, text: str, steers: bool) -> bool:
    """Whether a reply must be refused because the open question is the facilitator's (confirming a
    classification, say) and the person may not steer. Asking for help or pausing is always fine."""
    if position is None or not position.step.facilitator_only or steers:
        return False
    return normalise_command(text) not in ALWAYS_ALLOWED_AT_FACILITATOR_STEPS


def may_change_settings(lead_ids: Collection[str], user_id: str, is_workspace_admin: bool) -> bool:
    """Settings that decide where data goes or how long it is kept: a Slack workspace admin or owner,
    or a named lead. Before any lead is named, only admins and owners."""
    return is_workspace_admin or user_id in lead_ids


def may_set_workspace_language(is_workspace_admin: bool) -> bool:
    """The language of a workspace's channel posts and of everyone who has not chosen one: a Slack
    workspace admin or owner (a person's own language is always theirs to choose)."""
    return is_workspace_admin


def may_set_nation(lead_ids: Collection[str], user_id: str) -> bool:
    """Whose bank holidays check-ins skip: anyone until the workspace names leads, then only a lead."""
    return not lead_ids or user_id in lead_ids


def may_read_digest(lead_ids: Collection[str], user_id: str, is_workspace_admin: bool) -> bool:
    """The weekly digest's preview, with costs and owners across the workspace: a named lead or a
    Slack workspace admin or owner."""
    return is_workspace_admin or user_id in lead_ids


def may_name_leads(is_workspace_admin: bool) -> bool:
    """Adding, removing and listing the leads: Slack workspace admins and owners only (a lead could
    otherwise name anyone a lead, or remove the others)."""
    return is_workspace_admin


# --- who may see what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelAccess:
    """What Slack says about a channel: whether anyone in the workspace can read it, and who is in it.
    ``members`` need only be complete for a channel that is not public."""

    is_public: bool
    members: frozenset[str]

    def readable_by(self, user_id: str) -> bool:
        return self.is_public or user_id in self.members


# A channel Slack would not describe (archived, the bot removed, a failed call): nobody can read it.
UNREADABLE = ChannelAccess(is_public=False, members=frozenset())


def may_see_session(people: SessionPeople, user_id: str, channel: ChannelAccess | None) -> bool:
    """Whether ``user_id`` may see a session (its problem, answers, progress, where it runs).

    A DM session: only the people who took part. A channel session: whoever can read its channel
    (``channel``: what Slack says about it; None means it was not asked, which is a no)."""
    if people.is_dm:
        return people.is_participant(user_id) or people.is_facilitator(user_id)
    return channel is not None and channel.readable_by(user_id)


def may_see_problem(sessions_seen: int, sessions_total: int, created_by: str, user_id: str) -> bool:
    """A problem is as visible as its sessions: seen through at least one session the person may see.
    A problem with no session at all (every session on it deleted) stays with whoever wrote it."""
    if sessions_total == 0:
        return created_by == user_id
    return sessions_seen > 0


def container_matches(
    session_channel: str, claimed_channel: str | None, also: Collection[str | None] = ()
) -> bool:
    """An interaction (a button, a menu) must say which conversation it was clicked in, and it must be
    the session's own (or one of ``also``: the leads channel, for a button on the leads summary): a
    payload without a channel, or with another one, is refused."""
    if not claimed_channel:
        return False
    return claimed_channel == session_channel or claimed_channel in also

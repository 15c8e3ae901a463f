"""Who may do what in a session: pure functions of ids and the session's position.

Checked by the services on every request that changes something, never only by hiding a button.

- **facilitator**: started the session; moves it on, confirms or overrides, cancels.
- **lead**: named in the workspace's settings; may do what a facilitator may, in any session.
- **participant**: anyone who has answered (or started) the session; answers questions, edits their
  own answers, adds interventions.
- In a channel thread anyone in the channel may join by replying; a DM session belongs to the person
  whose DM it is.
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
    or a named lead."""
    return is_workspace_admin or user_id in lead_ids


def may_set_workspace_language(is_workspace_admin: bool) -> bool:
    """The language of a workspace's channel posts and of everyone who has not chosen one: a Slack
    workspace admin or owner (a person's own language is always theirs to choose)."""
    return is_workspace_admin


def may_set_nation(lead_ids: Collection[str], user_id: str) -> bool:
    """Whose bank holidays check-ins skip: anyone until the workspace names leads, then only a lead."""
    return not lead_ids or user_id in lead_ids

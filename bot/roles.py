"""Who may do what. Checked in every handler that changes a session, never only in the UI.

- facilitator: started the session; moves it on, confirms or overrides, cancels.
- lead: listed in the workspace's settings (``lead_user_ids``); may do what a facilitator may.
- participant: anyone taking part; answers questions.
- workspace admin: a Slack admin or owner of the workspace (``users.info``); may change settings.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from storage.models import Role, Session, Workspace

log = logging.getLogger("playbook.roles")

LEAD_SETTING = "lead_user_ids"


def lead_ids(workspace: Workspace | None) -> frozenset[str]:
    settings: dict[str, Any] = (workspace.settings or {}) if workspace is not None else {}
    return frozenset(str(u) for u in settings.get(LEAD_SETTING, []) or [])


def is_lead(workspace: Workspace | None, user_id: str) -> bool:
    return user_id in lead_ids(workspace)


def is_facilitator(session: Session, user_id: str) -> bool:
    return session.facilitator_id == user_id or any(
        p.user_id == user_id and p.role == Role.FACILITATOR for p in session.participants
    )


def can_steer(session: Session, workspace: Workspace | None, user_id: str) -> bool:
    """Confirm, override, move on, cancel: the facilitator or a lead."""
    return is_facilitator(session, user_id) or is_lead(workspace, user_id)


def is_participant(session: Session, user_id: str) -> bool:
    return any(p.user_id == user_id for p in session.participants)


def is_workspace_admin(client: WebClient, user_id: str) -> bool:
    """A Slack workspace admin or owner (``users.info``; needs ``users:read``). A failed lookup is a no."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as error:
        log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def can_administer(workspace: Workspace | None, user_id: str, client: WebClient) -> bool:
    """Change workspace settings (retention, leads): a lead or a Slack workspace admin."""
    return is_lead(workspace, user_id) or is_workspace_admin(client, user_id)

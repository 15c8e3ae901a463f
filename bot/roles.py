"""Who may do what. Checked in every handler that changes a session, never only in the UI.

- facilitator: started the session; moves it on, confirms or overrides, cancels.
- lead: listed in the workspace's settings (``lead_user_ids``); may do what a facilitator may.
- participant: anyone taking part; answers questions.
"""

from __future__ import annotations

from typing import Any

from storage.models import Role, Session, Workspace

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

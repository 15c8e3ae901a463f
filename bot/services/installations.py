"""The app leaving a workspace: ``app_uninstalled`` removes every token of the workspace,
``tokens_revoked`` the revoked ones; both are recorded in the audit log. (Installing is Bolt's OAuth
flow over the encrypted store in :mod:`bot.oauth`.)"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.oauth.installation_store import InstallationStore

from bot.delivery import Shown
from bot.deps import Deps

log = logging.getLogger("playbook.oauth")

SLACK_ACTOR = "slack"


def uninstalled(deps: Deps, store: InstallationStore, team_id: str, enterprise_id: str | None) -> Shown:
    store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
    with deps.uow() as uow:
        uow.audit.add(team_id, SLACK_ACTOR, "app.uninstalled", {}, at=deps.clock.now())
        uow.commit()
    log.info("app uninstalled from %s: its tokens were deleted", team_id)
    return Shown()


def tokens_revoked(
    deps: Deps,
    store: InstallationStore,
    team_id: str,
    enterprise_id: str | None,
    user_ids: Sequence[str],
    bot: bool,
) -> Shown:
    for user_id in user_ids:
        store.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
    if bot:
        store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
    with deps.uow() as uow:
        uow.audit.add(
            team_id, SLACK_ACTOR, "tokens.revoked", {"users": len(user_ids), "bot": bot}, at=deps.clock.now()
        )
        uow.commit()
    return Shown()

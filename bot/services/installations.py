"""The app leaving a workspace: ``app_uninstalled`` removes every token of the workspace,
``tokens_revoked`` the revoked ones; both are recorded in the audit log. Once the bot's token is gone
nothing may try to post with it: the workspace's outbox messages are forgotten (unsent or not) and
its digest claims not yet sent given back (a reinstall then gets that week's digest). Check-ins stay
scheduled: with no token the dispatcher fails them before any Web API call, and they resume after a
reinstall.
(Installing is Bolt's OAuth flow over the encrypted store in :mod:`bot.oauth`.)"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.oauth.installation_store import InstallationStore

from bot.delivery import Shown
from bot.deps import Deps
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.oauth")

SLACK_ACTOR = "slack"


def uninstalled(deps: Deps, store: InstallationStore, team_id: str, enterprise_id: str | None) -> Shown:
    store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
    with deps.uow() as uow:
        discarded = _discard_queued(uow, team_id)
        uow.audit.add(team_id, SLACK_ACTOR, "app.uninstalled", {"unsent": discarded}, at=deps.clock.now())
        uow.commit()
    log.info("app uninstalled from %s: its tokens and %d unsent messages were deleted", team_id, discarded)
    return Shown()


def _discard_queued(uow: UnitOfWork, team_id: str) -> int:
    """Nothing queued for the workspace may be tried with its revoked token."""
    uow.digests.give_back_unsent(team_id)
    return uow.outbox.forget_workspace(team_id)


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
        detail: dict[str, object] = {"users": len(user_ids), "bot": bot}
        if bot:
            detail["unsent"] = _discard_queued(uow, team_id)
        uow.audit.add(team_id, SLACK_ACTOR, "tokens.revoked", detail, at=deps.clock.now())
        uow.commit()
    return Shown()

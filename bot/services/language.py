"""Which language the bot writes in, and choosing it.

One resolver, used by every service:

- to a person (DMs, ephemerals, modals, Home): their own choice (``/playbook language cy|en`` or the
  Home tab's menu), else the workspace's default, else English;
- to a channel or thread (anchor, team prompts, summaries, leads posts): bilingual (Welsh first) when
  the workspace has chosen ``bilingual``, else the facilitator's language.

A workspace's default (``/playbook language workspace cy|en|bilingual``) is set by a Slack workspace
admin or owner. Its ``bilingual`` makes what a person who has not chosen reads bilingual too.
"""

from __future__ import annotations

from collections.abc import Collection

from slack_sdk import WebClient

from bot.delivery import Shown
from bot.deps import Deps
from bot.errors import NotAllowed
from bot.request import Caller
from flows import policy
from flows.commands import language_choice
from flows.i18n import BILINGUAL, DEFAULT_LOCALE, LOCALES, t
from storage.uow import UnitOfWork

WORKSPACE_BILINGUAL = "bilingual"


def _workspace_locale(uow: UnitOfWork, team_id: str) -> str:
    chosen = uow.workspaces.settings(team_id).language
    if chosen == WORKSPACE_BILINGUAL:
        return BILINGUAL
    return chosen if chosen in LOCALES else DEFAULT_LOCALE


def person_locale(uow: UnitOfWork, team_id: str, user_id: str) -> str:
    """The language to write to ``user_id`` in: theirs, else the workspace's, else English."""
    chosen = uow.people.locale(team_id, user_id)
    return chosen if chosen in LOCALES else _workspace_locale(uow, team_id)


def people_locales(uow: UnitOfWork, team_id: str, user_ids: Collection[str]) -> dict[str, str]:
    """:func:`person_locale` for several people of one workspace, in one query (and the workspace's
    default read once, if anyone has not chosen): a batch of check-ins is written this way."""
    chosen = uow.people.locales(team_id, user_ids)
    workspace_default: str | None = None
    found: dict[str, str] = {}
    for user_id, locale in chosen.items():
        if locale in LOCALES:
            found[user_id] = locale
        else:
            if workspace_default is None:
                workspace_default = _workspace_locale(uow, team_id)
            found[user_id] = workspace_default
    return found


def channel_locale(
    uow: UnitOfWork, team_id: str, facilitator_id: str, *, facilitator_locale: str | None = None
) -> str:
    """The language of what a session posts where everyone reads it: bilingual in a bilingual
    workspace, else the facilitator's (``facilitator_locale``, when already read)."""
    if uow.workspaces.settings(team_id).language == WORKSPACE_BILINGUAL:
        return BILINGUAL
    return facilitator_locale or person_locale(uow, team_id, facilitator_id)


def session_locale(
    uow: UnitOfWork,
    team_id: str,
    facilitator_id: str,
    *,
    in_dm: bool,
    facilitator_locale: str | None = None,
) -> str:
    """The language a new session is run in: a DM session is the person's own; a channel's follows
    :func:`channel_locale`."""
    if in_dm:
        return facilitator_locale or person_locale(uow, team_id, facilitator_id)
    return channel_locale(uow, team_id, facilitator_id, facilitator_locale=facilitator_locale)


def caller_locale(deps: Deps, caller: Caller) -> str:
    """The caller's language, read in a unit of work of its own (for a reply that needs nothing else)."""
    with deps.uow() as uow:
        return person_locale(uow, caller.team_id, caller.user_id)


def _name(language: str, locale: str) -> str:
    return t(f"language_name_{WORKSPACE_BILINGUAL if language == BILINGUAL else language}", locale)


def language_command(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    """``/playbook language``: show the caller's language and the workspace's; ``cy``/``en`` sets
    the caller's; ``workspace cy|en|bilingual`` sets the workspace's (admins and owners)."""
    choice = language_choice(rest)
    if choice.language is None:
        with deps.uow() as uow:
            own = uow.people.locale(caller.team_id, caller.user_id)
            current = person_locale(uow, caller.team_id, caller.user_id)
            workspace = uow.workspaces.settings(caller.team_id).language or DEFAULT_LOCALE
        if choice.named:
            return Shown(ack=t("language_unknown", current))
        default = t("language_default", current, language=_name(workspace, current))
        mine = _name(own, current) if own in LOCALES else default
        return Shown(ack=t("language_usage", current, mine=mine, workspace=_name(workspace, current)))
    if not choice.workspace:
        return choose(deps, caller, choice.language)
    # Slack is asked before the transaction opens, never while it is.
    is_admin = deps.directory(client, caller.team_id).is_workspace_admin(caller.user_id)
    with deps.uow() as uow:
        locale = person_locale(uow, caller.team_id, caller.user_id)
        if not policy.may_set_workspace_language(is_admin):
            raise NotAllowed(t("language_workspace_not_allowed", locale))
        before, _after = uow.workspaces.change_settings(caller.team_id, language=choice.language)
        uow.audit.add(
            caller.team_id,
            caller.user_id,
            "settings.language",
            {"before": before.language, "after": choice.language},
            at=deps.clock.now(),
        )
        uow.commit()
        locale = person_locale(uow, caller.team_id, caller.user_id)
    return Shown(ack=t("language_workspace_set", locale, language=_name(choice.language, locale)))


def choose(deps: Deps, caller: Caller, language: str) -> Shown:
    """Set the caller's own language (``en`` or ``cy``); the reply is already in it."""
    if language not in LOCALES:
        with deps.uow() as uow:
            current = person_locale(uow, caller.team_id, caller.user_id)
        return Shown(ack=t("language_unknown", current))
    with deps.uow() as uow:
        uow.workspaces.get_or_create(caller.team_id)
        uow.people.set_locale(caller.team_id, caller.user_id, language)
        uow.commit()
    return Shown(ack=t("language_set", language, language=_name(language, language)))

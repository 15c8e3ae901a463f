"""A person's own data, and the workspace's retention setting:

- ``/playbook my-data``: a JSON file of everything stored about the caller, sent to their DM;
- ``/playbook forget-me``: after a confirmation (the button, or ``/playbook forget-me confirm``), the
  caller becomes a "former participant" everywhere and the answers they typed are deleted;
- ``/playbook retention [days]``: show, or (leads and Slack admins) change, how long sessions are kept.

Each acts only on the caller in the workspace the request came from (the ids are Slack's, from the
signed request, not anything a button's value can choose), and each change is recorded in the audit
log.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot import delivery
from bot.delivery import Ephemeral, FileUpload, Outgoing, Post, Shown, Upload
from bot.deps import Deps
from bot.errors import NotAllowed
from bot.mrkdwn import escape
from bot.request import Caller
from bot.services import language, workspace
from bot.services.workspace import settings_for
from bot.views.common import clip
from bot.views.privacy import forget_me_confirmation
from flows.exports import ExportFile, my_data_file
from flows.i18n import t
from flows.privacy import is_free_text, retention_days
from flows.text_similarity import forget_kept_texts
from storage.privacy import FORMER_PARTICIPANT, OwnerLeft
from storage.settings import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS

log = logging.getLogger("playbook.privacy")

CONFIRM = "confirm"
WHAT_LIMIT = 500


def _file(exported: ExportFile) -> FileUpload:
    return FileUpload(filename=exported.filename, title=exported.title, content=exported.content)


# --- forget-me ---------------------------------------------------------------------------------------


def forget_me(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    """``/playbook forget-me``: the confirmation; ``/playbook forget-me confirm``: the erasure."""
    if rest.strip().lower() != CONFIRM:
        return Shown(
            ack=t("forget_me_confirm", language.caller_locale(deps, caller)),
            ack_blocks=delivery.as_dicts(forget_me_confirmation(caller.team_id)),
        )
    done, notices = _forget(deps, caller.team_id, caller.user_id)
    return Shown(ack=done, messages=notices)


def forget_me_button(deps: Deps, client: WebClient, caller: Caller, claimed_team: str | None) -> Shown:
    """The confirmation button. It erases the person who clicked, in the workspace Slack says they
    clicked in; a button carrying another workspace's id is refused and logged."""
    if not caller.team_id or not caller.user_id or claimed_team != caller.team_id:
        log.warning(
            "refused forget-me button: user %s in %s carried workspace %r",
            caller.user_id,
            caller.team_id,
            (claimed_team or "")[:40],
        )
        raise NotAllowed(t("not_this_session", language.caller_locale(deps, caller)))
    done, notices = _forget(deps, caller.team_id, caller.user_id)
    reply: Ephemeral | Post
    if caller.channel_id:
        reply = Ephemeral(channel=caller.channel_id, user=caller.user_id, text=done)
    else:
        reply = Post(channel=caller.user_id, text=done)
    return Shown(messages=[*notices, reply])


def _forget(deps: Deps, team_id: str, user_id: str) -> tuple[str, list[Outgoing]]:
    """Erase the person (see storage/privacy.py) and say what was done; plus, for each session thread
    whose intervention lost its owner, a notice that its check-ins have stopped (sent after the
    commit: a notice that fails is logged and never undoes the erasure)."""
    with deps.uow() as uow:
        locale = language.person_locale(uow, team_id, user_id)  # read before their choice is erased
        closing = uow.privacy.open_owned(team_id, user_id)
        report = uow.privacy.erase_person(team_id, user_id, is_free_text=is_free_text)
        chose_language = uow.people.forget(team_id, user_id) > 0
        if not report.erased_anything and not chose_language:
            return t("forget_me_nothing", locale), []
        left = uow.privacy.owner_left(team_id, closing)
        uow.audit.add(
            team_id, FORMER_PARTICIPANT, "privacy.forget_me", report.as_detail(), at=deps.clock.now()
        )
        uow.commit()
        uow.checkpoint()
    forget_kept_texts()  # this process's copies of the erased words' terms go too
    log.info("forget-me in %s: %s", team_id, report.as_detail())
    done = t(
        "forget_me_done",
        locale,
        answers=report.answers,
        sessions=report.participants,
        problems=report.problems,
        removed=report.free_text_removed,
    )
    return done, [_owner_left_notice(intervention) for intervention in left]


def _owner_left_notice(intervention: OwnerLeft) -> Post:
    text = t("intervention_owner_left", what=escape(clip(intervention.what, WHAT_LIMIT)))
    return Post(
        channel=intervention.channel_id, thread_ts=intervention.thread_ts, text=text, best_effort=True
    )


# --- my-data -----------------------------------------------------------------------------------------


def my_data(deps: Deps, client: WebClient, caller: Caller) -> Shown:
    """``/playbook my-data``: everything stored about the caller, as a file in their DM."""
    now = deps.clock.now()
    with deps.uow() as uow:
        locale = language.person_locale(uow, caller.team_id, caller.user_id)
        data = uow.privacy.export_person(caller.team_id, caller.user_id, now)
        uow.audit.add(
            caller.team_id, caller.user_id, "privacy.my_data", {"answers": len(data["answers"])}, at=now
        )
        uow.commit()
    upload = Upload(
        channel=caller.user_id,
        to_user_dm=True,
        files=[_file(my_data_file(data, locale))],
        comment=t("my_data_comment", locale),
    )
    return Shown(ack=t("my_data_sent", locale), messages=[upload])


# --- retention ---------------------------------------------------------------------------------------


def retention(deps: Deps, client: WebClient, caller: Caller, rest: str) -> Shown:
    """``/playbook retention``: how long sessions are kept; ``/playbook retention <days>``: change it
    (a lead or a Slack workspace admin), recorded in the audit log."""
    limits: dict[str, Any] = {"min": MIN_RETENTION_DAYS, "max": MAX_RETENTION_DAYS}
    locale = language.caller_locale(deps, caller)
    if not rest.strip():
        with deps.uow() as uow:
            current = settings_for(deps, uow, caller.team_id).retention_days
        return Shown(ack=t("retention_show", locale, days=current, **limits))
    days = retention_days(rest)
    if days is None or not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        return Shown(ack=t("retention_bad", locale, **limits))
    before, _after = workspace.change_settings(deps, client, caller, retention_days=days)
    before_days = before.effective_retention_days
    return Shown(ack=t("retention_set", locale, days=days, before=before_days))

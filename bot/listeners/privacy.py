"""A person's own data, and the workspace's retention setting:

- ``/playbook my-data``: a JSON file of everything stored about the caller, sent to their DM;
- ``/playbook forget-me``: after a confirmation (the button, or ``/playbook forget-me confirm``), the
  caller becomes a "former participant" everywhere and the answers they typed are deleted;
- ``/playbook retention [days]``: show, or (leads and Slack admins) change, how long sessions are kept.

Each acts only on the caller in the workspace the request came from (the ids in the request body are
Slack's, not anything a payload can choose), and each change is recorded in the audit log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from bot import roles
from bot.deps import Deps
from bot.errors import NotAllowed
from bot.ids import PrivacyActionId
from bot.mrkdwn import escape
from bot.views import common as blocks
from flows.i18n import t
from flows.schema import Repeat, Step, StepKind, TemplateNotFound, get_template
from storage import privacy
from storage import settings as workspace_settings

log = logging.getLogger("playbook.privacy")

SUBCOMMANDS = frozenset({"forget-me", "my-data", "retention"})
CONFIRM = "confirm"


def is_free_text(template_id: str, key: str) -> bool:
    """Whether an answer is words a person typed (a text step), as opposed to a figure or a choice."""
    try:
        template = get_template(template_id)
    except TemplateNotFound:
        return False
    step_id, repeat_id = key, None
    parts = key.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        repeat_id, step_id = parts[0], parts[2]
    nodes: Sequence[Step | Repeat] = template.steps
    if repeat_id is not None:
        repeat = next((n for n in nodes if isinstance(n, Repeat) and n.id == repeat_id), None)
        nodes = repeat.steps if repeat is not None else []
    step = next((n for n in nodes if isinstance(n, Step) and n.id == step_id), None)
    return step is not None and step.kind is StepKind.TEXT


def handle(ack: Ack, deps: Deps, client: WebClient, command: dict[str, Any], sub: str, rest: str) -> None:
    """Dispatch ``/playbook forget-me|my-data|retention …`` (the reply is the ephemeral ack)."""
    team_id = str(command["team_id"])
    user_id = str(command["user_id"])
    if sub == "forget-me":
        if rest.strip().lower() == CONFIRM:
            ack(text=forget(deps, client, team_id, user_id))
        else:
            ack(text=t("forget_me_confirm"), blocks=blocks.as_dicts(_confirmation(team_id)))
    elif sub == "my-data":
        ack(text=send_my_data(deps, client, team_id, user_id))
    else:
        ack(text=_retention(deps, client, team_id, user_id, rest.strip()))


def _confirmation(team_id: str) -> list[Any]:
    button = ButtonElement(
        text=t("forget_me_button"), action_id=PrivacyActionId.FORGET_ME, value=team_id, style="danger"
    )
    return [*blocks.notice_blocks(t("forget_me_confirm")), ActionsBlock(elements=[button])]


def forget(deps: Deps, client: WebClient, team_id: str, user_id: str) -> str:
    """Erase the caller (see storage/privacy.py); then tell each session thread whose intervention
    lost its owner that its check-ins have stopped."""
    with deps.uow() as uow:
        closing = uow.privacy.open_owned(team_id, user_id)
        report = uow.privacy.erase_person(team_id, user_id, is_free_text=is_free_text)
        if not report.erased_anything:
            return t("forget_me_nothing")
        left = uow.privacy.owner_left(team_id, closing)
        uow.audit.add(
            team_id,
            privacy.FORMER_PARTICIPANT,
            "privacy.forget_me",
            report.as_detail(),
            at=deps.clock.now(),
        )
        uow.commit()
    log.info("forget-me in %s: %s", team_id, report.as_detail())
    for intervention in left:
        _tell_owner_left(client, intervention)
    return t(
        "forget_me_done",
        answers=report.answers,
        sessions=report.participants,
        problems=report.problems,
        removed=report.free_text_removed,
    )


def _tell_owner_left(client: WebClient, intervention: privacy.OwnerLeft) -> None:
    """After the erasure is committed: a failed post is logged, never undoes it."""
    text = t("intervention_owner_left", what=escape(blocks.clip(intervention.what, 500)))
    try:
        client.chat_postMessage(
            channel=intervention.channel_id, thread_ts=intervention.thread_ts, text=text, unfurl_links=False
        )
    except SlackApiError as error:
        log.warning(
            "owner-left notice for intervention %s not posted: %s", intervention.intervention_id, error
        )


def handle_forget_me_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The confirmation button. It erases the person who clicked, in the workspace Slack says they
    clicked in; a button carrying another workspace's id is refused and logged."""
    ack()
    deps: Deps = context["deps"]
    team_id = str((body.get("team") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    actions = body.get("actions") or [{}]
    claimed = str((actions[0] if isinstance(actions[0], dict) else {}).get("value") or "")
    if not team_id or not user_id or claimed != team_id:
        log.warning(
            "refused forget-me button: user %s in %s carried workspace %r", user_id, team_id, claimed[:40]
        )
        raise NotAllowed(t("not_this_session"))
    done = forget(deps, client, team_id, user_id)
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    if channel:
        client.chat_postEphemeral(channel=str(channel), user=user_id, text=done)
    else:
        client.chat_postMessage(channel=user_id, text=done)


def send_my_data(deps: Deps, client: WebClient, team_id: str, user_id: str) -> str:
    now = deps.clock.now()
    with deps.uow() as uow:
        data = uow.privacy.export_person(team_id, user_id, now)
        uow.audit.add(team_id, user_id, "privacy.my_data", {"answers": len(data["answers"])}, at=now)
        uow.commit()
    opened = client.conversations_open(users=user_id)
    client.files_upload_v2(
        channel=str(opened["channel"]["id"]),
        content=json.dumps(data, indent=2, ensure_ascii=False, default=str),
        filename="playbook-my-data.json",
        title="Your Playbook bot data",
        initial_comment=t("my_data_comment"),
    )
    return t("my_data_sent")


def _retention(deps: Deps, client: WebClient, team_id: str, user_id: str, rest: str) -> str:
    limits: dict[str, Any] = {
        "min": workspace_settings.MIN_RETENTION_DAYS,
        "max": workspace_settings.MAX_RETENTION_DAYS,
    }
    with deps.uow() as uow:
        workspace = uow.workspaces.get_or_create(team_id)
        before = uow.workspaces.settings(team_id).effective_retention_days
        if not rest:
            return t("retention_show", days=before, **limits)
        if not rest.isdigit() or not limits["min"] <= int(rest) <= limits["max"]:
            return t("retention_bad", **limits)
        if not roles.can_administer(workspace, user_id, client):
            log.warning("refused retention change by %s in %s", user_id, team_id)
            raise NotAllowed(t("retention_not_allowed"))
        days = int(rest)
        uow.workspaces.change_settings(team_id, retention_days=days)
        uow.audit.add(
            team_id,
            user_id,
            "settings.retention",
            {"before": before, "after": days},
            at=deps.clock.now(),
        )
        uow.commit()
    return t("retention_set", days=days, before=before)


def register(app: App) -> None:
    app.action(PrivacyActionId.FORGET_ME.value)(handle_forget_me_button)

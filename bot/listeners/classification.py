"""The classification proposal's Change scope / Change category menus.

A choice is the same as typing ``scope service`` or ``category data``: while the proposal is the open
question it answers it (through the conversation, like any button); once decided, a further choice on
the same message records a new version of the decision, so scope and category can both be changed with
the menus. Only the facilitator or a lead may choose; anyone else is told so (ephemeral) and nothing is
stored.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import blocks, conversation, roles
from bot.deps import Deps
from bot.errors import NotAllowed, PlaybookError
from bot.mrkdwn import escape
from bot.views import classification as views
from flows import classification_step, engine
from flows.i18n import t
from flows.parsing import ParseFailure
from flows.schema import Step, StepKind, Template, get_template
from storage.models import Session, SessionStatus
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.classification")


def _decision_blocks(
    message: dict[str, Any], session_id: int, key: str, value: dict[str, Any], who: str, locale: str
) -> list[dict[str, object]]:
    """The proposal message with its buttons replaced by the decision, and the menus kept."""
    kept = [
        b
        for b in (message.get("blocks") or [])
        if b.get("type") != "actions" and b.get("block_id") != views.ClassificationBlockId.DECISION
    ]
    extra: list[Block] = [
        views.decision_context(
            str(value["scope"]), str(value["category"]), str(value["status"]), who, locale
        ),
        *views.menus(session_id, key, locale),
    ]
    return kept + blocks.as_dicts(extra)


def handle_menu(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    try:
        value = json.loads((action.get("selected_option") or {}).get("value") or "{}")
        session_id, key, reply_text = int(value["s"]), str(value["k"]), str(value["r"])
    except (ValueError, KeyError, TypeError):
        ack()
        return
    team_id = str((body.get("team") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    result: conversation.Result | None = None
    with deps.uow() as uow:
        session = conversation.load_session(uow, team_id, session_id)
        locale = session.locale
        place = conversation.Place.of(session)
        if not roles.can_steer(session, uow.workspaces.get(team_id), user_id):
            raise NotAllowed(t("classification_only_steer", locale))
        template = get_template(session.template_id)
        answers = conversation.to_engine_answers(uow.answers.latest(session.id))
        position = engine.walk(template, answers).current
        if position is not None and position.key == key:
            result = conversation.apply(
                deps, uow, session, conversation.Reply(team_id, user_id, reply_text, key)
            )
            if result.outcome is None or result.outcome.rejected or not result.outcome.changes:
                raise PlaybookError(result.notice or (result.outcome.message if result.outcome else "") or "")
            decided = result.outcome.changes[0].value
        else:
            decided = _late_change(
                uow, session, template, answers, key, reply_text, user_id, deps.clock.now()
            )
        uow.commit()
    ack()
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    if channel and message.get("ts"):
        client.chat_update(
            channel=channel,
            ts=message["ts"],
            text=str(message.get("text") or "Classification"),
            blocks=_decision_blocks(message, session_id, key, decided, user_id, locale),
        )
    if result is not None:
        conversation.deliver_committed(deps, client, result, team_id)
    else:
        # A later change is said in the thread too, so the record there is complete.
        notice = views.decision_context(
            str(decided["scope"]), str(decided["category"]), str(decided["status"]), user_id, locale
        )
        conversation.post(client, place, "Classification changed", [notice])


def _late_change(
    uow: UnitOfWork,
    session: Session,
    template: Template,
    answers: dict[str, engine.Answer],
    key: str,
    reply_text: str,
    user_id: str,
    now: datetime,
) -> dict[str, Any]:
    """A new version of an already-decided classification (scope changed after category, say)."""
    current = answers.get(key)
    step = next((s for s in template.steps if isinstance(s, Step) and s.id == key), None)
    if (
        current is None
        or not isinstance(current.value, dict)
        or step is None
        or step.kind is not StepKind.CLASSIFICATION
        or session.status == SessionStatus.CANCELLED
    ):
        raise PlaybookError(t("classification_not_open", session.locale))
    proposed = current.value.get("proposed") or {}
    value = classification_step.parse_reply(reply_text, proposed, current.value, session.locale)
    if isinstance(value, ParseFailure):
        raise PlaybookError(escape(value.message))
    uow.answers.add_version(session.id, key, value=value, author_id=user_id, raw_text=reply_text)
    uow.sessions.touch(session, now)
    return value


def register(app: App) -> None:
    app.action(views.ClassificationActionId.SCOPE)(handle_menu)
    app.action(views.ClassificationActionId.CATEGORY)(handle_menu)

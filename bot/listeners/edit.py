"""Editing answers: typed ``edit`` (or the Edit answers button) opens a modal of the session's answers;
a submission stores each changed answer as a new version (who, when) after reading it exactly as the
thread would, and the summary (or the next question) is posted again from the latest answers."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import blocks, conversation, roles, safeguards
from bot.deps import Deps
from bot.errors import NotAllowed, PlaybookError, SessionNotFound
from bot.ids import EditActionId, EditCallbackId
from bot.mrkdwn import escape, mention, unescape
from bot.views.edit import EditSubmission, edit_modal, edit_offer_blocks
from flows import engine
from flows.editing import Editable, editable_answers, read_edits
from flows.i18n import t
from flows.schema import get_template
from storage.models import Session, SessionStatus, Workspace
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.edit")

# Slack shows a modal error under its input; keep it readable.
ERROR_LIMIT = 500


def may_edit(session: Session, workspace: Workspace | None, user_id: str) -> bool:
    """People taking part may change their own answers; the facilitator or a lead, any answer."""
    return roles.is_participant(session, user_id) or roles.can_steer(session, workspace, user_id)


def _editables(
    uow: UnitOfWork, session: Session, workspace: Workspace | None, user_id: str
) -> list[Editable]:
    template = get_template(session.template_id)
    rows = uow.answers.latest(session.id)
    return editable_answers(
        template,
        conversation.to_engine_answers(rows),
        {key: row.raw_text for key, row in rows.items()},
        user=user_id,
        may_steer=roles.can_steer(session, workspace, user_id),
        locale=session.locale,
    )


# --- typed "edit" -----------------------------------------------------------------------------------


def is_typed_edit(body: dict[str, Any]) -> bool:
    """A person's message saying just ``edit``, in a thread or a DM (where sessions run)."""
    event = body.get("event") or {}
    if event.get("type") != "message" or event.get("subtype") or event.get("bot_id"):
        return False
    if event.get("channel_type") != "im" and not event.get("thread_ts"):
        return False
    return engine.normalise_command(unescape(str(event.get("text") or ""))) == "edit"


def handle_typed_edit(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    team_id = str(body.get("team_id") or event.get("team") or "")
    channel_id = str(event.get("channel") or "")
    user_id = str(event.get("user") or "")
    is_dm = event.get("channel_type") == "im"
    event_id = str(body.get("event_id") or f"{channel_id}:{event.get('ts')}")
    with deps.uow() as uow:
        session = conversation.find_session_for_message(
            uow, team_id=team_id, channel_id=channel_id, thread_ts=event.get("thread_ts"), is_dm=is_dm
        )
        if session is None or not uow.events.claim(event_id, team_id):
            return
        allowed = may_edit(session, uow.workspaces.get(team_id), user_id)
        place = conversation.Place.of(session)
        session_id, locale = session.id, session.locale
        uow.commit()
    if allowed:
        conversation.post(client, place, t("edit_offer", locale), edit_offer_blocks(session_id, locale))


# --- the button and the modal -------------------------------------------------------------------------


def handle_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    deps: Deps = context["deps"]
    team_id = str((body.get("team") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    value = str(action.get("value") or "")
    if not value.isdigit():
        return
    with deps.uow() as uow:
        session = uow.sessions.get(team_id, int(value))
        if session is None:
            raise SessionNotFound(t("unknown_session", session=value))
        workspace = uow.workspaces.get(team_id)
        if not may_edit(session, workspace, user_id):
            raise NotAllowed(t("only_participants", session.locale))
        editables = _editables(uow, session, workspace, user_id)
        title = get_template(session.template_id).title.get(session.locale)
        session_id, locale = session.id, session.locale
    if not editables:
        raise PlaybookError(t("edit_nothing", locale))
    client.views_open(trigger_id=body["trigger_id"], view=edit_modal(session_id, title, editables, locale))


def handle_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Read every changed answer; any unreadable one keeps the modal open with the reason under it;
    otherwise store the changes as new versions, commit, close the modal, then tell the thread."""
    deps: Deps = context["deps"]
    submission = EditSubmission.from_view(view)
    team_id = str((body.get("team") or {}).get("id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    if submission is None:
        ack()
        return
    with deps.uow() as uow:
        session = uow.sessions.get(team_id, submission.session_id, for_update=True)
        if session is None:
            raise SessionNotFound(t("unknown_session", session=submission.session_id))
        workspace = uow.workspaces.get(team_id)
        if not may_edit(session, workspace, user_id):
            raise NotAllowed(t("only_participants", session.locale))
        template = get_template(session.template_id)
        rows = uow.answers.latest(session.id)
        answers = conversation.to_engine_answers(rows)
        allowed = {e.key: e for e in _editables(uow, session, workspace, user_id)}
        ctx = conversation.reply_context(deps, session.locale, workspace)
        result = read_edits(template, answers, submission.texts, allowed, ctx)
        personal = safeguards.edit_errors(submission.texts, [c.key for c in result.changes], session.locale)
        if result.errors or personal:
            errors = {
                EditSubmission.error_block(k): blocks.clip(m, ERROR_LIMIT)
                for k, m in {**personal, **result.errors}.items()
            }
            ack(response_action="errors", errors=errors)
            return
        if not result.changes:
            ack()
            return
        versions = {key: row.version for key, row in rows.items()}
        for change in result.changes:
            uow.answers.add_version(
                session.id,
                change.key,
                value=change.value,
                author_id=user_id,
                raw_text=submission.texts[change.key],
                current_versions=versions,
            )
        now = deps.clock.now()
        final = engine.with_changes(answers, result.changes, user_id)
        follow_up: list[Any] = []
        prompt = None
        if session.status in (SessionStatus.ACTIVE, SessionStatus.COMPLETED):
            prompt = conversation.next_prompt_for(session, template, final, session.facilitator_id, ctx)
            if prompt is None:
                follow_up = conversation.summary_for(session, template, final, now, ctx)
            elif session.status == SessionStatus.COMPLETED:
                # The change opened a question (a "no" where a "yes" ended a list): carry on from there.
                session.status = SessionStatus.ACTIVE
                session.completed_at = None
        uow.sessions.touch(session, now)
        place = conversation.Place.of(session)
        labels = ", ".join(escape(allowed[c.key].label) for c in result.changes)
        session_id, locale = session.id, session.locale
        uow.commit()
    ack()
    notice = t("edit_saved", locale, user=mention(user_id, locale), count=len(result.changes), labels=labels)
    if prompt is not None:
        content = blocks.notice_blocks(notice) + blocks.prompt_blocks(prompt, session_id, locale=locale)
        conversation.post(client, place, notice, content)
        conversation.mark_prompted(deps, team_id, session_id, prompt.key)
        return
    for number, message in enumerate(blocks.split_messages(blocks.notice_blocks(notice) + follow_up)):
        conversation.post(client, place, notice if number == 0 else "Session summary", message)


def register(app: App) -> None:
    """Register before the general message listener: Bolt runs the first listener that matches."""
    app.event("message", matchers=[is_typed_edit])(handle_typed_edit)
    app.action(EditActionId.OPEN)(handle_open)
    app.view(EditCallbackId.MODAL)(handle_submit)

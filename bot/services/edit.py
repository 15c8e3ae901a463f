"""Editing answers: typed ``edit`` (or the Edit answers button) opens a modal of the session's answers;
a submission stores each changed answer as a new version (who, when) after reading it exactly as the
thread would, and the summary (or the next question) is queued again from the latest answers in the
same transaction."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import delivery
from bot.delivery import Queue, Shown
from bot.deps import Deps
from bot.errors import NotAllowed, PlaybookError, SessionNotFound
from bot.mrkdwn import escape, mention
from bot.request import Caller
from bot.services import conversation, language, leads, learning
from bot.services.conversation import Place, ensure_same_place, people_of, to_engine_answers
from bot.services.safeguards import edit_errors
from bot.services.workspace import EffectiveSettings, reply_context, settings_for
from bot.views.common import clip, notice_blocks, split_messages
from bot.views.edit import EditSubmission, edit_modal, edit_offer_blocks
from bot.views.prompt import prompt_blocks
from flows import engine, policy
from flows.editing import Editable, editable_answers, read_edits
from flows.i18n import t
from flows.schema import get_template
from storage.models import Session, SessionStatus
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.edit")

# Slack shows a modal error under its input; keep it readable.
ERROR_LIMIT = 500


def _may_edit(session: Session, settings: EffectiveSettings, user_id: str) -> bool:
    return policy.may_edit(people_of(session), settings.lead_ids, user_id)


def _editables(
    uow: UnitOfWork, session: Session, settings: EffectiveSettings, user_id: str, locale: str
) -> list[Editable]:
    template = get_template(session.template_id)
    rows = uow.answers.latest(session.id)
    return editable_answers(
        template,
        to_engine_answers(rows),
        {key: row.raw_text for key, row in rows.items()},
        user=user_id,
        may_steer=policy.may_steer(people_of(session), settings.lead_ids, user_id),
        locale=locale,
    )


def offer(deps: Deps, caller: Caller) -> Shown:
    """Typed ``edit`` in a thread or DM: a message has no trigger to open a modal with, so offer a
    button that does."""
    event_id = caller.event_id or f"{caller.channel_id}:{caller.message_ts}"
    with deps.uow() as uow:
        if caller.is_dm:
            session = uow.sessions.open_dm_session(caller.team_id, caller.channel_id, for_update=True)
        elif caller.thread_ts is not None:
            session = uow.sessions.by_thread(
                caller.team_id, caller.channel_id, caller.thread_ts, for_update=True
            )
        else:
            session = None
        if session is None or not uow.events.claim(event_id, caller.team_id):
            return Shown()
        allowed = _may_edit(session, settings_for(deps, uow, caller.team_id), caller.user_id)
        place = Place.of(session)
        session_id, locale = session.id, session.locale
        uow.commit()
    if not allowed:
        return Shown()
    return Shown(messages=[place.post(t("edit_offer", locale), edit_offer_blocks(session_id, locale))])


def open_modal(deps: Deps, caller: Caller, session_id: int) -> Shown:
    """The Edit answers button (on the session's own message): the modal with every answer the
    person may change."""
    with deps.uow() as uow:
        # The form is the person's own: in their language, whatever the session's.
        locale = language.person_locale(uow, caller.team_id, caller.user_id)
        session = uow.sessions.get(caller.team_id, session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", locale, session=session_id))
        ensure_same_place(session, caller.channel_id, caller.user_id)
        settings = settings_for(deps, uow, caller.team_id)
        if not _may_edit(session, settings, caller.user_id):
            raise NotAllowed(t("only_participants", locale))
        editables = _editables(uow, session, settings, caller.user_id, locale)
        title = get_template(session.template_id).title.get(locale)
    if not editables:
        raise PlaybookError(t("edit_nothing", locale))
    if caller.trigger_id is None:
        return Shown()
    return Shown(
        messages=[delivery.open_view(caller.trigger_id, edit_modal(session_id, title, editables, locale))]
    )


def submit(deps: Deps, caller: Caller, view: dict[str, Any], client: WebClient) -> Shown:
    """Read every changed answer; any unreadable one keeps the modal open with the reason under it;
    otherwise store the changes as new versions, commit, close the modal, then tell the thread."""
    submission = EditSubmission.from_view(view)
    if submission is None:
        return Shown()
    with deps.uow() as uow:
        session = uow.sessions.get(caller.team_id, submission.session_id, for_update=True)
        own_locale = language.person_locale(uow, caller.team_id, caller.user_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", own_locale, session=submission.session_id))
        settings = settings_for(deps, uow, caller.team_id)
        if not _may_edit(session, settings, caller.user_id):
            raise NotAllowed(t("only_participants", own_locale))
        template = get_template(session.template_id)
        rows = uow.answers.latest(session.id)
        answers = to_engine_answers(rows)
        allowed = {e.key: e for e in _editables(uow, session, settings, caller.user_id, session.locale)}
        ctx = learning.with_learning(
            reply_context(deps, settings, session.locale), uow, session, deps.learned, deps.decided
        )
        result = read_edits(template, answers, submission.texts, allowed, ctx)
        personal = edit_errors(submission.texts, [c.key for c in result.changes], session.locale)
        if result.errors or personal:
            errors = {
                EditSubmission.error_block(k): clip(m, ERROR_LIMIT)
                for k, m in {**personal, **result.errors}.items()
            }
            return Shown(view_errors=errors)
        if not result.changes:
            return Shown()
        versions = {key: row.version for key, row in rows.items()}
        for change in result.changes:
            stored = uow.answers.add_version(
                session.id,
                change.key,
                value=change.value,
                author_id=caller.user_id,
                raw_text=submission.texts[change.key],
                current_versions=versions,
            )
            versions[change.key] = stored.version
        now = deps.clock.now()
        final = engine.with_changes(answers, result.changes, caller.user_id)
        follow_up: list[Block] = []
        refreshes: list[leads.LeadsRefresh] = []
        prompt = None
        if session.status in (SessionStatus.ACTIVE, SessionStatus.COMPLETED):
            prompt = conversation.next_prompt_for(session, template, final, session.facilitator_id, ctx)
            if prompt is None:
                follow_up = conversation.summary_for(uow, session, template, final, now, ctx, settings)
                if session.status == SessionStatus.COMPLETED:
                    refreshes = leads.refresh(uow, session, settings, now)
            elif session.status == SessionStatus.COMPLETED:
                # The change opened a question (a "no" where a "yes" ended a list): carry on from there.
                session.status = SessionStatus.ACTIVE
                session.completed_at = None
        uow.sessions.touch(session, now)
        place = Place.of(session)
        labels = ", ".join(escape(allowed[c.key].label) for c in result.changes)
        session_id, locale = session.id, session.locale
        notice = t(
            "edit_saved",
            locale,
            user=mention(caller.user_id, locale),
            count=len(result.changes),
            labels=labels,
        )
        # Said in the thread in the edit's own transaction: the new question (or summary) is owed.
        queue = Queue(uow, session.workspace_id, now)
        if prompt is not None:
            content = notice_blocks(notice) + prompt_blocks(prompt, session_id, locale=locale)
            queue.add(place.post(notice, content), session)
        else:
            for number, message in enumerate(split_messages(notice_blocks(notice) + follow_up)):
                queue.add(
                    place.post(notice if number == 0 else t("summary_fallback", locale), message), session
                )
        # The leads' post about this problem says what the answers say now, in the same transaction.
        queue.extend(leads.updates(refreshes), session)
        uow.commit()
    return queue.shown()

"""The classification proposal's Change scope / Change category menus.

A choice is the same as typing ``scope service`` or ``category data``: while the proposal is the open
question it answers it (through the conversation, like any button); once decided, a further choice on
the same message records a new version of the decision, so scope and category can both be changed with
the menus. Only the facilitator or a lead may choose; anyone else is told so (ephemeral) and nothing is
stored.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from bot import delivery
from bot.codec import AnswerValue
from bot.delivery import Outgoing, Queue, Shown, Update
from bot.deps import Deps
from bot.errors import NotAllowed, PlaybookError
from bot.mrkdwn import escape
from bot.request import Caller
from bot.services import access, conversation, leads, learning
from bot.services.conversation import Place, people_of, to_engine_answers
from bot.services.workspace import settings_for
from bot.views import classification as views
from flows import classification_step, engine, policy
from flows.classification import FAIRLY_SURE
from flows.i18n import t
from flows.parsing import ParseFailure
from flows.schema import Step, StepKind, Template, get_template
from storage.models import Session, SessionStatus
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.classification")


def choose(
    deps: Deps, client: WebClient, caller: Caller, value: AnswerValue, message: dict[str, Any]
) -> Shown:
    """A choice from the Change scope / Change category menus."""
    refreshes: list[leads.LeadsRefresh] = []
    with deps.uow() as uow:
        session = conversation.load_session(uow, caller.team_id, value.s)
        conversation.ensure_same_place(session, caller.channel_id, caller.user_id)
        locale = session.locale
        place = Place.of(session)
        settings = settings_for(deps, uow, caller.team_id)
        if not policy.may_steer(people_of(session), settings.lead_ids, caller.user_id):
            raise NotAllowed(t("classification_only_steer", locale))
        template = get_template(session.template_id)
        answers = to_engine_answers(uow.answers.latest(session.id))
        position = engine.walk(template, answers).current
        result: conversation.Result | None = None
        if position is not None and position.key == value.k:
            reply = conversation.Reply(caller.team_id, caller.user_id, value.r, value.k)
            result = conversation.apply(deps, uow, session, reply)
            if result.outcome is None or result.outcome.rejected or not result.outcome.changes:
                raise PlaybookError(result.notice or (result.outcome.message if result.outcome else "") or "")
            decided = result.outcome.changes[0].value
        else:
            decided = _late_change(
                uow, session, template, answers, value.k, value.r, caller.user_id, deps.clock.now()
            )
            if session.status == SessionStatus.COMPLETED:
                refreshes = leads.refresh(uow, session, settings, deps.clock.now())
        messages: list[Outgoing] = []
        if caller.channel_id and caller.message_ts:
            messages.append(
                Update(
                    channel=caller.channel_id,
                    ts=caller.message_ts,
                    text=str(message.get("text") or t("classification_fallback", locale)),
                    blocks=_decision_blocks(message, value.s, value.k, decided, caller.user_id, locale),
                )
            )
        if result is not None:
            queue = conversation.queue_result(deps, uow, session, result, *messages)
        else:
            # A later change is said in the thread too, so the record there is complete.
            notice = views.decision_context(
                str(decided["scope"]),
                str(decided["category"]),
                str(decided["status"]),
                caller.user_id,
                locale,
            )
            messages.append(place.post(t("classification_changed_fallback", locale), [notice]))
            queue = Queue(uow, session.workspace_id, deps.clock.now())
            queue.extend(messages, session)
        # The leads were told the old decision: their post says the new one, in the same transaction.
        queue.extend(leads.updates(refreshes), session)
        uow.commit()
    return queue.shown()


def _decision_blocks(
    message: dict[str, Any], session_id: int, key: str, value: dict[str, Any], who: str, locale: str
) -> list[dict[str, Any]]:
    """The proposal message with its buttons replaced by the decision, and the menus kept."""
    kept = [
        b
        for b in (message.get("blocks") or [])
        if b.get("type") != "actions" and b.get("block_id") != views.ClassificationBlockId.DECISION
    ]
    extra = [
        views.decision_context(
            str(value["scope"]), str(value["category"]), str(value["status"]), who, locale
        ),
        *views.menus(session_id, key, locale),
    ]
    return kept + delivery.as_dicts(extra)


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


def details(deps: Deps, client: WebClient, caller: Caller, session_id: int) -> Shown:
    """The "Show details" button on a proposal: its reasons in full, in a modal only the clicker
    sees. Whoever can see the proposal may read why it was made: the click must come from the
    proposal's channel. A decided classification shows the reasons of the proposal it decided on; an
    open one, the proposal as it stands (learning from the same decisions as the message did).

    The similar cases decided in other sessions are quoted only when the clicker may see those
    sessions (``services/access.py``: a public channel's, a private channel's they are a member of, a
    DM's they took part in); the others are counted."""
    with deps.uow() as uow:
        session = conversation.load_session(uow, caller.team_id, session_id, for_update=False)
        locale = session.locale
        # The click must come from where the proposal was posted (Slack signs the channel), so the
        # button's value can't be used to read another session's reasons.
        if caller.channel_id != session.channel_id:
            raise NotAllowed(t("not_this_session", locale))
        proposed = _proposal_shown(uow, caller.team_id, session)
    named = classification_step.learned_sessions(proposed)
    quotable: dict[int, str] = {}
    if named:
        readable = access.readable_channels(deps, client, caller.team_id, caller.user_id, session_ids=named)
        with deps.uow() as uow:
            visible = uow.visibility.visible_sessions(
                caller.team_id, caller.user_id, readable, session_ids=named
            )
            quotable = learning.case_texts(uow, caller.team_id, [seen.id for seen in visible])
    confidence = proposed.get("confidence")
    sure = isinstance(confidence, int | float) and confidence >= FAIRLY_SURE
    intro = t(
        "classification_details_intro",
        locale,
        scope=escape(str(proposed.get("scope"))),
        category=escape(str(proposed.get("category"))),
        sureness=t("classification_fairly_sure" if sure else "classification_not_sure", locale),
    )
    reasons = classification_step.details_lines(proposed, escape, quotable, locale)
    if caller.trigger_id is None:
        return Shown()
    return Shown(
        messages=[delivery.open_view(caller.trigger_id, views.details_modal(intro, reasons, locale))]
    )


def _proposal_shown(uow: UnitOfWork, team_id: str, session: Session) -> dict[str, Any]:
    """The proposal a decided classification decided on, or the open one as it stands."""
    template = get_template(session.template_id)
    answers = to_engine_answers(uow.answers.latest(session.id))
    key = next(
        (s.id for s in template.steps if isinstance(s, Step) and s.kind is StepKind.CLASSIFICATION), None
    )
    if key is None:
        raise PlaybookError(t("classification_not_open", session.locale))
    decided = answers.get(key)
    if decided is not None and isinstance(decided.value, dict) and decided.value.get("proposed"):
        return dict(decided.value["proposed"])
    if not engine.items_of(answers, "whys", "answer"):
        raise PlaybookError(t("classification_not_open", session.locale))
    values = engine.answer_values(answers)
    proposal = classification_step.propose(values, learning.learned_examples(uow, team_id, session.id))
    return classification_step.proposal_dict(proposal)

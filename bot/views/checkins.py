"""Block Kit for check-ins and interventions: the check-in DM with its answer buttons, the answered
state it is replaced by, the reason modal (Blocked, Not doing) and the "Add intervention" modal.
Pure: values in, blocks out; submitted modal state is read back once into typed models here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.codec import CheckInValue, SessionValue, decode, encode
from bot.ids import (
    CheckInActionId,
    CheckInBlockId,
    CheckInCallbackId,
    checkin_answers_block,
    indexed,
)
from bot.mrkdwn import escape, mention
from bot.views.common import clip, context, sections
from flows.calendar import Cadence
from flows.dates import human_day
from flows.i18n import language_of, t
from flows.interventions import CADENCES, MAX_REASON, CheckInAnswer

# How much of an intervention's wording a check-in message quotes.
WHAT_LIMIT = 2000
# The intervention form's "what" input (Slack's plain_text_input allows at most 3,000).
WHAT_INPUT_LIMIT = 3000
# The first check-in the form suggests: a week from today.
FIRST_CHECKIN_AFTER = timedelta(days=7)

# The check-in message's buttons, in order (On track is the primary one).
ANSWER_BUTTONS: tuple[CheckInAnswer, ...] = (
    CheckInAnswer.ON_TRACK,
    CheckInAnswer.BLOCKED,
    CheckInAnswer.DONE,
    CheckInAnswer.NOT_DOING,
    CheckInAnswer.SNOOZE_DAY,
    CheckInAnswer.SNOOZE_WEEK,
)


@dataclass(frozen=True)
class CheckInCard:
    """What a check-in message shows: the intervention, its session, and (for a check-in sent late,
    after an outage) the day it was due."""

    checkin_id: int
    what: str
    session_id: int
    catch_up_from: date | None = None


def answer_label(answer: CheckInAnswer, locale: str = "en") -> str:
    """The words on an answer's button (also what the answered state says was chosen)."""
    return t(f"checkin_button_{answer.value}", locale)


def checkin_question(card: CheckInCard, locale: str = "en") -> str:
    """The check-in's question: the intervention and its session (and, when sent late, the day it
    was due). Kept when the message is answered, so the DM still says what was asked."""
    text = t("checkin_prompt", locale, what=escape(clip(card.what, WHAT_LIMIT)), session=card.session_id)
    if card.catch_up_from is not None:
        text += "\n" + t("checkin_catch_up", locale, date=human_day(card.catch_up_from, locale))
    return text


def checkin_message(card: CheckInCard, locale: str = "en") -> tuple[str, list[Block]]:
    """The DM asking an owner how an intervention is going: fallback text and blocks."""
    text = checkin_question(card, locale)
    buttons = [
        ButtonElement(
            text=PlainTextObject(text=answer_label(answer, locale)),
            action_id=indexed(CheckInActionId.RESPOND, number),
            value=encode(CheckInValue(c=card.checkin_id, r=answer.value)),
            style="primary" if answer is CheckInAnswer.ON_TRACK else None,
        )
        for number, answer in enumerate(ANSWER_BUTTONS)
    ]
    content: list[Block] = [
        *sections(text),
        ActionsBlock(block_id=checkin_answers_block(card.checkin_id), elements=list(buttons)),
        context(t("checkin_reply_hint", locale)),
    ]
    return text, content


def answered_label(answer: CheckInAnswer, reason: str | None, locale: str = "en") -> str:
    """What was answered, as plain words: ``On track``, ``Blocked: no access``."""
    label = answer_label(answer, locale)
    if reason:
        return t("checkin_answer_with_reason", locale, answer=label, reason=reason)
    return label


def answered_blocks(user_id: str, label: str, locale: str = "en") -> list[Block]:
    """What replaces a check-in's buttons once its owner answered: who answered what."""
    return [context(t("checkin_answered", locale, who=mention(user_id, locale), answer=escape(label)))]


def answered_checkin_message(
    card: CheckInCard, user_id: str, label: str, locale: str = "en"
) -> tuple[str, list[Block]]:
    """The check-in message once answered: its question as it was asked, and below it, in place of
    the buttons and the reply hint, who answered what."""
    question = checkin_question(card, locale)
    answered = t("checkin_answered", locale, who=mention(user_id, locale), answer=escape(label))
    return f"{question}\n{answered}", [*sections(question), *answered_blocks(user_id, label, locale)]


def reason_modal(checkin_id: int, answer: CheckInAnswer, locale: str = "en") -> View:
    """Blocked and Not doing need a reason: the modal asking for it."""
    return View(
        type="modal",
        callback_id=CheckInCallbackId.REASON,
        title=PlainTextObject(text=t("checkin_reason_title", language_of(locale))),
        submit=PlainTextObject(text=t("checkin_reason_submit", language_of(locale))),
        private_metadata=encode(CheckInValue(c=checkin_id, r=answer.value)),
        blocks=[
            InputBlock(
                block_id=CheckInBlockId.REASON,
                label=PlainTextObject(text=reason_label(answer, locale)),
                element=PlainTextInputElement(
                    action_id=CheckInActionId.REASON, max_length=MAX_REASON, multiline=True
                ),
            )
        ],
    )


def reason_label(answer: CheckInAnswer, locale: str = "en") -> str:
    """The reason modal's question (also its error when left empty)."""
    return t(f"checkin_reason_label_{answer.value}", locale)


def _cadence_options(locale: str) -> list[Option]:
    return [Option(value=c, label=t(f"cadence_{c}", locale).capitalize()) for c in CADENCES]


def intervention_modal(session_id: int, today: date, locale: str = "en") -> View:
    """The "Add intervention" form: what, owner, first check-in date (a week from ``today``), cadence."""
    cadence_options = _cadence_options(locale)
    return View(
        type="modal",
        callback_id=CheckInCallbackId.ADD_INTERVENTION,
        title=PlainTextObject(text=t("intervene_title", language_of(locale))),
        submit=PlainTextObject(text=t("intervene_submit", language_of(locale))),
        private_metadata=encode(SessionValue(s=session_id)),
        blocks=[
            InputBlock(
                block_id=CheckInBlockId.WHAT,
                label=PlainTextObject(text=t("intervene_what", locale)),
                element=PlainTextInputElement(
                    action_id=CheckInActionId.WHAT, max_length=WHAT_INPUT_LIMIT, multiline=True
                ),
            ),
            InputBlock(
                block_id=CheckInBlockId.OWNER,
                label=PlainTextObject(text=t("intervene_owner", locale)),
                element=UserSelectElement(action_id=CheckInActionId.OWNER),
            ),
            InputBlock(
                block_id=CheckInBlockId.FIRST_CHECKIN,
                label=PlainTextObject(text=t("intervene_first", locale)),
                element=DatePickerElement(
                    action_id=CheckInActionId.FIRST_CHECKIN,
                    initial_date=(today + FIRST_CHECKIN_AFTER).isoformat(),
                ),
            ),
            InputBlock(
                block_id=CheckInBlockId.CADENCE,
                label=PlainTextObject(text=t("intervene_cadence", locale)),
                element=StaticSelectElement(
                    action_id=CheckInActionId.CADENCE,
                    options=cadence_options,
                    initial_option=cadence_options[0],
                ),
            ),
        ],
    )


# --- reading submitted modals ----------------------------------------------------------------------------


def _input(values: dict[str, Any], block: CheckInBlockId, action: CheckInActionId) -> dict[str, Any]:
    found = (values.get(block.value) or {}).get(action.value)
    return found if isinstance(found, dict) else {}


def _values(view: dict[str, Any]) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values")
    return values if isinstance(values, dict) else {}


class ReasonSubmission(BaseModel):
    """A submitted reason modal: the check-in, the answer (Blocked or Not doing) and the reason as
    typed (trimmed; empty when left blank)."""

    model_config = ConfigDict(frozen=True)

    checkin_id: int
    answer: CheckInAnswer
    reason: str

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> ReasonSubmission | None:
        """None when the view is not one of ours (metadata that doesn't decode)."""
        meta = decode(CheckInValue, view.get("private_metadata"))
        if meta is None:
            return None
        typed = _input(_values(view), CheckInBlockId.REASON, CheckInActionId.REASON).get("value")
        try:
            return cls(checkin_id=meta.c, answer=CheckInAnswer(meta.r), reason=str(typed or "").strip())
        except (ValueError, ValidationError):
            return None


class InterventionSubmission(BaseModel):
    """A submitted "Add intervention" form, as typed and picked (not yet checked)."""

    model_config = ConfigDict(frozen=True)

    session_id: int
    what: str
    owner: str
    picked_date: str
    cadence: str

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> InterventionSubmission | None:
        meta = decode(SessionValue, view.get("private_metadata"))
        if meta is None:
            return None
        values = _values(view)
        option = _input(values, CheckInBlockId.CADENCE, CheckInActionId.CADENCE).get("selected_option")
        return cls(
            session_id=meta.s,
            what=str(_input(values, CheckInBlockId.WHAT, CheckInActionId.WHAT).get("value") or "").strip(),
            owner=str(_input(values, CheckInBlockId.OWNER, CheckInActionId.OWNER).get("selected_user") or ""),
            picked_date=str(
                _input(values, CheckInBlockId.FIRST_CHECKIN, CheckInActionId.FIRST_CHECKIN).get(
                    "selected_date"
                )
                or ""
            ),
            cadence=str((option or {}).get("value") or "") if isinstance(option, dict | None) else "",
        )

    @property
    def chosen_cadence(self) -> Cadence | None:
        for cadence in CADENCES:
            if cadence == self.cadence:
                return cadence
        return None

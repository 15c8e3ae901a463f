"""Interaction ids (action_id, block_id, callback_id) for every surface, as enums."""

from __future__ import annotations

import re
from enum import StrEnum


class ActionId(StrEnum):
    # A prompt's shortcut buttons: each is the same as typing its reply. Suffixed ``:n`` for uniqueness.
    ANSWER = "prompt.answer"
    # A prompt's people picker and date picker: choosing is the same as typing the mention or date.
    PICK_PERSON = "prompt.pick_person"
    PICK_DATE = "prompt.pick_date"
    RESUME = "session.resume"


class HomeActionId(StrEnum):
    # A Start button on the Home tab; its value is the template id.
    START = "home.start"


class BlockId(StrEnum):
    PROMPT = "prompt"
    PROMPT_ACTIONS = "prompt.actions"
    # Where a prompt's buttons were, once it is answered: what was answered, and by whom.
    PROMPT_ANSWERED = "prompt.answered"
    # A picker's block: ``prompt.actions.pick:<the session and question, encoded>`` (a picker has no
    # value of its own, so its block names what it answers).
    PROMPT_PICKER = "prompt.actions.pick"


def indexed(action: StrEnum, index: int) -> str:
    return f"{action}:{index}"


def matching(action: StrEnum) -> re.Pattern[str]:
    """A pattern that matches ``action`` with or without an index suffix."""
    return re.compile(rf"^{re.escape(action.value)}(:\d+)?$")


class ClassificationActionId(StrEnum):
    """The classification proposal's menus; each option's value is the reply it stands for."""

    SCOPE = "classification.scope"
    CATEGORY = "classification.category"
    # "Show details": the proposal's reasons in full, in a modal only the clicker sees.
    DETAILS = "classification.details"


class ClassificationBlockId(StrEnum):
    MENUS = "classification.menus"
    DECISION = "classification.decision"


class PrivacyActionId(StrEnum):
    FORGET_ME = "privacy.forget_me"


# Editing answers: the "Edit answers" button, the modal and its inputs.
class EditActionId(StrEnum):
    OPEN = "edit.open"
    INPUT = "edit.input"


class EditCallbackId(StrEnum):
    MODAL = "edit.modal"


class EditBlockId(StrEnum):
    OFFER = "edit.offer"
    INTRO = "edit.intro"
    # An answer's input block is ``edit.answer:<answer key>``.
    ANSWER = "edit.answer"


def edit_answer_block(key: str) -> str:
    return f"{EditBlockId.ANSWER}:{key}"


def answer_key_of_block(block_id: str) -> str | None:
    prefix = f"{EditBlockId.ANSWER}:"
    return block_id[len(prefix) :] if block_id.startswith(prefix) else None


# Interventions and check-ins: a check-in's answer buttons, the reason modal (Blocked, Not
# doing), and the "Add intervention" button and modal.
class CheckInActionId(StrEnum):
    # A check-in's buttons, suffixed ``:n``; the value names the check-in and the answer.
    RESPOND = "checkin.respond"
    # The "Add intervention" button; its value is the session id. Opens the intervention modal.
    ADD_INTERVENTION = "intervention.add"
    REASON = "checkin.reason.input"
    WHAT = "intervention.what.input"
    OWNER = "intervention.owner.input"
    FIRST_CHECKIN = "intervention.first.input"
    CADENCE = "intervention.cadence.input"


class CheckInBlockId(StrEnum):
    # A check-in message's buttons are in block ``checkin.<check-in id>``.
    ANSWERS = "checkin"
    REASON = "checkin.reason"
    WHAT = "intervention.what"
    OWNER = "intervention.owner"
    FIRST_CHECKIN = "intervention.first"
    CADENCE = "intervention.cadence"


class CheckInCallbackId(StrEnum):
    REASON = "checkin.reason"
    ADD_INTERVENTION = "intervention.add"


def checkin_answers_block(checkin_id: int) -> str:
    return f"{CheckInBlockId.ANSWERS}.{checkin_id}"


class LanguageActionId(StrEnum):
    # The Home tab's language menu; each option's value is a locale (``cy``, ``en``).
    CHOOSE = "language.choose"


# Starting a session from a form: the shortcuts (their callback ids are the ones in manifest.yml),
# the start modal and its inputs.
class ShortcutCallbackId(StrEnum):
    # The global shortcut "Start a playbook session".
    START = "playbook.start"
    # The message shortcut "Analyse this message".
    ANALYSE_MESSAGE = "playbook.analyse_message"


class StartCallbackId(StrEnum):
    MODAL = "start.modal"


class StartBlockId(StrEnum):
    TEMPLATE = "start.template"
    PROBLEM = "start.problem"
    EXISTING = "start.existing"
    CHANNEL = "start.channel"
    SOURCE = "start.source"


class StartActionId(StrEnum):
    TEMPLATE = "start.template.input"
    PROBLEM = "start.problem.input"
    EXISTING = "start.existing.input"
    CHANNEL = "start.channel.input"

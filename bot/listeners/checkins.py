"""Check-ins and interventions in Slack: a check-in's answer buttons, the reason modal they open
(Blocked, Not doing), and the "Add intervention" button and form. Each calls one service in
``bot/services/checkins.py``.

Typed answers in the DM reach the check-ins through the message listener
(:func:`bot.services.checkins.answer_typed`), and ``/playbook intervene`` and ``/playbook nation``
through the ``/playbook`` command's dispatch.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import delivery
from bot.codec import CheckInValue, decode, session_of_button
from bot.delivery import Shown
from bot.deps import Deps
from bot.ids import CheckInActionId, CheckInCallbackId, matching
from bot.services import checkins


def handle_answer_button(ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    value = decode(CheckInValue, action.get("value"))
    if value is None:
        ack()
        return
    shown = checkins.answer_button(context["deps"], context["caller"], value)
    ack()
    delivery.deliver(client, shown)


def handle_add_button(ack: Ack, action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    session_id = session_of_button(action.get("value"))
    if session_id is None:
        ack()
        return
    shown = checkins.open_intervention_form(
        context["deps"], client, context["caller"], session_id, clicked=True
    )
    ack()
    delivery.deliver(client, shown)


def _submitted(ack: Ack, client: WebClient, shown: Shown, deps: Deps | None = None) -> None:
    """A modal submission: errors keep the modal open under its inputs; otherwise it closes."""
    if shown.view_errors:
        ack(response_action="errors", errors=shown.view_errors)
        return
    ack()
    delivery.deliver(client, shown, deps)


def handle_reason_submission(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    _submitted(ack, client, checkins.answer_reason(context["deps"], context["caller"], view))


def handle_add_submission(ack: Ack, view: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps = context["deps"]
    _submitted(ack, client, checkins.add_from_form(deps, client, context["caller"], view), deps)


def register(app: App) -> None:
    app.action(matching(CheckInActionId.RESPOND))(handle_answer_button)
    app.action(CheckInActionId.ADD_INTERVENTION.value)(handle_add_button)
    app.view(CheckInCallbackId.REASON.value)(handle_reason_submission)
    app.view(CheckInCallbackId.ADD_INTERVENTION.value)(handle_add_submission)

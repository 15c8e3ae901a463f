"""Check-ins and interventions in Slack: the owner's answers (buttons or typed in the DM), the reason
modal, ``/playbook intervene <session>``, the "Add intervention" button, and ``/playbook nation``.

Registered before the general ``/playbook`` and message listeners: Bolt runs the first listener whose
matchers all pass, so these take only what is theirs and leave everything else to the others.

Which check-in a DM reply answers: a reply in a check-in's thread answers that check-in; any other DM
reply answers the owner's most recent unanswered check-in, unless the person has a session running in
the DM that they touched more recently than that check-in was sent, in which case only a reply that
reads as a check-in answer (``done``, ``snooze`` …) is taken here and everything else goes to the
session.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta
from typing import Any, cast

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot import checkins
from bot.delivery import Shown
from bot.deps import Deps
from bot.errors import NotAllowed, PlaybookError, SessionNotFound
from bot.ids import CheckInActionId, CheckInBlockId, CheckInCallbackId
from bot.mrkdwn import escape, mention, unescape
from bot.roles import can_steer, is_lead, is_participant, lead_ids
from bot.views import common as blocks
from flows import parsing
from flows.calendar import Cadence, Nation, local_today
from flows.i18n import t
from storage.checkins import CheckIn, CheckInRepository, ResponseKind
from storage.models import SessionStatus
from storage.settings import read_settings
from storage.uow import UnitOfWork

log = logging.getLogger("playbook.checkins")

_RESPOND = re.compile(rf"^{re.escape(CheckInActionId.RESPOND.value)}(:\d+)?$")
_NATION_ALIASES: dict[str, Nation] = {
    "england-and-wales": "england-and-wales",
    "england and wales": "england-and-wales",
    "england": "england-and-wales",
    "wales": "england-and-wales",
    "scotland": "scotland",
    "northern-ireland": "northern-ireland",
    "northern ireland": "northern-ireland",
    "ni": "northern-ireland",
}
_CHECKIN_COMMANDS = frozenset({"intervene", "nation"})
_HUMAN_SUBTYPES = frozenset({None, "file_share"})


def _team(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or body.get("team_id") or "")


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


# --- the owner's answers -------------------------------------------------------------------------------


def _checkin_for_message(uow: UnitOfWork, team_id: str, event: dict[str, Any]) -> CheckIn | None:
    """The check-in a DM message answers (see the module docstring), or None if it is not for us."""
    user_id = str(event.get("user") or "")
    repository = CheckInRepository(uow.orm)
    thread_ts = event.get("thread_ts")
    if thread_ts:
        return repository.awaiting_answer(team_id, user_id, message_ts=str(thread_ts))
    checkin = repository.awaiting_answer(team_id, user_id)
    if checkin is None or checkin.sent_at is None:
        return None
    session = uow.sessions.open_dm_session(team_id, str(event.get("channel") or ""))
    if (
        session is not None
        and session.status == SessionStatus.ACTIVE
        and session.updated_at > checkin.sent_at
    ):
        text = unescape(str(event.get("text") or ""))
        return checkin if checkins.parse_checkin_reply(text) is not None else None
    return checkin


def is_checkin_reply(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> bool:
    """Matcher: a person's DM message that answers one of their check-ins."""
    if event.get("channel_type") != "im" or event.get("subtype") not in _HUMAN_SUBTYPES:
        return False
    if event.get("bot_id") or not event.get("user"):
        return False
    deps: Deps = context["deps"]
    team_id = str(body.get("team_id") or event.get("team") or "")
    with deps.uow() as uow:
        return _checkin_for_message(uow, team_id, event) is not None


def answer_in_dm(
    deps: Deps, client: WebClient, caller: Any, event: dict[str, Any], text: str
) -> Shown | None:
    """A DM message that answers one of the person's check-ins (None: it isn't one)."""
    body = {"team_id": caller.team_id, "event_id": caller.event_id}
    if not is_checkin_reply(body, event, {"deps": deps}):  # type: ignore[arg-type]
        return None
    handle_checkin_reply(body, event, client, {"deps": deps})  # type: ignore[arg-type]
    return Shown()


def handle_checkin_reply(
    body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    team_id = str(body.get("team_id") or event.get("team") or "")
    channel = str(event.get("channel") or "")
    user_id = str(event.get("user") or "")
    text = unescape(str(event.get("text") or ""))
    event_id = str(body.get("event_id") or f"{channel}:{event.get('ts')}")
    answer = checkins.parse_checkin_reply(text)
    with deps.uow() as uow:
        if not uow.events.claim(event_id, team_id):
            log.info("retried delivery of %s ignored", event_id)
            return
        checkin = _checkin_for_message(uow, team_id, event)
        if checkin is None or answer is None:
            uow.commit()
            responded = checkins.Responded(t("checkin_not_understood"))
        else:
            responded = checkins.respond(
                uow, checkin, user_id=user_id, answer=answer, raw_text=text, now=deps.clock.now()
            )
            uow.commit()
    client.chat_postMessage(channel=channel, thread_ts=event.get("thread_ts"), text=responded.reply)
    checkins.post_thread_update(client, responded.thread_update)


def _respond_and_tell(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    user_id: str,
    checkin_id: int,
    answer: checkins.ParsedReply,
    label: str,
) -> None:
    """Apply a button or modal answer, then update the check-in message and tell the owner."""
    with deps.uow() as uow:
        checkin = CheckInRepository(uow.orm).get(checkin_id)
        if checkin is None or checkin.workspace_id != team_id:
            raise PlaybookError(t("checkin_closed_already"))
        responded = checkins.respond(
            uow, checkin, user_id=user_id, answer=answer, raw_text=None, now=deps.clock.now()
        )
        channel, message_ts = checkin.channel_id, checkin.message_ts
        uow.commit()
    if channel and message_ts and responded.reply != t("checkin_not_owner"):
        try:
            client.chat_update(
                channel=channel,
                ts=message_ts,
                text=label,
                blocks=blocks.as_dicts(
                    [
                        ContextBlock(
                            elements=[
                                MarkdownTextObject(text=f"{mention(user_id)} answered: {escape(label)}")
                            ]
                        )
                    ]
                ),
            )
        except SlackApiError as error:
            log.warning("check-in message not updated: %s", error.response.get("error"))
    client.chat_postMessage(channel=channel or user_id, text=responded.reply)
    checkins.post_thread_update(client, responded.thread_update)


def _reason_modal(checkin_id: int, kind: ResponseKind) -> View:
    return View(
        type="modal",
        callback_id=CheckInCallbackId.REASON,
        title=PlainTextObject(text=t("checkin_reason_title")),
        submit=PlainTextObject(text=t("checkin_reason_submit")),
        private_metadata=json.dumps({"c": checkin_id, "r": kind.value}),
        blocks=[
            InputBlock(
                block_id=CheckInBlockId.REASON,
                label=PlainTextObject(text=t(f"checkin_reason_label_{kind.value}")),
                element=PlainTextInputElement(
                    action_id=CheckInActionId.REASON, max_length=checkins.MAX_REASON, multiline=True
                ),
            )
        ],
    )


def handle_checkin_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    try:
        value = json.loads(action.get("value") or "{}")
        checkin_id = int(value["c"])
        kind = ResponseKind(str(value["r"]))
    except (ValueError, KeyError, TypeError):
        ack()
        return
    if kind in (ResponseKind.BLOCKED, ResponseKind.NOT_DOING):
        client.views_open(trigger_id=str(body.get("trigger_id")), view=_reason_modal(checkin_id, kind))
        ack()
        return
    label = str((action.get("text") or {}).get("text") or kind.value)
    _respond_and_tell(
        deps,
        client,
        team_id=_team(body),
        user_id=_user(body),
        checkin_id=checkin_id,
        answer=checkins.ParsedReply(kind),
        label=label,
    )
    ack()


def handle_reason_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        checkin_id = int(meta["c"])
        kind = ResponseKind(str(meta["r"]))
    except (ValueError, KeyError, TypeError):
        ack()
        return
    values = (view.get("state") or {}).get("values") or {}
    reason = str(
        ((values.get(CheckInBlockId.REASON) or {}).get(CheckInActionId.REASON) or {}).get("value") or ""
    )
    if not reason.strip():
        ack(
            response_action="errors",
            errors={CheckInBlockId.REASON.value: t(f"checkin_reason_label_{kind.value}")},
        )
        return
    ack()
    label = f"{t(f'checkin_button_{kind.value}')}: {reason.strip()}"
    _respond_and_tell(
        deps,
        client,
        team_id=_team(body),
        user_id=_user(body),
        checkin_id=checkin_id,
        answer=checkins.ParsedReply(kind, reason.strip()[: checkins.MAX_REASON]),
        label=label,
    )


# --- adding an intervention later ----------------------------------------------------------------------


def intervention_modal(session_id: int, today: date) -> View:
    """The "Add intervention" form: what, owner, first check-in date, cadence."""
    cadence_options = [Option(value=c, label=t(f"cadence_{c}").capitalize()) for c in checkins.CADENCES]
    return View(
        type="modal",
        callback_id=CheckInCallbackId.ADD_INTERVENTION,
        title=PlainTextObject(text=t("intervene_title")),
        submit=PlainTextObject(text=t("intervene_submit")),
        private_metadata=json.dumps({"s": session_id}),
        blocks=[
            InputBlock(
                block_id=CheckInBlockId.WHAT,
                label=PlainTextObject(text=t("intervene_what")),
                element=PlainTextInputElement(
                    action_id=CheckInActionId.WHAT, max_length=3000, multiline=True
                ),
            ),
            InputBlock(
                block_id=CheckInBlockId.OWNER,
                label=PlainTextObject(text=t("intervene_owner")),
                element=UserSelectElement(action_id=CheckInActionId.OWNER),
            ),
            InputBlock(
                block_id=CheckInBlockId.FIRST_CHECKIN,
                label=PlainTextObject(text=t("intervene_first")),
                element=DatePickerElement(
                    action_id=CheckInActionId.FIRST_CHECKIN,
                    initial_date=(today + timedelta(days=7)).isoformat(),
                ),
            ),
            InputBlock(
                block_id=CheckInBlockId.CADENCE,
                label=PlainTextObject(text=t("intervene_cadence")),
                element=StaticSelectElement(
                    action_id=CheckInActionId.CADENCE,
                    options=cadence_options,
                    initial_option=cadence_options[0],
                ),
            ),
        ],
    )


def _may_add(deps: Deps, team_id: str, user_id: str, session_id: int) -> None:
    """Participants, the facilitator and leads may add interventions to a session."""
    with deps.uow() as uow:
        session = uow.sessions.get(team_id, session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", session=session_id))
        workspace = uow.workspaces.get(team_id)
        if not (is_participant(session, user_id) or can_steer(session, workspace, user_id)):
            raise NotAllowed(t("intervene_not_allowed", session=session_id))


def _today(deps: Deps) -> date:
    return local_today(deps.clock.now(), deps.settings.playbook_timezone)


def _open_intervention_modal(
    deps: Deps, client: WebClient, *, team_id: str, user_id: str, session_id: int, trigger_id: str
) -> None:
    _may_add(deps, team_id, user_id, session_id)
    client.views_open(trigger_id=trigger_id, view=intervention_modal(session_id, _today(deps)))


def handle_add_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    match = re.fullmatch(r"#?(\d{1,9})", str(action.get("value") or ""))
    if match is None:
        ack()
        return
    _open_intervention_modal(
        deps,
        client,
        team_id=_team(body),
        user_id=_user(body),
        session_id=int(match.group(1)),
        trigger_id=str(body.get("trigger_id")),
    )
    ack()


def _state(values: dict[str, Any], block: CheckInBlockId, action: CheckInActionId) -> dict[str, Any]:
    return cast(dict[str, Any], (values.get(block.value) or {}).get(action.value) or {})


def handle_add_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    deps: Deps = context["deps"]
    team_id, user_id = _team(body), _user(body)
    try:
        session_id = int(json.loads(view.get("private_metadata") or "{}")["s"])
    except (ValueError, KeyError, TypeError):
        ack()
        return
    values = (view.get("state") or {}).get("values") or {}
    what = str(_state(values, CheckInBlockId.WHAT, CheckInActionId.WHAT).get("value") or "").strip()
    owner = str(_state(values, CheckInBlockId.OWNER, CheckInActionId.OWNER).get("selected_user") or "")
    picked = str(
        _state(values, CheckInBlockId.FIRST_CHECKIN, CheckInActionId.FIRST_CHECKIN).get("selected_date") or ""
    )
    cadence = str(
        (_state(values, CheckInBlockId.CADENCE, CheckInActionId.CADENCE).get("selected_option") or {}).get(
            "value"
        )
        or ""
    )
    errors: dict[str, str] = {}
    if not what:
        errors[CheckInBlockId.WHAT.value] = t("intervene_what")
    if not owner:
        errors[CheckInBlockId.OWNER.value] = t("intervene_owner")
    first = parsing.parse_date(picked, today=_today(deps))
    if isinstance(first, parsing.ParseFailure):
        errors[CheckInBlockId.FIRST_CHECKIN.value] = first.message
    if cadence not in checkins.CADENCES:
        errors[CheckInBlockId.CADENCE.value] = t("intervene_cadence")
    if errors or isinstance(first, parsing.ParseFailure):
        ack(response_action="errors", errors=errors)
        return
    _may_add(deps, team_id, user_id, session_id)
    new = checkins.NewIntervention(what, owner, first, cast(Cadence, cadence))
    with deps.uow() as uow:
        session = uow.sessions.get(team_id, session_id)
        if session is None:
            raise SessionNotFound(t("unknown_session", session=session_id))
        checkins.add_intervention(uow, session, new, created_by=user_id, now=deps.clock.now())
        calendar = checkins.calendar_for(uow.workspaces.get(team_id))
        channel, thread_ts = session.channel_id, None if session.is_dm else session.thread_ts
        uow.commit()
    ack()
    client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=t(
            "intervention_added",
            owner=mention(owner),
            what=escape(blocks.clip(what, 500)),
            first=checkins.first_checkin_label(first, None, calendar),
            cadence=t(f"cadence_{cadence}"),
        ),
    )


# --- /playbook intervene, /playbook nation --------------------------------------------------------------


def is_checkin_command(body: dict[str, Any]) -> bool:
    """Matcher: ``/playbook intervene …`` and ``/playbook nation …`` are handled here."""
    return str(body.get("text") or "").strip().split(" ", 1)[0].lower() in _CHECKIN_COMMANDS


def handle_command(ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps: Deps = context["deps"]
    sub, _, rest = unescape(str(command.get("text") or "")).strip().partition(" ")
    team_id, user_id = str(command["team_id"]), str(command["user_id"])
    if sub.lower() == "nation":
        ack(text=_nation(deps, team_id, user_id, rest.strip().lower()))
        return
    match = re.fullmatch(r"#?(\d{1,9})", rest.strip())
    if match is None:
        ack(text=t("intervene_needs_session"))
        return
    session_id = int(match.group(1))
    _open_intervention_modal(
        deps,
        client,
        team_id=team_id,
        user_id=user_id,
        session_id=session_id,
        trigger_id=str(command.get("trigger_id")),
    )
    ack(text=t("intervene_opened", session=session_id))


def _nation(deps: Deps, team_id: str, user_id: str, wanted: str) -> str:
    with deps.uow() as uow:
        workspace = uow.workspaces.get_or_create(team_id)
        current = read_settings(workspace.settings, workspace.leads_channel).nation or checkins.DEFAULT_NATION
        if not wanted:
            return t("nation_usage", nation=t(f"nation_{current}"))
        nation = _NATION_ALIASES.get(re.sub(r"\s+", " ", wanted))
        if nation is None:
            return t("nation_usage", nation=t(f"nation_{current}"))
        if lead_ids(workspace) and not is_lead(workspace, user_id):
            raise NotAllowed(t("nation_not_allowed"))
        checkins.set_nation(uow, team_id, nation)
        uow.commit()
    return t("nation_set", nation=t(f"nation_{nation}"))


def register(app: App) -> None:
    app.command("/playbook", matchers=[is_checkin_command])(handle_command)
    app.action(_RESPOND)(handle_checkin_button)
    app.action(CheckInActionId.ADD_INTERVENTION.value)(handle_add_button)
    app.view(CheckInCallbackId.REASON.value)(handle_reason_submission)
    app.view(CheckInCallbackId.ADD_INTERVENTION.value)(handle_add_submission)

"""The sandbox's Slack: sample people and channels in a Web API stand-in, and what a person does on the
page turned into the signed requests Slack would send the app.

The app never knows it is in a sandbox: it receives slash commands, message events, ``block_actions``,
``view_submission`` and ``app_home_opened`` signed with its signing secret, and calls the Web API on
its ``SLACK_API_URL``. Everything here is about Slack's side of that conversation.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.ids import ShortcutCallbackId
from localslack.requests import SignedSlackClient, SlackResponse, slack_encode
from localslack.webapi import Message, SlackWebApiStandIn, UploadedFile, View

JsonDict = dict[str, Any]

TEAM_ID = "T0SANDBOX"
TEAM_NAME = "Sandbox Council"
BOT_USER_ID = "U0PLAYBOOK"
BOT_NAME = "Playbook"
TEAM_CHANNEL = "C0TEAM"
LEADS_CHANNEL = "C0LEADS"
COMMAND = "/playbook"
# The app's shortcuts, as manifest.yml declares them: callback id → (kind, name).
SHORTCUTS: dict[str, tuple[str, str]] = {
    ShortcutCallbackId.START.value: ("global", "Start a playbook session"),
    ShortcutCallbackId.ANALYSE_MESSAGE.value: ("message", "Analyse this message"),
}
# Slack refuses longer messages (msg_too_long); the page says so instead of sending them.
MESSAGE_LIMIT = 40_000
INPUT_ELEMENTS = frozenset(
    {"plain_text_input", "static_select", "users_select", "datepicker", "conversations_select"}
)
CHANNEL_NAMES = {"team": TEAM_CHANNEL, "leads": LEADS_CHANNEL}


@dataclass(frozen=True)
class SampleUser:
    id: str
    name: str
    real_name: str
    role: str


SAMPLE_USERS: tuple[SampleUser, ...] = (
    SampleUser("U0FRAN", "Fran", "Fran Okafor", "facilitator"),
    SampleUser("U0ALEX", "Alex", "Alex Morgan", "team member"),
    SampleUser("U0SAM", "Sam", "Sam Patel", "team member"),
)

_NAMES = {u.id: u.name for u in SAMPLE_USERS} | {BOT_USER_ID: BOT_NAME}


class SandboxRequestError(Exception):
    """Something the page asked for that Slack would not allow; ``message`` is shown to the person."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --------------------------------------------------------------------------------------------------
# Block Kit helpers


def normalise_blocks(blocks: list[JsonDict]) -> list[JsonDict]:
    """A copy of ``blocks`` in which every block has a ``block_id`` and every interactive element an
    ``action_id``, as Slack guarantees in the payloads it sends (it fills in ids the app left out)."""
    result = copy.deepcopy(blocks)
    for index, block in enumerate(result):
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", f"sb-{index}")
        for position, element in _elements(block):
            element.setdefault("action_id", f"sa-{index}-{position}")
    return result


def _elements(block: JsonDict) -> Iterator[tuple[str, JsonDict]]:
    """The interactive elements of a block, each with a position name unique inside the block."""
    kind = block.get("type")
    if kind == "actions":
        for number, element in enumerate(block.get("elements") or []):
            if isinstance(element, dict):
                yield str(number), element
    elif kind == "section" and isinstance(block.get("accessory"), dict):
        yield "accessory", block["accessory"]
    elif kind == "input" and isinstance(block.get("element"), dict):
        yield "input", block["element"]


def find_element(blocks: list[JsonDict], block_id: str, action_id: str) -> JsonDict | None:
    for block in normalise_blocks(blocks):
        if block.get("block_id") != block_id:
            continue
        for _position, element in _elements(block):
            if element.get("action_id") == action_id:
                return element
    return None


def find_option(element: JsonDict, value: str) -> JsonDict | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += list(group.get("options") or [])
    return next((o for o in options if isinstance(o, dict) and o.get("value") == value), None)


_MENTION = re.compile(r"(?<![\w@])@(" + "|".join([*(u.name for u in SAMPLE_USERS), BOT_NAME]) + r")\b", re.I)
_CHANNEL = re.compile(r"(?<![\w#&])#(team|leads)\b")


def slack_message_text(text: str) -> str:
    """What Slack delivers for a typed message: ``&``, ``<`` and ``>`` entity-encoded, and the
    ``@Name`` / ``#channel`` its composer autocompletes turned into ``<@U…>`` / ``<#C…|name>``."""
    encoded = slack_encode(text)
    ids = {u.name.lower(): u.id for u in SAMPLE_USERS} | {BOT_NAME.lower(): BOT_USER_ID}
    channels = {"team": TEAM_CHANNEL, "leads": LEADS_CHANNEL}
    encoded = _MENTION.sub(lambda match: f"<@{ids[match.group(1).lower()]}>", encoded)
    return _CHANNEL.sub(lambda match: f"<#{channels[match.group(1)]}|{match.group(1)}>", encoded)


def _sandbox_user(user_id: str) -> SampleUser:
    found = next((u for u in SAMPLE_USERS if u.id == user_id), None)
    if found is None:
        raise SandboxRequestError("Choose one of the sample people first.")
    return found


def _valid_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise SandboxRequestError("Dates look like 2026-03-03.") from None


def element_state(element: JsonDict, raw: Any) -> JsonDict:
    """An element's entry in ``view.state.values`` as Slack sends it, from what the page gives:
    typed text, an option's value, a user id or an ISO date (``None`` or ``""`` when left empty)."""
    kind = str(element.get("type") or "")
    given = None if raw in (None, "") else str(raw)
    state: JsonDict = {"type": kind}
    if kind == "static_select":
        option = find_option(element, given) if given is not None else None
        if given is not None and option is None:
            raise SandboxRequestError("That choice is no longer offered.")
        state["selected_option"] = option
    elif kind == "users_select":
        state["selected_user"] = _sandbox_user(given).id if given is not None else None
    elif kind == "datepicker":
        state["selected_date"] = _valid_date(given) if given is not None else None
    elif kind == "conversations_select":
        if given is not None and given not in CHANNEL_NAMES.values():
            raise SandboxRequestError("Choose one of the channels.")
        state["selected_conversation"] = given
    else:
        state["value"] = given
    return state


def state_values(blocks: list[JsonDict], values: JsonDict) -> JsonDict:
    """``view.state.values``: every input block's element (empty unless the page gave a value) and
    any other element the page gave a value for, keyed ``{block_id: {action_id: state}}``."""
    result: JsonDict = {}
    for block in normalise_blocks(blocks):
        block_id = str(block["block_id"])
        entry = values.get(block_id)
        given: JsonDict = entry if isinstance(entry, dict) else {}
        for _position, element in _elements(block):
            action_id = str(element["action_id"])
            stateful = action_id in given and element.get("type") in INPUT_ELEMENTS
            if block.get("type") != "input" and not stateful:
                continue
            result.setdefault(block_id, {})[action_id] = element_state(element, given.get(action_id))
    return result


# --------------------------------------------------------------------------------------------------


def populate(slack: SlackWebApiStandIn, bot_token: str) -> None:
    """The sample workspace in the stand-in, with the app installed under ``bot_token``."""
    slack.add_team(TEAM_ID, TEAM_NAME, bot_user_id=BOT_USER_ID, bot_token=bot_token)
    people = [u.id for u in SAMPLE_USERS]
    for user in SAMPLE_USERS:
        slack.add_user(TEAM_ID, user.id, user.name, real_name=user.real_name)
    slack.add_channel(TEAM_ID, TEAM_CHANNEL, "team", members=people)
    slack.add_channel(TEAM_ID, LEADS_CHANNEL, "leads", members=people)


@dataclass(frozen=True)
class Conversation:
    id: str
    name: str
    kind: str  # "channel" or "dm"


class SandboxWorkspace:
    """One sample workspace: three people, ``#team``, ``#leads`` and each person's DM with the app.

    Every method takes the id of the person acting, as the page's person switch sets it."""

    def __init__(self, slack: SlackWebApiStandIn, client: SignedSlackClient) -> None:
        """``slack`` must have been :func:`populate`-d (the app checks its token when it is created)."""
        self.slack = slack
        self.client = client
        self._lock = threading.Lock()
        self._triggers: dict[str, str] = {}  # trigger_id -> the person whose click or command made it
        self._seen_views: set[str] = set()
        self._modals: dict[str, list[str]] = {}  # person -> open modal ids, top last
        self._local_views: dict[str, JsonDict] = {}  # modals replaced or pushed by a response_action
        self._dms = {user.id: slack.dm_channel(TEAM_ID, user.id) for user in SAMPLE_USERS}

    # ------------------------------------------------------------------------------- description

    def conversations(self, user_id: str) -> list[Conversation]:
        _sandbox_user(user_id)
        return [
            Conversation(TEAM_CHANNEL, "team", "channel"),
            Conversation(LEADS_CHANNEL, "leads", "channel"),
            Conversation(self._dms[user_id], BOT_NAME, "dm"),
        ]

    def describe(self) -> JsonDict:
        """What the page needs once: the people, the app, and each person's conversations."""
        return {
            "team": {"id": TEAM_ID, "name": TEAM_NAME},
            "bot": {"id": BOT_USER_ID, "name": BOT_NAME},
            "command": COMMAND,
            "shortcuts": [
                {"callback_id": callback_id, "type": kind, "name": name}
                for callback_id, (kind, name) in SHORTCUTS.items()
            ],
            "users": [
                {"id": u.id, "name": u.name, "real_name": u.real_name, "role": u.role} for u in SAMPLE_USERS
            ],
            "conversations": {
                user.id: [vars(c) for c in self.conversations(user.id)] for user in SAMPLE_USERS
            },
        }

    def _conversation(self, user_id: str, channel_id: str) -> Conversation:
        found = next((c for c in self.conversations(user_id) if c.id == channel_id), None)
        if found is None:
            raise SandboxRequestError("That conversation is not open to you.")
        return found

    # ------------------------------------------------------------------------------------- state

    @staticmethod
    def _message_json(message: Message, files: dict[str, UploadedFile]) -> JsonDict:
        thread_ts = message.thread_ts if message.thread_ts not in (None, message.ts) else None
        return {
            "ts": message.ts,
            "thread_ts": thread_ts,
            "user": message.user,
            "author": _NAMES.get(message.user, message.user),
            "bot": message.bot_id is not None,
            "text": message.text,
            "blocks": normalise_blocks(message.blocks),
            "ephemeral": message.ephemeral_user is not None,
            "edited": message.edited,
            "files": [
                {
                    "id": f,
                    "name": files[f].filename,
                    "title": files[f].title or files[f].filename,
                    "size": files[f].length,
                }
                for f in message.files
                if f in files
            ],
        }

    @staticmethod
    def _view_json(view_id: str, payload: JsonDict) -> JsonDict:
        return {
            "id": view_id,
            "type": payload.get("type"),
            "title": payload.get("title"),
            "submit": payload.get("submit"),
            "close": payload.get("close"),
            "callback_id": payload.get("callback_id") or "",
            "blocks": normalise_blocks(list(payload.get("blocks") or [])),
        }

    def _sync_modals(self) -> None:
        """Put modals the app opened (``views.open`` / ``views.push``) on the stack of the person whose
        trigger opened them."""
        for view in self.slack.views:
            if view.id in self._seen_views:
                continue
            self._seen_views.add(view.id)
            owner = self._triggers.get(view.trigger_id or "")
            if owner is None:
                continue
            stack = self._modals.setdefault(owner, [])
            if view.opened_by == "views.open":
                stack.clear()
            stack.append(view.id)

    def _modal_payload(self, view_id: str) -> JsonDict | None:
        if view_id in self._local_views:
            return self._local_views[view_id]
        view = next((v for v in self.slack.views if v.id == view_id), None)
        return dict(view.view) if view is not None else None

    def _top_modal(self, user_id: str) -> tuple[str, JsonDict] | None:
        with self._lock:
            self._sync_modals()
            stack = self._modals.get(user_id) or []
            while stack:
                payload = self._modal_payload(stack[-1])
                if payload is not None:
                    return stack[-1], payload
                stack.pop()
        return None

    def file(self, user_id: str, file_id: str) -> UploadedFile:
        """A file the app uploaded, for download: only if it was shared in one of the person's
        conversations (as in Slack, a file is visible where it was shared)."""
        _sandbox_user(user_id)
        mine = {c.id for c in self.conversations(user_id)}
        found = next((f for f in self.slack.files if f.id == file_id), None)
        if found is None or found.content is None or found.channel_id not in mine:
            raise SandboxRequestError("That file is not shared with you.", status=404)
        return found

    def state(self, user_id: str) -> JsonDict:
        """Everything the person can see now, with a ``version`` that changes whenever any of it does."""
        conversations: JsonDict = {}
        files = {f.id: f for f in self.slack.files}
        for conversation in self.conversations(user_id):
            conversations[conversation.id] = [
                self._message_json(m, files)
                for m in self.slack.messages(channel=conversation.id, team_id=TEAM_ID)
                if m.ephemeral_user in (None, user_id)
            ]
        home = self.slack.home_view(TEAM_ID, user_id)
        modal = self._top_modal(user_id)
        state: JsonDict = {
            "conversations": conversations,
            "home": self._view_json(home.id, home.view) if home is not None else None,
            "modal": self._view_json(*modal) if modal is not None else None,
        }
        state["version"] = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:20]
        return state

    # ----------------------------------------------------------------------------------- actions

    def _new_trigger(self, user_id: str) -> str:
        trigger = self.client.new_trigger_id()
        with self._lock:
            self._triggers[trigger] = user_id
        return trigger

    @staticmethod
    def _checked(response: SlackResponse) -> None:
        if response.status != 200:
            raise SandboxRequestError(
                f"The app could not handle that (it answered HTTP {response.status}). "
                "The terminal running the sandbox shows the details.",
                status=502,
            )

    def post_message(self, user_id: str, channel_id: str, text: str, thread_ts: str | None) -> JsonDict:
        """A person's message: stored in the channel (as Slack does), then the ``message`` event."""
        user = _sandbox_user(user_id)
        conversation = self._conversation(user_id, channel_id)
        if not text.strip():
            raise SandboxRequestError("Type a message first.")
        if len(text) > MESSAGE_LIMIT:
            raise SandboxRequestError(
                f"Slack does not send messages longer than {MESSAGE_LIMIT:,} characters."
            )
        if thread_ts is not None:
            self._find_message(user_id, channel_id, thread_ts)
        wire = slack_message_text(text)
        message = self.slack.post_as_user(TEAM_ID, channel_id, user.id, wire, thread_ts, encoded=True)
        response = self.client.message(
            team_id=TEAM_ID,
            user_id=user.id,
            channel_id=channel_id,
            text=wire,
            thread_ts=thread_ts,
            ts=message.ts,
            channel_type="im" if conversation.kind == "dm" else "channel",
            encoded=True,
        )
        self._checked(response)
        return {"ts": message.ts}

    def run_command(self, user_id: str, channel_id: str, text: str, thread_ts: str | None) -> JsonDict:
        """``/playbook …``: the signed slash command; the app's HTTP answer is shown to this person only,
        as Slack shows it."""
        user = _sandbox_user(user_id)
        conversation = self._conversation(user_id, channel_id)
        command, _, rest = text.strip().partition(" ")
        if thread_ts is not None:
            # Slack runs no slash command typed in a thread reply: it says so and sends nothing.
            raise SandboxRequestError(f"{command} is not supported in threads. Sorry!")
        if command.lower() != COMMAND:
            raise SandboxRequestError(
                f"Only the {COMMAND} command works in the sandbox. Try `{COMMAND} help`."
            )
        response = self.client.slash_command(
            team_id=TEAM_ID,
            user_id=user.id,
            channel_id=channel_id,
            text=rest.strip(),
            command=COMMAND,
            user_name=user.name.lower(),
            channel_name=conversation.name if conversation.kind == "channel" else None,
            trigger_id=self._new_trigger(user.id),
        )
        self._checked(response)
        reply = _command_reply(response)
        if reply is not None:
            self._respond(channel_id, user.id, reply)
        return {"reply": reply.get("text", "") if reply is not None else ""}

    def shortcut(self, user_id: str, request: JsonDict) -> JsonDict:
        """A shortcut chosen from the shortcuts menu (global) or from a message's "More actions" menu
        (``channel`` + ``message_ts``): the ``shortcut`` or ``message_action`` payload."""
        user = _sandbox_user(user_id)
        callback_id = str(request.get("callback_id") or "")
        kind = SHORTCUTS.get(callback_id, ("", ""))[0]
        if kind == "global":
            response = self.client.global_shortcut(
                team_id=TEAM_ID,
                user_id=user.id,
                callback_id=callback_id,
                trigger_id=self._new_trigger(user.id),
                user_name=user.name.lower(),
            )
        elif kind == "message":
            channel_id = str(request.get("channel") or "")
            conversation = self._conversation(user_id, channel_id)
            message = self._find_message(user_id, channel_id, str(request.get("message_ts") or ""))
            shown: JsonDict = {"ts": message.ts, "text": message.text, "user": message.user}
            if message.thread_ts not in (None, message.ts):
                shown["thread_ts"] = message.thread_ts
            response = self.client.message_shortcut(
                team_id=TEAM_ID,
                user_id=user.id,
                callback_id=callback_id,
                channel_id=channel_id,
                message=shown,
                trigger_id=self._new_trigger(user.id),
                user_name=user.name.lower(),
                channel_name=conversation.name if conversation.kind == "channel" else "directmessage",
            )
        else:
            raise SandboxRequestError("The app has no such shortcut.")
        self._checked(response)
        return {}

    def _respond(self, channel_id: str, user_id: str, reply: JsonDict) -> None:
        """Show a command's answer the way Slack does: through the command's ``response_url``."""
        url = f"{self.slack.response_url_base}{TEAM_ID}/{channel_id}/{user_id}/{uuid.uuid4().hex[:12]}"
        request = urllib.request.Request(  # noqa: S310 - the stand-in's loopback URL
            url, data=json.dumps(reply).encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            answer.read()

    def _find_message(self, user_id: str, channel_id: str, ts: str) -> Message:
        found = next(
            (
                m
                for m in self.slack.messages(channel=channel_id, team_id=TEAM_ID)
                if m.ts == ts and m.ephemeral_user in (None, user_id)
            ),
            None,
        )
        if found is None:
            raise SandboxRequestError("That message is no longer there.")
        return found

    def act(self, user_id: str, request: JsonDict) -> JsonDict:
        """A click, a choice or a date on a message, the Home tab or a modal: ``block_actions``.

        ``request``: ``action`` (``block_id``, ``action_id``, ``value`` — the option's value, the user
        id or the date for selects and pickers) and where it happened: ``channel`` + ``message_ts``,
        or ``view_id`` (with the modal's current ``values``), or ``home``."""
        user = _sandbox_user(user_id)
        action = request.get("action")
        if not isinstance(action, dict):
            raise SandboxRequestError("Nothing was clicked.")
        block_id, action_id = str(action.get("block_id") or ""), str(action.get("action_id") or "")
        raw = action.get("value")
        arguments: JsonDict = {}
        if request.get("channel") and request.get("message_ts"):
            channel_id = str(request["channel"])
            self._conversation(user_id, channel_id)
            message = self._find_message(user_id, channel_id, str(request["message_ts"]))
            blocks = message.blocks
            thread_ts = message.thread_ts if message.thread_ts not in (None, message.ts) else None
            arguments.update(
                channel_id=channel_id,
                message_ts=message.ts,
                thread_ts=thread_ts,
                message={"text": message.text, "blocks": message.blocks, "user": message.user},
            )
        elif request.get("home"):
            home = self.slack.home_view(TEAM_ID, user.id)
            if home is None:
                raise SandboxRequestError("The Home tab has changed; have another look.")
            blocks = home.blocks
            arguments["view"] = self._payload_view(home, home.view, {})
        elif request.get("view_id"):
            view_id = str(request["view_id"])
            top = self._top_modal(user.id)
            if top is None or top[0] != view_id:
                raise SandboxRequestError("That window has closed.")
            blocks = list(top[1].get("blocks") or [])
            values = request.get("values") if isinstance(request.get("values"), dict) else {}
            arguments["view"] = self._payload_view(None, top[1], values or {}, view_id=view_id)
        else:
            raise SandboxRequestError("Say where the control is: a message, the Home tab or a window.")
        element = find_element(blocks, block_id, action_id)
        if element is None:
            raise SandboxRequestError("That control is no longer there; the message has changed.")
        kind = str(element.get("type") or "button")
        if kind == "button":
            arguments["value"] = element.get("value")
        elif kind in ("static_select", "overflow"):
            option = find_option(element, str(raw or ""))
            if option is None:
                raise SandboxRequestError("Choose one of the options.")
            arguments["selected_option"] = option
        elif kind == "users_select":
            arguments["selected_user"] = _sandbox_user(str(raw or "")).id
        elif kind == "datepicker":
            arguments["selected_date"] = _valid_date(str(raw or ""))
        else:
            raise SandboxRequestError(f"The sandbox cannot use a {kind} control yet.")
        response = self.client.block_action(
            team_id=TEAM_ID,
            user_id=user.id,
            action_id=action_id,
            block_id=block_id,
            action_type=kind,
            trigger_id=self._new_trigger(user.id),
            user_name=user.name.lower(),
            **arguments,
        )
        self._checked(response)
        return {}

    @staticmethod
    def _payload_view(
        view: View | None, payload: JsonDict, values: JsonDict, *, view_id: str | None = None
    ) -> JsonDict:
        """A view as Slack puts it in an interaction payload, with the current ``state``."""
        blocks = list(payload.get("blocks") or [])
        return {
            "id": view.id if view is not None else view_id,
            "team_id": TEAM_ID,
            "type": payload.get("type"),
            "hash": view.hash if view is not None else "",
            "callback_id": payload.get("callback_id") or "",
            "private_metadata": payload.get("private_metadata") or "",
            "external_id": payload.get("external_id") or "",
            "title": payload.get("title"),
            "blocks": blocks,
            "state": {"values": state_values(blocks, values)},
        }

    def open_home(self, user_id: str) -> JsonDict:
        """The person opened the app's Home tab: ``app_home_opened``, then whatever the app published."""
        user = _sandbox_user(user_id)
        self._checked(
            self.client.app_home_opened(team_id=TEAM_ID, user_id=user.id, channel_id=self._dms[user.id])
        )
        home = self.slack.home_view(TEAM_ID, user.id)
        return {"home": self._view_json(home.id, home.view) if home is not None else None}

    def submit_view(self, user_id: str, view_id: str, values: JsonDict) -> JsonDict:
        """The person pressed a modal's submit button: ``view_submission`` with the inputs' state.
        The app's ``response_action`` is honoured: ``errors`` (shown by the inputs), ``update``,
        ``push``, ``clear``; otherwise the modal closes."""
        user = _sandbox_user(user_id)
        top = self._top_modal(user.id)
        if top is None or top[0] != view_id:
            raise SandboxRequestError("That window has closed.")
        payload = top[1]
        blocks = list(payload.get("blocks") or [])
        response = self.client.view_submission(
            team_id=TEAM_ID,
            user_id=user.id,
            callback_id=str(payload.get("callback_id") or ""),
            state_values=state_values(blocks, values),
            private_metadata=str(payload.get("private_metadata") or ""),
            view_id=view_id,
            blocks=blocks,
            user_name=user.name.lower(),
        )
        self._checked(response)
        answer = response.json() if response.body.strip().startswith("{") else {}
        action = answer.get("response_action") if isinstance(answer, dict) else None
        with self._lock:
            stack = self._modals.setdefault(user.id, [])
            if action == "errors":
                return {"errors": dict(answer.get("errors") or {})}
            if action == "update" and isinstance(answer.get("view"), dict):
                self._local_views[view_id] = answer["view"]
            elif action == "push" and isinstance(answer.get("view"), dict):
                pushed = f"VSANDBOX{uuid.uuid4().hex[:10].upper()}"
                self._local_views[pushed] = answer["view"]
                stack.append(pushed)
            elif action == "clear":
                stack.clear()
            elif stack and stack[-1] == view_id:
                stack.pop()
        return {}

    def close_view(self, user_id: str, view_id: str) -> JsonDict:
        user = _sandbox_user(user_id)
        with self._lock:
            stack = self._modals.get(user.id) or []
            if stack and stack[-1] == view_id:
                stack.pop()
        return {}


def _command_reply(response: SlackResponse) -> JsonDict | None:
    """The message in a slash command's HTTP answer (JSON as Bolt sends it, or plain text)."""
    body = response.body.strip()
    if not body:
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"text": body, "response_type": "ephemeral"}
    if not isinstance(parsed, dict) or not (parsed.get("text") or parsed.get("blocks")):
        return None
    reply: JsonDict = {"response_type": parsed.get("response_type") or "ephemeral"}
    for key in ("text", "blocks"):
        if parsed.get(key):
            reply[key] = parsed[key]
    return reply

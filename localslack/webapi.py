"""An in-memory Slack Web API behind a real HTTP server on the loopback interface.

A real ``slack_sdk.WebClient(base_url=standin.base_url, token=...)`` works against it unchanged. It
holds one or more workspaces (teams with users and channels), records every call and every message
the app posts, enforces the Block Kit and message limits Slack enforces (answering with Slack's own
error codes), and can fail on demand (429 with ``Retry-After``, 5xx, or ``ok: false``), rate-limit
like Slack does, hold a call (``stall_next``: before Slack accepts it, or after, dropping the answer) or
refuse connections altogether (``down()``/``up()``), for the end-to-end tests, the benchmarks and the
sandbox.

Everything is guarded by one lock: the app calls it from several threads at once.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

JsonDict = dict[str, Any]

log = logging.getLogger("playbook.localslack")

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_LIMIT = 40_000
SECTION_TEXT_LIMIT = 3000
SECTION_FIELDS_LIMIT = 10
SECTION_FIELD_TEXT_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
ID_LIMIT = 255
MODAL_TITLE_LIMIT = 24
PRIVATE_METADATA_LIMIT = 3000
INPUT_MAX_LENGTH_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
OPTIONS_LIMIT = 100
ACTIONS_ELEMENTS_LIMIT = 25
CONTEXT_ELEMENTS_LIMIT = 10
LABEL_LIMIT = 2000
METADATA_LIMIT = 8000
HISTORY_PAGE_LIMIT = 999

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)
TEXT_OBJECT_TYPES = frozenset({"plain_text", "mrkdwn"})
DEFAULT_OAUTH_SCOPE = ",".join(
    [
        "app_mentions:read",
        "channels:history",
        "chat:write",
        "commands",
        "files:write",
        "groups:history",
        "im:history",
        "im:write",
        "reactions:write",
        "users:read",
    ]
)


@dataclass
class ApiCall:
    """One request to a Web API method, as received (the token is not kept)."""

    method: str
    params: JsonDict
    team_id: str | None
    at: float
    status: int = 200
    error: str | None = None  # Slack's error code when the reply was ``ok: false``
    # Accepted (and, for a post, stored) but the connection was closed without an answer (a stall
    # ``after``): the caller never learnt that it worked.
    dropped: bool = False


@dataclass
class Message:
    """A message as Slack holds it. ``thread_ts`` is what the poster gave (``None`` for a top-level
    message, even one with replies); ``ephemeral_user`` is set only for ephemeral messages."""

    team_id: str
    channel: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    blocks: list[JsonDict]
    ephemeral_user: str | None = None
    edited: bool = False
    bot_id: str | None = None
    files: list[str] = field(default_factory=list)
    reactions: list[str] = field(default_factory=list)
    # Slack message metadata as posted: ``{"event_type": ..., "event_payload": {...}}``.
    metadata: JsonDict | None = None


@dataclass
class View:
    """A modal (opened or pushed) or a Home tab (published); ``view`` is its current payload."""

    id: str
    team_id: str
    type: str
    view: JsonDict
    opened_by: str  # the method that created it: views.open, views.push or views.publish
    hash: str
    trigger_id: str | None = None
    user_id: str | None = None  # set for Home tabs
    updates: int = 0

    @property
    def blocks(self) -> list[JsonDict]:
        blocks = self.view.get("blocks") or []
        return list(blocks)

    @property
    def callback_id(self) -> str:
        return str(self.view.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        return str(self.view.get("private_metadata") or "")


@dataclass
class UploadedFile:
    """A file sent through ``files.getUploadURLExternal``, the upload URL and
    ``files.completeUploadExternal``."""

    id: str
    team_id: str
    filename: str
    length: int
    title: str = ""
    alt_txt: str | None = None  # the description Slack shows and reads out in place of an image
    content: bytes | None = None
    channel_id: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False


@dataclass
class _Team:
    id: str
    name: str
    domain: str
    bot_user_id: str
    bot_id: str


@dataclass
class _User:
    id: str
    team_id: str
    name: str
    real_name: str
    tz: str
    is_bot: bool
    is_admin: bool
    # A workspace owner (users.info is_owner); an owner need not also be an admin.
    is_owner: bool = False


@dataclass
class _Channel:
    id: str
    team_id: str
    name: str
    members: list[str]
    bot_is_member: bool
    is_im: bool
    is_private: bool
    is_mpim: bool = False
    user: str | None = None  # the other party of a DM
    created: int = 0


@dataclass
class _OAuthGrant:
    team_id: str
    team_name: str | None
    bot_token: str
    bot_user_id: str
    scope: str
    authed_user_id: str
    app_id: str
    enterprise_id: str | None
    refresh_token: str | None
    expires_in: int | None


@dataclass
class _Failure:
    method: str
    team_id: str | None
    status: int
    retry_after: int
    error: str | None
    remaining: int


@dataclass
class _EveryNth:
    method: str
    team_id: str | None
    every: int
    status: int
    retry_after: int
    error: str | None
    seen: int = 0


@dataclass(frozen=True)
class _RateLimit:
    per_second: float
    burst: int
    per: Literal["channel", "workspace"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class _Reply(NamedTuple):
    status: int
    body: JsonDict
    headers: dict[str, str]


# Marks a stalled answer to be cut short by the HTTP handler (never sent: see stall_next).
_CUT_SHORT = "X-Localslack-Cut-Short"

# How long a stalled call is held at most when nobody releases it, so that a forgotten stall cannot
# keep a server thread forever.
STALL_LIMIT = 120.0


class Stall:
    """A Web API call the stand-in holds (see :meth:`SlackWebApiStandIn.stall_next`).

    ``reached`` is set when the call arrives: with ``when="before"`` nothing has happened yet; with
    ``when="after"`` Slack has accepted the call (a posted message is stored) and the answer is being
    held. A test waits on it (``stall.wait(timeout)``, or polls ``stall.is_set()``), does what it wants
    meanwhile (kill the process that made the call, say), then ``release()``: either way the
    connection is then closed without an answer, so the caller sees a transport error; a call held
    ``before`` was never processed (Slack never got it), one held ``after`` was (Slack did what it
    asked, the caller cannot know)."""

    def __init__(
        self,
        method: str,
        when: Literal["before", "after"],
        team_id: str | None,
        match: Callable[[JsonDict], bool] | None,
        token: str | None = None,
    ) -> None:
        self.method = method
        self.when = when
        self.cut_short = False  # ``after`` only: answer with half the reply, then close
        self.team_id = team_id
        self.match = match
        self.token = token
        self.reached = threading.Event()
        self.released = threading.Event()
        self.call: ApiCall | None = None  # the call, once it arrived
        self.reply: JsonDict | None = None  # what Slack would have answered (``after`` only)

    def wait(self, timeout: float) -> bool:
        """Block until the call arrives (True) or ``timeout`` seconds pass (False)."""
        return self.reached.wait(timeout)

    def is_set(self) -> bool:
        """Whether the call has arrived (so a stall reads like the event it waits on)."""
        return self.reached.is_set()

    def release(self) -> None:
        self.released.set()

    def _applies(self, method: str, team_id: str | None, token: str | None, params: JsonDict) -> bool:
        return (
            method == self.method
            and (self.team_id is None or self.team_id == team_id)
            and (self.token is None or self.token == token)
            and (self.match is None or self.match(params))
        )

    def _hold(self) -> None:
        self.reached.set()
        self.released.wait(STALL_LIMIT)


class SlackError(Exception):
    """Raised inside a method handler: becomes ``{"ok": false, "error": code, **extra}`` with HTTP 200."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def _slack_domain(name: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-") or "workspace"


def _ts_from_micros(value: int) -> str:
    return f"{value // 1_000_000}.{value % 1_000_000:06d}"


# --------------------------------------------------------------------------------------------------
# Block Kit validation: error strings in Slack's style, "<problem> [json-pointer:/blocks/0/text]".


def _problem(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


def _check_len(value: Any, limit: int, pointer: str, errors: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.append(_problem(f"must be less than {limit + 1} characters", pointer))


def _check_text_object(
    obj: Any, pointer: str, errors: list[str], *, limit: int, plain_only: bool = False
) -> None:
    if not isinstance(obj, dict):
        errors.append(_problem("must be a text object", pointer))
        return
    kind = obj.get("type")
    allowed = {"plain_text"} if plain_only else TEXT_OBJECT_TYPES
    if kind not in allowed:
        errors.append(_problem(f"must be one of {sorted(allowed)}", f"{pointer}/type"))
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        errors.append(_problem("must be more than 0 characters", f"{pointer}/text"))
        return
    _check_len(text, limit, f"{pointer}/text", errors)


def _walk(value: Any, pointer: str) -> Iterator[tuple[JsonDict, str]]:
    """Every object nested in ``value`` (itself included) with its JSON pointer."""
    if isinstance(value, dict):
        yield value, pointer
        for key, inner in value.items():
            yield from _walk(inner, f"{pointer}/{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _walk(inner, f"{pointer}/{index}")


def _check_elements(block: JsonDict, pointer: str, errors: list[str]) -> None:
    """Limits on interactive elements anywhere inside a block."""
    for obj, where in _walk(block, pointer):
        _check_len(obj.get("action_id"), ID_LIMIT, f"{where}/action_id", errors)
        kind = obj.get("type")
        if kind == "button":
            _check_text_object(
                obj.get("text"), f"{where}/text", errors, limit=BUTTON_TEXT_LIMIT, plain_only=True
            )
            _check_len(obj.get("value"), BUTTON_VALUE_LIMIT, f"{where}/value", errors)
        elif kind == "plain_text_input":
            for key in ("max_length", "min_length"):
                length = obj.get(key)
                if isinstance(length, int) and length > INPUT_MAX_LENGTH_LIMIT:
                    errors.append(
                        _problem(f"must be less than {INPUT_MAX_LENGTH_LIMIT + 1}", f"{where}/{key}")
                    )
        options = obj.get("options")
        if isinstance(options, list) and kind != "rich_text_list":
            if len(options) > OPTIONS_LIMIT:
                errors.append(_problem(f"must be less than {OPTIONS_LIMIT + 1} items", f"{where}/options"))
            for index, option in enumerate(options):
                if isinstance(option, dict) and "value" in option:
                    _check_len(
                        option.get("value"), OPTION_VALUE_LIMIT, f"{where}/options/{index}/value", errors
                    )
                    text = option.get("text")
                    if isinstance(text, dict):
                        _check_len(
                            text.get("text"), OPTION_TEXT_LIMIT, f"{where}/options/{index}/text/text", errors
                        )


def _check_block(block: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(block, dict):
        errors.append(_problem("must be an object", pointer))
        return
    kind = block.get("type")
    if kind not in KNOWN_BLOCK_TYPES:
        errors.append(_problem(f"unsupported type: {kind!r}", f"{pointer}/type"))
        return
    _check_len(block.get("block_id"), ID_LIMIT, f"{pointer}/block_id", errors)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(_problem("must provide either text or fields", pointer))
        if "text" in block:
            _check_text_object(block["text"], f"{pointer}/text", errors, limit=SECTION_TEXT_LIMIT)
        fields = block.get("fields")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > SECTION_FIELDS_LIMIT:
                errors.append(
                    _problem(f"must be less than {SECTION_FIELDS_LIMIT + 1} items", f"{pointer}/fields")
                )
            else:
                for index, item in enumerate(fields):
                    _check_text_object(
                        item, f"{pointer}/fields/{index}", errors, limit=SECTION_FIELD_TEXT_LIMIT
                    )
    elif kind == "header":
        _check_text_object(
            block.get("text"), f"{pointer}/text", errors, limit=HEADER_TEXT_LIMIT, plain_only=True
        )
    elif kind in ("actions", "context"):
        limit = ACTIONS_ELEMENTS_LIMIT if kind == "actions" else CONTEXT_ELEMENTS_LIMIT
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            errors.append(_problem("must provide at least one element", f"{pointer}/elements"))
        elif len(elements) > limit:
            errors.append(_problem(f"must be less than {limit + 1} items", f"{pointer}/elements"))
    elif kind == "input":
        _check_text_object(block.get("label"), f"{pointer}/label", errors, limit=LABEL_LIMIT, plain_only=True)
        if not isinstance(block.get("element"), dict):
            errors.append(_problem("must provide an element", f"{pointer}/element"))
    elif kind == "image":
        if not (block.get("image_url") or block.get("slack_file")):
            errors.append(_problem("must provide image_url or slack_file", pointer))
        if not isinstance(block.get("alt_text"), str) or not block.get("alt_text"):
            errors.append(_problem("must provide alt_text", f"{pointer}/alt_text"))
    _check_elements(block, pointer, errors)


def validate_blocks(blocks: Any, *, limit: int, pointer: str = "/blocks") -> list[str]:
    """Slack's complaints about a list of blocks (empty when Slack would accept it)."""
    if not isinstance(blocks, list):
        return [_problem("must be an array", pointer)]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(_problem(f"must be less than {limit + 1} items", pointer))
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        _check_block(block, f"{pointer}/{index}", errors)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                errors.append(_problem(f"duplicate block_id {block_id!r}", f"{pointer}/{index}/block_id"))
            seen.add(block_id)
    return errors


def validate_view(view: Any, *, expected_type: str | None) -> list[str]:
    """Slack's complaints about a modal or Home tab view payload."""
    if not isinstance(view, dict):
        return [_problem("must be an object", "/view")]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home") or (expected_type is not None and kind != expected_type):
        errors.append(_problem(f"must be {expected_type or 'modal or home'}", "/view/type"))
    if kind == "modal":
        _check_text_object(view.get("title"), "/view/title", errors, limit=MODAL_TITLE_LIMIT, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                _check_text_object(
                    view[key], f"/view/{key}", errors, limit=MODAL_TITLE_LIMIT, plain_only=True
                )
        blocks = view.get("blocks") or []
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            errors.append(_problem("must provide submit when the view has input blocks", "/view/submit"))
    _check_len(view.get("private_metadata"), PRIVATE_METADATA_LIMIT, "/view/private_metadata", errors)
    _check_len(view.get("callback_id"), ID_LIMIT, "/view/callback_id", errors)
    _check_len(view.get("external_id"), ID_LIMIT, "/view/external_id", errors)
    errors += validate_blocks(view.get("blocks", []), limit=VIEW_BLOCK_LIMIT, pointer="/view/blocks")
    return errors


# --------------------------------------------------------------------------------------------------
# Request parameters as slack_sdk sends them: JSON bodies, form bodies, query strings.


def _json_param(params: JsonDict, key: str, *, error: str = "invalid_arguments") -> Any:
    """A parameter that is JSON: already decoded in a JSON body, a JSON string in a form body."""
    value = params.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise SlackError(
                error, response_metadata={"messages": [f"[ERROR] invalid JSON in {key}"]}
            ) from None
    return value


def _str_param(params: JsonDict, key: str) -> str | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    return str(value)


def _required(params: JsonDict, key: str) -> str:
    value = _str_param(params, key)
    if value is None:
        raise SlackError(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {key}"]}
        )
    return value


def _truthy(params: JsonDict, key: str) -> bool:
    return params.get(key) in (True, 1, "1", "true", "True")


def _list_param(params: JsonDict, key: str) -> list[str]:
    value = params.get(key)
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return []


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds or 0), int((micros or "0").ljust(6, "0")[:6])


def _in_window(ts: str, params: JsonDict) -> bool:
    """Whether a message's ts is within ``oldest``..``latest`` (bounds exclusive unless
    ``inclusive``), as conversations.history and conversations.replies read them."""
    inclusive = _truthy(params, "inclusive")
    oldest, latest = _str_param(params, "oldest"), _str_param(params, "latest")
    key = _ts_key(ts)
    if oldest is not None and (key < _ts_key(oldest) or (key == _ts_key(oldest) and not inclusive)):
        return False
    return latest is None or key < _ts_key(latest) or (key == _ts_key(latest) and inclusive)


def _page(items: list[Message], params: JsonDict, *, default: int) -> tuple[list[Message], bool, str]:
    """One page of ``items``: ``limit`` of them from the ``cursor`` on; whether there are more, and
    the cursor of the next page ("" when none)."""
    try:
        limit = int(params.get("limit") or default) or default
        start = int(params.get("cursor") or 0)
    except (TypeError, ValueError):
        raise SlackError("invalid_cursor") from None
    limit = min(max(limit, 1), HISTORY_PAGE_LIMIT)
    page = items[start : start + limit]
    more = start + limit < len(items)
    return page, more, str(start + limit) if more else ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    standin: SlackWebApiStandIn


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # The headers and the body of a response are two writes: with Nagle's algorithm on, the body
    # waited for the client's delayed ACK of the headers (about 40 ms on Linux) on every call over a
    # kept-alive connection. Slack's own servers answer without that stall.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no request lines on stderr."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        standin = self.server.standin
        if standin.is_down:  # a request on a connection opened before down(): no answer either
            self.close_connection = True
            return
        try:
            answer = standin._handle_http(self.command, self.path, dict(self.headers), body)
        except Exception:  # a bug in the stand-in must show as a 500, not as a dropped connection
            log.exception("local Slack stand-in failed on %s %s", self.command, self.path)
            answer = 500, b'{"ok": false, "error": "internal_error"}', {}
        if answer is None or standin.is_down:  # dropped: close the connection without an answer
            self.close_connection = True
            return
        status, payload, headers = answer
        cut_short = headers.pop(_CUT_SHORT, None) is not None
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if cut_short:  # the answer begun, then the line drops (see stall_next)
            self.wfile.write(payload[: len(payload) // 2])
            self.close_connection = True
            return
        self.wfile.write(payload)


MethodHandler = Callable[[_Team, JsonDict], JsonDict]


class SlackWebApiStandIn:
    """The local Slack. ``start()`` it, point a ``WebClient`` at ``base_url``, then inspect what the
    app did with ``calls``, ``messages()``, ``views``, ``home_view()`` and ``files``."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.host = host
        self.port = port
        self.base_url = ""
        self._clock = clock
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._teams: dict[str, _Team] = {}
        self._tokens: dict[str, str] = {}
        self._users: dict[str, dict[str, _User]] = {}
        self._channels: dict[str, dict[str, _Channel]] = {}
        self._calls: list[ApiCall] = []
        self._messages: list[Message] = []  # in ts order: every ts comes from _next_ts()
        self._by_key: dict[tuple[str, str, str], Message] = {}  # (team, channel, ts) of non-ephemerals
        self._views: dict[str, View] = {}
        self._home: dict[tuple[str, str], View] = {}
        self._files: dict[str, UploadedFile] = {}
        self._grants: dict[str, _OAuthGrant] = {}
        # Token rotation: refresh token -> the installation it renews (each is used once).
        self._refreshable: dict[str, _OAuthGrant] = {}
        self._rotations = 0
        self._failures: list[_Failure] = []
        self._every: list[_EveryNth] = []
        self._limits: dict[str, _RateLimit] = {}
        self._buckets: dict[tuple[str, str, str | None], _Bucket] = {}
        self._used_triggers: set[str] = set()
        self._stalls: list[Stall] = []  # waiting for their call
        self._every_stall: list[Stall] = []  # waiting or holding one, until released
        self._down = False
        self._last_ts = 0
        self._serial = 0
        self._methods: dict[str, MethodHandler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.open": self._conversations_open,
            "conversations.join": self._conversations_join,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "reactions.add": self._reactions_add,
            "team.info": self._team_info,
        }

    # ---------------------------------------------------------------------------------- lifecycle

    def start(self) -> str:
        """Serve on ``host:port`` (port 0 picks a free one) in a daemon thread; returns ``base_url``."""
        with self._lock:
            self._down = False
            if self._server is not None:
                return self.base_url
            server = _Server((self.host, self.port), _Handler)
            server.standin = self
            self._server = server
            self.port = server.server_address[1]
            self.base_url = f"http://{self.host}:{self.port}/api/"
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="localslack", daemon=True
            )
            self._thread.start()
            return self.base_url

    def stop(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        self.release_stalls()
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def down(self) -> None:
        """Slack unreachable: stop listening (connections are refused) and close connections that are
        open without answering them. Teams, channels and messages are kept for :meth:`up`."""
        with self._lock:
            self._down = True
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def up(self) -> str:
        """Serve again, on the same port (``base_url`` is unchanged), after :meth:`down`."""
        return self.start()

    @property
    def is_down(self) -> bool:
        return self._down

    def __enter__(self) -> SlackWebApiStandIn:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        """``http://host:port/`` (the Web API is under ``api/``)."""
        return self.base_url.removesuffix("api/")

    @property
    def response_url_base(self) -> str:
        """Give this to ``SignedSlackClient(response_url_base=...)``: ``response_url`` posts made by the
        app then land here as messages (ephemeral unless ``response_type`` is ``in_channel``)."""
        return f"{self.root_url}hooks/response/"

    # -------------------------------------------------------------------------------------- setup

    def add_team(
        self,
        team_id: str,
        name: str,
        *,
        bot_user_id: str = "UBOT",
        bot_token: str | None = None,
        bot_id: str | None = None,
    ) -> None:
        """A workspace with the app installed; ``bot_token`` (default ``xoxb-test-<team_id>``)
        identifies it."""
        with self._lock:
            team = _Team(
                team_id, name, _slack_domain(name), bot_user_id, bot_id or f"B{team_id.removeprefix('T')}"
            )
            self._teams[team_id] = team
            self._tokens[bot_token or f"xoxb-test-{team_id}"] = team_id
            self._users.setdefault(team_id, {})
            self._channels.setdefault(team_id, {})
            self._users[team_id][bot_user_id] = _User(
                bot_user_id, team_id, "playbook", "Playbook", "Europe/London", is_bot=True, is_admin=False
            )

    def add_token(self, team_id: str, bot_token: str) -> None:
        """Another bot token for a workspace (each process of a test may have its own, so that
        ``stall_next(token=...)`` can pick one process's calls)."""
        with self._lock:
            self._team(team_id)
            self._tokens[bot_token] = team_id

    def add_user(
        self,
        team_id: str,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        tz: str = "Europe/London",
        is_bot: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
    ) -> None:
        with self._lock:
            self._team(team_id)
            ZoneInfo(tz)  # fail at setup, not in users.info, on a misspelt zone
            self._users[team_id][user_id] = _User(
                user_id, team_id, name, real_name or name, tz, is_bot, is_admin, is_owner
            )

    def add_channel(
        self,
        team_id: str,
        channel_id: str,
        name: str,
        *,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
        is_im: bool = False,
        is_private: bool = False,
    ) -> None:
        """A channel. With ``is_im`` it is the DM between the bot and ``members[0]``."""
        with self._lock:
            self._team(team_id)
            people = list(members)
            self._channels[team_id][channel_id] = _Channel(
                channel_id,
                team_id,
                name,
                people,
                bot_is_member or is_im,
                is_im,
                is_private or is_im,
                user=people[0] if is_im and people else None,
                created=int(self._clock()),
            )

    def set_member(self, team_id: str, channel_id: str, user_id: str, *, member: bool = True) -> None:
        """Add ``user_id`` to a channel, or (``member=False``) remove them, as people join and leave."""
        with self._lock:
            channel = self._channels[self._team(team_id).id][channel_id]
            if member and user_id not in channel.members:
                channel.members.append(user_id)
            elif not member and user_id in channel.members:
                channel.members.remove(user_id)

    def dm_channel(self, team_id: str, user_id: str) -> str:
        """The id of the bot's DM with ``user_id`` (opened if need be, as conversations.open does)."""
        with self._lock:
            team = self._team(team_id)
            if user_id not in self._users[team.id]:
                raise KeyError(f"no user {user_id} in {team_id}")
            return self._dm_for(team, user_id).id

    def set_oauth_grant(
        self,
        code: str,
        team_id: str,
        bot_token: str,
        bot_user_id: str,
        *,
        team_name: str | None = None,
        scope: str = DEFAULT_OAUTH_SCOPE,
        authed_user_id: str = "UINSTALLER",
        app_id: str = "A0PLAYBOOK",
        enterprise_id: str | None = None,
        refresh_token: str | None = None,
        expires_in: int | None = None,
    ) -> None:
        """What ``oauth.v2.access`` answers for ``code`` (once, like Slack). The exchange installs the
        app: the team is added if new, and ``bot_token`` then identifies it."""
        with self._lock:
            self._grants[code] = _OAuthGrant(
                team_id,
                team_name,
                bot_token,
                bot_user_id,
                scope,
                authed_user_id,
                app_id,
                enterprise_id,
                refresh_token,
                expires_in,
            )

    # ---------------------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
        times: int = 1,
        team_id: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail: with ``error`` given, HTTP 200 and
        ``{"ok": false, "error": error}``; otherwise HTTP ``status`` (429 with ``Retry-After:
        retry_after``, or a 5xx)."""
        if error is None and status != 429 and not 500 <= status <= 599:
            raise ValueError("status must be 429 or 5xx (or give an error code for an ok: false reply)")
        if times < 1 or retry_after < 0:
            raise ValueError("times must be at least 1 and retry_after not negative")
        with self._lock:
            self._failures.append(_Failure(method, team_id, status, retry_after, error, times))

    def fail_every(
        self,
        method: str,
        every: int,
        *,
        status: int = 429,
        retry_after: int = 1,
        error: str | None = None,
        team_id: str | None = None,
    ) -> None:
        """Make every ``every``-th call of ``method`` from now on fail (the ``every``-th, the
        ``2 × every``-th …, counting the calls ``fail_next`` did not fail), as :meth:`fail_next`
        describes, until :meth:`reset`. Retries count as calls: with ``every=3`` a call that failed is
        followed by two that succeed."""
        if error is None and status != 429 and not 500 <= status <= 599:
            raise ValueError("status must be 429 or 5xx (or give an error code for an ok: false reply)")
        if every < 2 or retry_after < 0:
            raise ValueError("every must be at least 2 (fail_next fails every call) and retry_after >= 0")
        with self._lock:
            self._every.append(_EveryNth(method, team_id, every, status, retry_after, error))

    def set_rate_limit(
        self, method: str, per_second: float, burst: int = 1, per: Literal["channel", "workspace"] = "channel"
    ) -> None:
        """Token-bucket limit on ``method`` per channel (or per workspace): over it, HTTP 429 with a
        whole-second ``Retry-After`` of at least 1, as Slack sends."""
        if per_second <= 0 or burst < 1 or per not in ("channel", "workspace"):
            raise ValueError("per_second must be positive, burst at least 1, per 'channel' or 'workspace'")
        with self._lock:
            self._limits[method] = _RateLimit(per_second, burst, per)
            self._buckets = {key: bucket for key, bucket in self._buckets.items() if key[1] != method}

    def clear_rate_limits(self) -> None:
        with self._lock:
            self._limits.clear()
            self._buckets.clear()

    def stall_next(
        self,
        method: str,
        when: Literal["before", "after"] = "before",
        *,
        team_id: str | None = None,
        token: str | None = None,
        match: Callable[[JsonDict], bool] | None = None,
        cut_short: bool = False,
    ) -> Stall:
        """Hold the next call of ``method`` (of ``team_id``, made with ``token``, and whose parameters
        ``match``, when given; ``match`` is asked only once the rest fits) until the returned
        :class:`Stall` (or :meth:`release_stalls`) releases it: ``before`` Slack does anything, or
        ``after`` Slack accepted it (a message is stored); then the connection is closed unanswered.
        Wait for the call with ``stall.wait(timeout)``; no sleeping needed. Other calls go on
        meanwhile. With ``cut_short`` (``after`` only) the answer is begun instead, its status and
        headers and half its body, before the connection closes: the caller's HTTP library reads an
        incomplete answer rather than none."""
        if when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        if cut_short and when != "after":
            raise ValueError("only an answer given after Slack accepted the call can be cut short")
        stall = Stall(method, when, team_id, match, token)
        stall.cut_short = cut_short
        with self._lock:
            self._stalls.append(stall)
            self._every_stall.append(stall)
        return stall

    def release_stalls(self) -> None:
        """Release every stall, held or still waiting for its call (which then goes through)."""
        with self._lock:
            stalls, self._every_stall, self._stalls = self._every_stall, [], []
        for stall in stalls:
            stall.release()

    # --------------------------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[ApiCall]:
        """Every Web API request so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def messages(
        self, channel: str | None = None, thread_ts: str | None = None, team_id: str | None = None
    ) -> list[Message]:
        """Messages in ts order. ``thread_ts`` selects a thread: its parent (if any) and its replies,
        as conversations.replies does."""
        with self._lock:
            return [
                m
                for m in self._messages
                if (channel is None or m.channel == channel)
                and (team_id is None or m.team_id == team_id)
                and (thread_ts is None or m.thread_ts == thread_ts or m.ts == thread_ts)
            ]

    def home_view(self, team_id: str, user_id: str) -> View | None:
        """The Home tab last published for that user, if any."""
        with self._lock:
            return self._home.get((team_id, user_id))

    @property
    def views(self) -> list[View]:
        """Modals opened or pushed, oldest first, each in its current (possibly updated) state."""
        with self._lock:
            return [view for view in self._views.values() if view.type == "modal"]

    @property
    def files(self) -> list[UploadedFile]:
        """Files whose upload was completed."""
        with self._lock:
            return [f for f in self._files.values() if f.completed]

    def reset(self) -> None:
        """Forget calls, messages, views, files and pending or periodic failures; keep teams, users,
        channels and rate-limit settings (with full buckets)."""
        with self._lock:
            self._calls.clear()
            self._messages.clear()
            self._by_key.clear()
            self._views.clear()
            self._home.clear()
            self._files.clear()
            self._failures.clear()
            self._every.clear()
            self._buckets.clear()
            self._used_triggers.clear()
        self.release_stalls()

    def post_as_user(
        self,
        team_id: str,
        channel: str,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        *,
        encoded: bool = False,
    ) -> Message:
        """Store a person's message with a fresh ts (no event is sent: the caller does that). The text
        is stored entity-encoded as Slack stores it unless ``encoded`` says it already is."""
        stored = text if encoded else text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        with self._lock:
            team = self._team(team_id)
            if channel not in self._channels[team.id]:
                raise KeyError(f"no channel {channel} in {team_id}")
            if user_id not in self._users[team.id]:
                raise KeyError(f"no user {user_id} in {team_id}")
            message = Message(team.id, channel, self._next_ts(), thread_ts, user_id, stored, [])
            self._store(message)
            return message

    # ------------------------------------------------------------------------------------ helpers

    def _team(self, team_id: str) -> _Team:
        try:
            return self._teams[team_id]
        except KeyError:
            raise KeyError(f"no team {team_id}; add_team() first") from None

    def _next_ts(self) -> str:
        """A fresh message ts: the clock's time in microseconds, strictly increasing."""
        self._last_ts = max(int(self._clock() * 1_000_000), self._last_ts + 1)
        return _ts_from_micros(self._last_ts)

    def _next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}0{self._serial:08d}"

    def _dm_for(self, team: _Team, user_id: str) -> _Channel:
        if user_id not in self._users[team.id]:
            raise SlackError("user_not_found")
        channels = self._channels[team.id]
        for channel in channels.values():
            if channel.is_im and channel.user == user_id:
                return channel
        channel_id = f"D{user_id[1:]}"
        if channel_id in channels:
            channel_id = self._next_id("D")
        dm = _Channel(
            channel_id, team.id, "", [user_id], True, True, True, user=user_id, created=int(self._clock())
        )
        channels[channel_id] = dm
        return dm

    def _channel(self, team: _Team, ref: str | None, *, open_dm: bool = False) -> _Channel:
        """Resolve a channel id (or ``#name``, or with ``open_dm`` a user id); private channels the bot
        is not in are invisible, as in Slack."""
        if not ref:
            raise SlackError("channel_not_found")
        channels = self._channels[team.id]
        found: _Channel | None
        if ref.startswith("#"):
            found = next((c for c in channels.values() if c.name == ref[1:] and not c.is_im), None)
        elif open_dm and ref[0] in "UW" and ref not in channels:
            if ref not in self._users[team.id]:
                raise SlackError("channel_not_found")
            found = self._dm_for(team, ref)
        else:
            found = channels.get(ref)
        if found is None or (found.is_private and not found.bot_is_member):
            raise SlackError("channel_not_found")
        return found

    def _member_ids(self, channel: _Channel, team: _Team) -> list[str]:
        members = list(channel.members)
        if channel.bot_is_member and team.bot_user_id not in members:
            members.append(team.bot_user_id)
        return members

    def _store(self, message: Message) -> None:
        self._messages.append(message)
        if message.ephemeral_user is None:
            self._by_key[(message.team_id, message.channel, message.ts)] = message

    def _find_message(self, team: _Team, channel: str, ts: str | None) -> Message:
        """A non-ephemeral message (ephemerals cannot be updated, deleted or reacted to)."""
        message = self._by_key.get((team.id, channel, ts or ""))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _message_json(
        self, message: Message, *, replies: list[Message] | None = None, metadata: bool = True
    ) -> JsonDict:
        """A message as the Web API shows it; its metadata only with ``metadata`` (reads give it only
        when asked with ``include_all_metadata``)."""
        data: JsonDict = {"type": "message", "user": message.user, "text": message.text, "ts": message.ts}
        if message.blocks:
            data["blocks"] = message.blocks
        if metadata and message.metadata is not None:
            data["metadata"] = message.metadata
        if message.bot_id:
            data["bot_id"] = message.bot_id
        if message.thread_ts:
            data["thread_ts"] = message.thread_ts
        if message.edited:
            data["edited"] = {"user": message.user, "ts": message.ts}
        if message.files:
            data["files"] = [self._file_json(self._files[file_id]) for file_id in message.files]
        if message.reactions:
            data["reactions"] = [
                {"name": name, "count": 1, "users": [message.user]} for name in message.reactions
            ]
        if replies:
            data["thread_ts"] = message.ts
            data["reply_count"] = len(replies)
            data["reply_users"] = sorted({r.user for r in replies})
            data["latest_reply"] = replies[-1].ts
        return data

    def _channel_json(self, channel: _Channel, team: _Team) -> JsonDict:
        data: JsonDict = {
            "id": channel.id,
            "created": channel.created,
            "is_archived": False,
            "is_im": channel.is_im,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private,
            "context_team_id": team.id,
        }
        if channel.is_im:
            data.update(user=channel.user, is_open=True)
        else:
            data.update(
                name=channel.name,
                name_normalized=channel.name,
                is_channel=not channel.is_private,
                is_group=channel.is_private and not channel.is_mpim,
                is_general=False,
                is_member=channel.bot_is_member,
                num_members=len(self._member_ids(channel, team)),
                topic={"value": "", "creator": "", "last_set": 0},
                purpose={"value": "", "creator": "", "last_set": 0},
            )
        return data

    def _file_json(self, upload: UploadedFile) -> JsonDict:
        team = self._teams[upload.team_id]
        data: JsonDict = {
            "id": upload.id,
            "name": upload.filename,
            "title": upload.title or upload.filename,
            "size": len(upload.content or b""),
            "user": team.bot_user_id,
            "permalink": f"https://{team.domain}.slack.com/files/{team.bot_user_id}/{upload.id}/{upload.filename}",
        }
        if upload.channel_id:
            data["channels"] = [upload.channel_id]
        return data

    def _check_message_content(
        self, params: JsonDict, *, required: bool = True
    ) -> tuple[str, list[JsonDict]]:
        text = params.get("text")
        text = "" if text is None else str(text)
        blocks = _json_param(params, "blocks", error="invalid_blocks_format")
        attachments = params.get("attachments")
        if required and not text and not blocks and not attachments:
            raise SlackError("no_text")
        if len(text) > MESSAGE_TEXT_LIMIT:
            raise SlackError("msg_too_long")
        if blocks is None:
            return text, []
        errors = validate_blocks(blocks, limit=MESSAGE_BLOCK_LIMIT)
        if errors:
            raise SlackError(
                "invalid_blocks",
                errors=errors,
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        return text, list(blocks)

    @staticmethod
    def _check_metadata(params: JsonDict) -> JsonDict | None:
        """Message metadata as Slack takes it: ``{"event_type": str, "event_payload": {...}}``."""
        if params.get("metadata") in (None, ""):
            return None
        metadata = _json_param(params, "metadata", error="invalid_metadata_format")
        if not isinstance(metadata, dict):
            raise SlackError("invalid_metadata_format")
        event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
        if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
            raise SlackError("invalid_metadata_schema")
        if len(json.dumps(metadata)) > METADATA_LIMIT:
            raise SlackError("metadata_too_large")
        return {"event_type": event_type, "event_payload": payload}

    # ---------------------------------------------------------------------------------- transport

    def _handle_http(
        self, verb: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, dict[str, str]] | None:
        """The answer to one HTTP request; None to close the connection without one."""
        parts = urlsplit(path)
        if parts.path.startswith("/api/"):
            reply = self._handle_api(parts.path.removeprefix("/api/"), parts.query, headers, body)
            if reply is None:
                return None
            payload = json.dumps(reply.body).encode()
            return reply.status, payload, {"Content-Type": "application/json; charset=utf-8", **reply.headers}
        if verb == "POST" and parts.path.startswith("/upload/v1/"):
            return self._handle_upload(parts.path.removeprefix("/upload/v1/"), body)
        if verb == "POST" and parts.path.startswith("/hooks/response/"):
            return self._handle_response_url(parts.path.removeprefix("/hooks/response/"), body)
        return 404, b"not found", {"Content-Type": "text/plain"}

    @staticmethod
    def _params(query: str, headers: dict[str, str], body: bytes) -> JsonDict:
        params: JsonDict = dict(parse_qsl(query, keep_blank_values=True))
        lowered = {k.lower(): v for k, v in headers.items()}
        content_type = lowered.get("content-type", "").split(";")[0].strip().lower()
        if body and content_type == "application/json":
            decoded = json.loads(body)
            if isinstance(decoded, dict):
                params.update(decoded)
        elif body and content_type in ("application/x-www-form-urlencoded", ""):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        return params

    @staticmethod
    def _token(params: JsonDict, headers: dict[str, str]) -> str | None:
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if authorization.lower().startswith("bearer "):
            return authorization[7:].strip()
        token = params.get("token")
        return str(token) if token else None

    def _handle_api(self, method: str, query: str, headers: dict[str, str], body: bytes) -> _Reply | None:
        try:
            params = self._params(query, headers, body)
        except (ValueError, UnicodeDecodeError):
            return _Reply(200, {"ok": False, "error": "invalid_json"}, {})
        token = self._token(params, headers)
        recorded = {k: v for k, v in params.items() if k not in ("token", "client_secret")}
        with self._lock:
            team_id = self._tokens.get(token) if token else None
            stall = self._take_stall(method, team_id, token, params)
        if stall is not None and stall.when == "before":
            # Held outside the lock (every other call goes on meanwhile), then dropped unprocessed and
            # unrecorded: Slack never got it.
            stall.call = ApiCall(method, recorded, team_id, self._clock(), dropped=True)
            stall._hold()
            return None
        with self._lock:
            call = ApiCall(method, recorded, team_id, self._clock())
            reply = self._dispatch(method, params, token, team_id, headers)
            call.status = reply.status
            call.error = None if reply.body.get("ok") else str(reply.body.get("error"))
            self._calls.append(call)
            if stall is None:
                return reply
            call.dropped = True
            stall.call, stall.reply = call, reply.body
        stall._hold()
        if stall.cut_short:
            return _Reply(reply.status, reply.body, {**reply.headers, _CUT_SHORT: "1"})
        return None

    def _take_stall(
        self, method: str, team_id: str | None, token: str | None, params: JsonDict
    ) -> Stall | None:
        for stall in self._stalls:
            if stall._applies(method, team_id, token, params):
                self._stalls.remove(stall)
                return stall
        return None

    def _dispatch(
        self, method: str, params: JsonDict, token: str | None, team_id: str | None, headers: dict[str, str]
    ) -> _Reply:
        failure = self._take_failure(method, team_id)
        if failure is not None:
            return failure
        if method == "oauth.v2.access":
            return self._run(lambda: self._oauth_v2_access(params, headers))
        handler = self._methods.get(method)
        if handler is None:
            return _Reply(200, {"ok": False, "error": "unknown_method"}, {})
        if token is None:
            return _Reply(200, {"ok": False, "error": "not_authed"}, {})
        if team_id is None:
            return _Reply(200, {"ok": False, "error": "invalid_auth"}, {})
        limited = self._rate_limited(method, team_id, params)
        if limited is not None:
            return limited
        team = self._teams[team_id]
        return self._run(lambda: handler(team, params))

    @staticmethod
    def _run(action: Callable[[], JsonDict]) -> _Reply:
        try:
            return _Reply(200, {"ok": True, **action()}, {})
        except SlackError as error:
            return _Reply(200, {"ok": False, "error": error.code, **error.extra}, {})

    def _take_failure(self, method: str, team_id: str | None) -> _Reply | None:
        for failure in self._failures:
            if failure.method == method and (failure.team_id is None or failure.team_id == team_id):
                failure.remaining -= 1
                if failure.remaining == 0:
                    self._failures.remove(failure)
                return self._failure_reply(failure.status, failure.retry_after, failure.error)
        for periodic in self._every:
            if periodic.method == method and (periodic.team_id is None or periodic.team_id == team_id):
                periodic.seen += 1
                if periodic.seen % periodic.every == 0:
                    return self._failure_reply(periodic.status, periodic.retry_after, periodic.error)
        return None

    @staticmethod
    def _failure_reply(status: int, retry_after: int, error: str | None) -> _Reply:
        if error is not None:
            return _Reply(200, {"ok": False, "error": error}, {})
        if status == 429:
            return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
        return _Reply(status, {"ok": False, "error": "fatal_error"}, {})

    def _rate_limited(self, method: str, team_id: str, params: JsonDict) -> _Reply | None:
        limit = self._limits.get(method)
        if limit is None:
            return None
        scope = None
        if limit.per == "channel":
            scope = _str_param(params, "channel") or _str_param(params, "channel_id")
        key = (team_id, method, scope)
        now = time.monotonic()
        bucket = self._buckets.setdefault(key, _Bucket(float(limit.burst), now))
        bucket.tokens = min(float(limit.burst), bucket.tokens + (now - bucket.updated) * limit.per_second)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        retry_after = max(1, math.ceil((1 - bucket.tokens) / limit.per_second))
        return _Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})

    def _handle_upload(self, file_id: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        with self._lock:
            upload = self._files.get(file_id)
            if upload is None or upload.completed:
                return 404, b"upload not found", {"Content-Type": "text/plain"}
            upload.content = body
        return 200, f"OK - {len(body)}".encode(), {"Content-Type": "text/plain"}

    def _handle_response_url(self, path: str, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        """A ``response_url`` post: ``/hooks/response/<team>/<channel>/<user>/<nonce>``."""
        try:
            team_id, channel, user_id, _nonce = path.split("/", 3)
            payload = json.loads(body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return 404, b"no such response_url", {"Content-Type": "text/plain"}
        with self._lock:
            team = self._teams.get(team_id)
            if team is None or not isinstance(payload, dict):
                return 404, b"no such response_url", {"Content-Type": "text/plain"}
            self._calls.append(ApiCall("response_url", payload, team_id, self._clock()))
            try:
                text, blocks = self._check_message_content(payload)
            except SlackError as error:
                return 400, error.code.encode(), {"Content-Type": "text/plain"}
            if payload.get("delete_original") or payload.get("replace_original"):
                return 200, b"ok", {"Content-Type": "text/plain"}  # originals of ephemerals are not kept
            ephemeral = payload.get("response_type", "ephemeral") != "in_channel"
            self._store(
                Message(
                    team.id,
                    channel,
                    self._next_ts(),
                    _str_param(payload, "thread_ts"),
                    team.bot_user_id,
                    text,
                    blocks,
                    ephemeral_user=user_id if ephemeral else None,
                    bot_id=team.bot_id,
                )
            )
        return 200, b"ok", {"Content-Type": "text/plain"}

    # ------------------------------------------------------------------------------------ methods

    def _auth_test(self, team: _Team, params: JsonDict) -> JsonDict:
        return {
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": self._users[team.id][team.bot_user_id].name,
            "team_id": team.id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"), open_dm=True)
        if not channel.bot_is_member:
            raise SlackError("not_in_channel")
        text, blocks = self._check_message_content(params)
        message = Message(
            team.id,
            channel.id,
            self._next_ts(),
            _str_param(params, "thread_ts"),
            team.bot_user_id,
            text,
            blocks,
            bot_id=team.bot_id,
            metadata=self._check_metadata(params),
        )
        self._store(message)
        return {"channel": channel.id, "ts": message.ts, "message": self._message_json(message)}

    def _chat_post_ephemeral(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"), open_dm=True)
        if not channel.bot_is_member:
            raise SlackError("not_in_channel")
        user = _str_param(params, "user")
        if user is None or user not in self._users[team.id]:
            raise SlackError("user_not_found")
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        text, blocks = self._check_message_content(params)
        message = Message(
            team.id,
            channel.id,
            self._next_ts(),
            _str_param(params, "thread_ts"),
            team.bot_user_id,
            text,
            blocks,
            ephemeral_user=user,
            bot_id=team.bot_id,
        )
        self._store(message)
        return {"message_ts": message.ts}

    def _chat_update(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"))
        message = self._find_message(team, channel.id, _str_param(params, "ts"))
        if message.user != team.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks = self._check_message_content(params)
        metadata = self._check_metadata(params)
        if "text" in params:
            message.text = text
        if "blocks" in params:
            message.blocks = blocks
        if metadata is not None:
            message.metadata = metadata
        message.edited = True
        return {
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_json(message),
        }

    def _chat_delete(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"))
        message = self._find_message(team, channel.id, _str_param(params, "ts"))
        if message.user != team.bot_user_id:
            raise SlackError("cant_delete_message")
        self._messages.remove(message)
        del self._by_key[(message.team_id, message.channel, message.ts)]
        return {"channel": channel.id, "ts": message.ts}

    def _chat_get_permalink(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"))
        message = self._find_message(team, channel.id, _str_param(params, "message_ts"))
        link = f"https://{team.domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != message.ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def _conversations_info(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"))
        return {"channel": self._channel_json(channel, team)}

    def _conversations_members(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"))
        members = self._member_ids(channel, team)
        limit = int(params.get("limit") or 100) or 100
        start = int(params.get("cursor") or 0)
        page = members[start : start + limit]
        next_cursor = str(start + limit) if start + limit < len(members) else ""
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_open(self, team: _Team, params: JsonDict) -> JsonDict:
        users = _list_param(params, "users")
        if not users:
            existing = self._channel(team, _str_param(params, "channel"))
            return {
                "channel": self._channel_json(existing, team)
                if _truthy(params, "return_im")
                else {"id": existing.id}
            }
        for user in users:
            if user not in self._users[team.id]:
                raise SlackError("user_not_found")
        if len(users) == 1:
            already = any(c.is_im and c.user == users[0] for c in self._channels[team.id].values())
            dm = self._dm_for(team, users[0])
            body = self._channel_json(dm, team) if _truthy(params, "return_im") else {"id": dm.id}
            return {"no_op": already, "already_open": already, "channel": body}
        people = sorted(users)
        channels = self._channels[team.id]
        group = next((c for c in channels.values() if c.is_mpim and sorted(c.members) == people), None)
        if group is None:
            group_id = self._next_id("G")
            group = _Channel(
                group_id,
                team.id,
                "mpdm-" + "--".join(people),
                people,
                True,
                False,
                True,
                is_mpim=True,
                created=int(self._clock()),
            )
            channels[group_id] = group
        return {"channel": {"id": group.id}}

    def _conversations_join(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"))
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        already = channel.bot_is_member
        channel.bot_is_member = True
        reply: JsonDict = {"channel": self._channel_json(channel, team)}
        if already:
            reply["warning"] = "already_in_channel"
            reply["response_metadata"] = {"warnings": ["already_in_channel"]}
        return reply

    def _conversations_replies(self, team: _Team, params: JsonDict) -> JsonDict:
        """A thread, oldest first: its parent, then the replies in ``oldest``..``latest``, a page of
        ``limit`` at a time (``cursor`` from ``response_metadata.next_cursor``)."""
        channel = self._channel(team, _str_param(params, "channel"))
        if not channel.bot_is_member:
            raise SlackError("not_in_channel")
        ts = _str_param(params, "ts")
        with_metadata = _truthy(params, "include_all_metadata")
        visible = [
            m
            for m in self.messages(channel=channel.id, team_id=team.id)
            if m.ephemeral_user is None and (m.ts == ts or m.thread_ts == ts)
        ]
        if not visible:
            raise SlackError("thread_not_found")
        parent = next((m for m in visible if m.ts == ts), None)
        replies = [m for m in visible if m.ts != ts]
        if parent is None or parent.thread_ts not in (None, parent.ts):
            return {
                "messages": [self._message_json(m, metadata=with_metadata) for m in visible],
                "has_more": False,
            }
        window = [m for m in replies if _in_window(m.ts, params)]
        page, more, next_cursor = _page(window, params, default=1000)
        body = [self._message_json(parent, replies=replies, metadata=with_metadata)]
        body += [self._message_json(m, metadata=with_metadata) for m in page]
        return {"messages": body, "has_more": more, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_history(self, team: _Team, params: JsonDict) -> JsonDict:
        """A conversation's top-level messages (thread replies are not in it), newest first, those in
        ``oldest``..``latest`` (exclusive unless ``inclusive``), a page of ``limit`` (default 100) at a
        time; metadata only with ``include_all_metadata``."""
        channel = self._channel(team, _str_param(params, "channel"))
        if not channel.bot_is_member:
            raise SlackError("not_in_channel")
        with_metadata = _truthy(params, "include_all_metadata")
        everything = [
            m for m in self.messages(channel=channel.id, team_id=team.id) if m.ephemeral_user is None
        ]
        top = [m for m in everything if m.thread_ts in (None, m.ts) and _in_window(m.ts, params)]
        page, more, next_cursor = _page(list(reversed(top)), params, default=100)
        body = []
        for message in page:
            replies = [m for m in everything if m.thread_ts == message.ts and m.ts != message.ts]
            body.append(self._message_json(message, replies=replies, metadata=with_metadata))
        reply: JsonDict = {"messages": body, "has_more": more, "pin_count": 0}
        reply["response_metadata"] = {"next_cursor": next_cursor}
        return reply

    def _users_info(self, team: _Team, params: JsonDict) -> JsonDict:
        user = self._users[team.id].get(_str_param(params, "user") or "")
        if user is None:
            raise SlackError("user_not_found")
        now = datetime.now(ZoneInfo(user.tz))
        offset = now.utcoffset()
        return {
            "user": {
                "id": user.id,
                "team_id": team.id,
                "name": user.name,
                "real_name": user.real_name,
                "deleted": False,
                "tz": user.tz,
                "tz_label": now.tzname() or user.tz,
                "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": False,
                "is_restricted": False,
                "is_ultra_restricted": False,
                "is_bot": user.is_bot,
                "is_app_user": False,
                "profile": {
                    "display_name": user.name,
                    "display_name_normalized": user.name,
                    "real_name": user.real_name,
                    "real_name_normalized": user.real_name,
                    "team": team.id,
                },
            }
        }

    def _view_json(self, view: View) -> JsonDict:
        team = self._teams[view.team_id]
        return {
            "id": view.id,
            "team_id": view.team_id,
            "app_id": "A0PLAYBOOK",
            "bot_id": team.bot_id,
            "hash": view.hash,
            "previous_view_id": None,
            "root_view_id": view.id,
            "state": {"values": {}},
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **view.view,
        }

    def _checked_view(self, params: JsonDict, expected_type: str | None) -> JsonDict:
        view = _json_param(params, "view")
        errors = validate_view(view, expected_type=expected_type)
        if errors:
            raise SlackError(
                "invalid_arguments",
                errors=errors,
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        return dict(view)

    def _use_trigger(self, params: JsonDict) -> str:
        trigger_id = _required(params, "trigger_id")
        if trigger_id in self._used_triggers:
            raise SlackError("exchanged_trigger_id")
        self._used_triggers.add(trigger_id)
        return trigger_id

    def _new_hash(self) -> str:
        self._serial += 1
        return f"{int(self._clock())}.{self._serial:08x}"

    def _open_view(self, team: _Team, params: JsonDict, method: str) -> JsonDict:
        payload = self._checked_view(params, "modal")
        trigger_id = self._use_trigger(params)
        view = View(
            self._next_id("V"), team.id, "modal", payload, method, self._new_hash(), trigger_id=trigger_id
        )
        self._views[view.id] = view
        return {"view": self._view_json(view)}

    def _views_open(self, team: _Team, params: JsonDict) -> JsonDict:
        return self._open_view(team, params, "views.open")

    def _views_push(self, team: _Team, params: JsonDict) -> JsonDict:
        return self._open_view(team, params, "views.push")

    def _views_update(self, team: _Team, params: JsonDict) -> JsonDict:
        view_id, external_id = _str_param(params, "view_id"), _str_param(params, "external_id")
        candidates = list(self._views.values()) + list(self._home.values())
        view = next(
            (
                v
                for v in candidates
                if v.team_id == team.id
                and (
                    (view_id and v.id == view_id)
                    or (external_id and v.view.get("external_id") == external_id)
                )
            ),
            None,
        )
        if view is None:
            raise SlackError("not_found")
        payload = self._checked_view(params, view.type)
        expected_hash = _str_param(params, "hash")
        if expected_hash is not None and expected_hash != view.hash:
            raise SlackError("hash_conflict")
        view.view = payload
        view.hash = self._new_hash()
        view.updates += 1
        return {"view": self._view_json(view)}

    def _views_publish(self, team: _Team, params: JsonDict) -> JsonDict:
        user_id = _required(params, "user_id")
        if user_id not in self._users[team.id]:
            raise SlackError("user_not_found")
        payload = self._checked_view(params, "home")
        existing = self._home.get((team.id, user_id))
        expected_hash = _str_param(params, "hash")
        if existing is not None and expected_hash is not None and expected_hash != existing.hash:
            raise SlackError("hash_conflict")
        view_id = existing.id if existing is not None else self._next_id("V")
        view = View(
            view_id,
            team.id,
            "home",
            payload,
            "views.publish",
            self._new_hash(),
            user_id=user_id,
            updates=existing.updates + 1 if existing is not None else 0,
        )
        self._home[(team.id, user_id)] = view
        return {"view": self._view_json(view)}

    def _files_get_upload_url(self, team: _Team, params: JsonDict) -> JsonDict:
        filename = _required(params, "filename")
        try:
            length = int(_required(params, "length"))
        except ValueError:
            raise SlackError("invalid_arguments") from None
        upload = UploadedFile(
            self._next_id("F"), team.id, filename, length, alt_txt=_str_param(params, "alt_txt")
        )
        self._files[upload.id] = upload
        return {"upload_url": f"{self.root_url}upload/v1/{upload.id}", "file_id": upload.id}

    def _files_complete_upload(self, team: _Team, params: JsonDict) -> JsonDict:
        entries = _json_param(params, "files")
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments")
        uploads: list[tuple[UploadedFile, str]] = []
        for entry in entries:
            upload = self._files.get(str(entry.get("id"))) if isinstance(entry, dict) else None
            if upload is None or upload.team_id != team.id or upload.content is None or upload.completed:
                raise SlackError("file_not_found")
            uploads.append((upload, str(entry.get("title") or upload.filename)))
        targets = [c for c in [_str_param(params, "channel_id"), *_list_param(params, "channels")] if c]
        channels = [self._channel(team, ref) for ref in dict.fromkeys(targets)]
        if any(not c.bot_is_member for c in channels):
            raise SlackError("not_in_channel")
        thread_ts = _str_param(params, "thread_ts")
        comment = _str_param(params, "initial_comment")
        for upload, title in uploads:
            upload.title = title
            upload.completed = True
            upload.channel_id = channels[0].id if channels else None
            upload.thread_ts = thread_ts
            upload.initial_comment = comment
        for channel in channels:
            self._store(
                Message(
                    team.id,
                    channel.id,
                    self._next_ts(),
                    thread_ts,
                    team.bot_user_id,
                    comment or "",
                    [],
                    bot_id=team.bot_id,
                    files=[upload.id for upload, _ in uploads],
                )
            )
        return {"files": [self._file_json(upload) for upload, _ in uploads]}

    def _reactions_add(self, team: _Team, params: JsonDict) -> JsonDict:
        channel = self._channel(team, _str_param(params, "channel"))
        message = self._find_message(team, channel.id, _str_param(params, "timestamp"))
        name = _str_param(params, "name")
        if name is None or not re.fullmatch(r"[a-z0-9_+'\-]+", name):
            raise SlackError("invalid_name")
        if name in message.reactions:
            raise SlackError("already_reacted")
        message.reactions.append(name)
        return {}

    def _team_info(self, team: _Team, params: JsonDict) -> JsonDict:
        asked = _str_param(params, "team")
        if asked is not None and asked != team.id:
            raise SlackError("team_not_found")
        return {
            "team": {"id": team.id, "name": team.name, "domain": team.domain, "email_domain": "", "icon": {}}
        }

    def _oauth_v2_access(self, params: JsonDict, headers: dict[str, str]) -> JsonDict:
        client_id = _str_param(params, "client_id")
        authorization = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if authorization.lower().startswith("basic "):
            try:
                client_id = base64.b64decode(authorization[6:]).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                raise SlackError("invalid_client_id") from None
        if not client_id:
            raise SlackError("invalid_client_id")
        if _str_param(params, "grant_type") == "refresh_token":
            return self._oauth_refresh(_str_param(params, "refresh_token") or "")
        grant = self._grants.pop(_str_param(params, "code") or "", None)
        if grant is None:
            raise SlackError("invalid_code")
        if grant.team_id not in self._teams:
            self.add_team(
                grant.team_id,
                grant.team_name or grant.team_id,
                bot_user_id=grant.bot_user_id,
                bot_token=grant.bot_token,
            )
        self._tokens[grant.bot_token] = grant.team_id
        team = self._teams[grant.team_id]
        reply: JsonDict = {
            "app_id": grant.app_id,
            "authed_user": {"id": grant.authed_user_id},
            "scope": grant.scope,
            "token_type": "bot",
            "access_token": grant.bot_token,
            "bot_user_id": grant.bot_user_id,
            "team": {"id": team.id, "name": team.name},
            "enterprise": {"id": grant.enterprise_id, "name": grant.enterprise_id}
            if grant.enterprise_id
            else None,
            "is_enterprise_install": False,
        }
        if grant.refresh_token is not None:
            reply["refresh_token"] = grant.refresh_token
            reply["expires_in"] = grant.expires_in if grant.expires_in is not None else 43_200
            self._refreshable[grant.refresh_token] = grant
        return reply

    def _oauth_refresh(self, refresh_token: str) -> JsonDict:
        """``grant_type=refresh_token``: a new bot token and a new refresh token, valid for 12 hours
        (Slack's rotation). The refresh token is spent; the old access token stays valid, as at Slack,
        until it would have expired."""
        grant = self._refreshable.pop(refresh_token, None)
        if grant is None or grant.team_id not in self._teams:
            raise SlackError("invalid_refresh_token")
        self._rotations += 1
        token = f"xoxe.xoxb-{grant.team_id}-rotated-{self._rotations}"
        refresh = f"xoxe-1-{grant.team_id}-refresh-{self._rotations}"
        renewed = replace(grant, bot_token=token, refresh_token=refresh, expires_in=43_200)
        self._refreshable[refresh] = renewed
        self._tokens[token] = renewed.team_id
        team = self._teams[renewed.team_id]
        return {
            "app_id": renewed.app_id,
            "scope": renewed.scope,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": renewed.bot_user_id,
            "refresh_token": refresh,
            "expires_in": 43_200,
            "team": {"id": team.id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

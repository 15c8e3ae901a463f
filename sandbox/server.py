"""``playbook-bot sandbox``: the real app in-process, the local Slack it talks to, and the workspace
page with its JSON API, all on 127.0.0.1.

Three loopback servers: the Web API stand-in (the app's ``SLACK_API_URL``), the app itself
(``/slack/events``, exactly as ``playbook-bot serve`` runs it) and the page. The page's API turns what
a person does into the signed requests Slack would send (see :mod:`sandbox.workspace`).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.app import build_deps, create_app
from bot.deps import Deps
from bot.settings import Settings
from bot.web import make_wsgi_app
from localslack.requests import SignedSlackClient
from localslack.webapi import SlackWebApiStandIn
from sandbox.workspace import (
    BOT_USER_ID,
    LEADS_CHANNEL,
    SandboxRequestError,
    SandboxWorkspace,
    populate,
)

log = logging.getLogger("playbook.sandbox")

HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFAULT_DATABASE_URL = "sqlite:///playbook-sandbox.db"
MAX_BODY_BYTES = 1_000_000
STATIC_FILES = frozenset({"index.html", "app.js", "blockkit.js", "style.css"})
# The page loads nothing from anywhere else, so nothing a person types can leave the machine.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

JsonDict = dict[str, Any]


def database_url_for(settings: Settings) -> str:
    """The sandbox keeps its own SQLite file unless ``DATABASE_URL`` was given explicitly."""
    return settings.database_url if "database_url" in settings.model_fields_set else DEFAULT_DATABASE_URL


def describe_database(url: str) -> str:
    """Where the data is, for the banner: a SQLite file's absolute path, else the URL without password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return "memory only (gone when the sandbox stops)"
        return os.path.abspath(parsed.database)
    return parsed.render_as_string(hide_password=True)


class _AppServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietWsgiHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The page polls several times a second: no request lines on stderr."""


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True
    sandbox: Sandbox


class _PageHandler(BaseHTTPRequestHandler):
    """The page, its static files, and the JSON API (``/api/...``)."""

    server: _PageServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet, as above."""

    # -------------------------------------------------------------------------------- responses

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: JsonDict) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"ok": False, "error": message})

    # ------------------------------------------------------------------------------------ guard

    def _trusted(self) -> bool:
        """Only this page may drive the sandbox: the Host must be our loopback address (no DNS
        rebinding) and API posts must be JSON (a cross-site form cannot send that without a CORS
        preflight, which is never granted)."""
        port = self.server.server_address[1]
        host = (self.headers.get("Host") or "").lower()
        if host not in {f"127.0.0.1:{port}", f"localhost:{port}"}:
            self._error(403, "The sandbox only answers on its own address.")
            return False
        if self.command == "POST":
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type != "application/json":
                self._error(415, "Send JSON.")
                return False
        return True

    # ---------------------------------------------------------------------------------- routing

    def do_GET(self) -> None:
        if not self._trusted():
            return
        parts = urlsplit(self.path)
        if parts.path == "/api/workspace":
            self._json(200, {"ok": True, **self.server.sandbox.describe()})
        elif parts.path == "/api/state":
            user = (parse_qs(parts.query).get("user") or [""])[0]
            self._api(lambda: self.server.sandbox.workspace.state(user))
        elif parts.path == "/api/file":
            query = parse_qs(parts.query)
            self._file((query.get("user") or [""])[0], (query.get("id") or [""])[0])
        elif parts.path in ("/", "/index.html"):
            self._static("index.html")
        elif parts.path.startswith("/static/"):
            self._static(parts.path.removeprefix("/static/"))
        elif parts.path == "/favicon.ico":
            self._send(204, b"", "image/x-icon")
        else:
            self._error(404, "Not found.")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        if not self._trusted():
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._error(413, "That is too much to send at once.")
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except (ValueError, UnicodeDecodeError):
            self._error(400, "Send JSON.")
            return
        if not isinstance(body, dict):
            self._error(400, "Send a JSON object.")
            return
        workspace = self.server.sandbox.workspace
        user = str(body.get("user") or "")
        channel = str(body.get("channel") or "")
        thread_ts = str(body["thread_ts"]) if body.get("thread_ts") else None
        values = body.get("values") if isinstance(body.get("values"), dict) else {}
        routes: dict[str, Callable[[], JsonDict]] = {
            "/api/message": lambda: workspace.post_message(
                user, channel, str(body.get("text") or ""), thread_ts
            ),
            "/api/command": lambda: workspace.run_command(
                user, channel, str(body.get("text") or ""), thread_ts
            ),
            "/api/action": lambda: workspace.act(user, body),
            "/api/home": lambda: workspace.open_home(user),
            "/api/shortcut": lambda: workspace.shortcut(user, body),
            "/api/view/submit": lambda: workspace.submit_view(
                user, str(body.get("view_id") or ""), values or {}
            ),
            "/api/view/close": lambda: workspace.close_view(user, str(body.get("view_id") or "")),
        }
        route = routes.get(urlsplit(self.path).path)
        if route is None:
            self._error(404, "Not found.")
            return
        self._api(route)

    def _api(self, call: Callable[[], JsonDict]) -> None:
        try:
            result = call()
        except SandboxRequestError as refused:
            self._error(refused.status, refused.message)
            return
        except Exception:  # the page must get an answer it can show, and the terminal the details
            log.exception("sandbox request failed: %s", self.path)
            self._error(500, "Something went wrong in the sandbox; the terminal shows the details.")
            return
        self._json(200, {"ok": True, **result})

    def _file(self, user: str, file_id: str) -> None:
        """A file the app uploaded, as a download (never shown inline: it is the app's data, not
        the page's)."""
        try:
            found = self.server.sandbox.workspace.file(user, file_id)
        except SandboxRequestError as refused:
            self._error(refused.status, refused.message)
            return
        content = found.content or b""
        safe_name = "".join(c for c in found.filename if c.isalnum() or c in "._- ") or "download"
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Content-Disposition", f'attachment; filename="{safe_name}"')
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    def _static(self, name: str) -> None:
        if name not in STATIC_FILES:
            self._error(404, "Not found.")
            return
        data = resources.files("sandbox").joinpath("static", name).read_bytes()
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self._send(200, data, f"{kind}; charset=utf-8")


class Sandbox:
    """The whole sandbox. ``start()`` returns the page's URL; ``stop()`` shuts everything down.

    ``port=0`` picks a free port (tests). The app gets a fresh random bot token and signing secret each
    time; its database is :func:`database_url_for` ``settings``."""

    def __init__(self, settings: Settings, *, port: int = DEFAULT_PORT, scheduler: bool = False) -> None:
        self.port = port
        self.database_url = database_url_for(settings)
        self.database = describe_database(self.database_url)
        self._settings = settings
        self._scheduler_wanted = scheduler
        self._scheduler: Any = None
        self.slack = SlackWebApiStandIn(HOST, 0)
        self.deps: Deps | None = None
        self._workspace: SandboxWorkspace | None = None
        self._app_server: _AppServer | None = None
        self._page_server: _PageServer | None = None
        self._threads: list[threading.Thread] = []
        self.url = ""

    @property
    def workspace(self) -> SandboxWorkspace:
        if self._workspace is None:
            raise RuntimeError("start() the sandbox first")
        return self._workspace

    def describe(self) -> JsonDict:
        return {**self.workspace.describe(), "database": self.database}

    def start(self) -> str:
        # Bind the page's port first: if it is taken, fail before anything else has started.
        page = _PageServer((HOST, self.port), _PageHandler)
        page.sandbox = self
        self._page_server = page
        try:
            self._start_app()
        except BaseException:
            page.server_close()
            self._page_server = None
            self.slack.stop()
            raise
        self.port = page.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self._serve(page.serve_forever, "sandbox-page")
        return self.url

    def _start_app(self) -> None:
        bot_token = f"xoxb-sandbox-{secrets.token_hex(12)}"
        signing_secret = secrets.token_hex(32)
        self.slack.start()
        populate(self.slack, bot_token)
        settings = self._settings.model_copy(
            update={
                "slack_bot_token": SecretStr(bot_token),
                "slack_signing_secret": SecretStr(signing_secret),
                "slack_app_token": None,
                "slack_client_id": None,  # one workspace, one token: never the OAuth install flow
                "slack_client_secret": None,
                "slack_api_url": self.slack.base_url,
                "database_url": self.database_url,
                "playbook_leads_channel": LEADS_CHANNEL,
            }
        )
        self.deps = build_deps(settings)
        app_server = make_server(
            HOST,
            0,
            make_wsgi_app(create_app(settings, self.deps)),
            server_class=_AppServer,
            handler_class=_QuietWsgiHandler,
        )
        self._app_server = app_server
        self._serve(app_server.serve_forever, "sandbox-app")
        events_url = f"http://{HOST}:{app_server.server_port}/slack/events"
        client = SignedSlackClient(
            events_url,
            signing_secret,
            bot_user_id=BOT_USER_ID,
            response_url_base=self.slack.response_url_base,
        )
        self._workspace = SandboxWorkspace(self.slack, client)
        if self._scheduler_wanted:
            from bot.scheduler import start_background_scheduler

            self._scheduler = start_background_scheduler(self.deps)

    def _serve(self, target: Callable[..., None], name: str) -> None:
        # A short poll interval makes stop() prompt (serve_forever checks for shutdown between polls).
        thread = threading.Thread(target=target, kwargs={"poll_interval": 0.05}, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for server in (self._page_server, self._app_server):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._page_server = self._app_server = None
        self.slack.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self.deps is not None:
            engine = self.deps.session_factory.kw.get("bind")
            if engine is not None:
                engine.dispose()
            self.deps = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def run_sandbox(settings: Settings, *, port: int = DEFAULT_PORT) -> int:
    """Serve the sandbox on ``http://127.0.0.1:<port>`` until Ctrl+C. Returns the exit status."""
    sandbox = Sandbox(settings, port=port, scheduler=True)
    try:
        url = sandbox.start()
    except OSError as error:
        print(
            f"Could not start the sandbox on {HOST}:{port}: {error.strerror or error}.\n"
            f"Is it already running? Open http://{HOST}:{port} or choose another port, "
            f"for example: playbook-bot sandbox --port {port + 1}",
            file=sys.stderr,
        )
        return 2
    print(
        f"\nPlaybook bot sandbox: open {url} in your browser.\n"
        f"Local sandbox — nothing leaves this machine; data is kept in {sandbox.database}\n"
        "Press Ctrl+C to stop.\n",
        flush=True,
    )
    stopping = threading.Event()
    if threading.current_thread() is threading.main_thread():
        # `kill` (and process managers) stop it as cleanly as Ctrl+C does.
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stopping.set())
    try:
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    print("Sandbox stopped.", file=sys.stderr)
    return 0

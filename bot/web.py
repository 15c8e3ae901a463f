"""The WSGI application served in HTTP mode: ``POST /slack/events``, ``GET /healthz`` (liveness: the
process answers) and ``GET /readyz`` (readiness: the database answers; 503 when it does not); with
OAuth, ``GET /slack/install`` and ``GET /slack/oauth_redirect``. Neither probe calls Slack: a server
whose Slack is unreachable is alive and ready, and sends what it owes once Slack is back."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot import payloads

StartResponse = Callable[..., Any]

MAX_BODY_BYTES = 1_000_000
OAUTH_PATHS = frozenset({"/slack/install", "/slack/oauth_redirect"})
# What Slack sends: seconds since the epoch, and "v0=" with a hex HMAC-SHA256. Anything else is refused
# here (401, as Bolt refuses a wrong signature) rather than left to raise inside the verifier.
SLACK_TIMESTAMP = re.compile(r"[0-9]{1,12}")
SLACK_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def well_formed_signature_headers(environ: dict[str, Any]) -> bool:
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    return bool(SLACK_TIMESTAMP.fullmatch(timestamp) and SLACK_SIGNATURE.fullmatch(signature))


def make_wsgi_app(
    app: App, *, health: Callable[[], bool] | None = None, ready: Callable[[], bool] | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    handler = SlackRequestHandler(app)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path in ("/healthz", "/readyz") and method == "GET":
            probe = health if path == "/healthz" else ready
            healthy = probe() if probe is not None else True
            body = json.dumps({"ok": healthy}).encode()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable", [("Content-Type", "application/json")]
            )
            return [body]
        if path == "/slack/events" and method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY_BYTES:
                start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
                return [b"too large"]
            if not well_formed_signature_headers(environ):
                start_response("401 Unauthorized", [("Content-Type", "application/json")])
                return [b'{"error":"invalid request"}']
            raw = environ["wsgi.input"].read(length) if length > 0 else b""
            if not payloads.acceptable(raw, environ.get("CONTENT_TYPE")):
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"malformed request"]
            environ["wsgi.input"] = io.BytesIO(raw)  # read once here; Bolt reads it again
            response: Iterable[bytes] = handler(environ, start_response)
            return response
        if path in OAUTH_PATHS and method == "GET" and app.oauth_flow is not None:
            # Bolt's OAuth flow: the install page (state cookie + "Add to Slack") and Slack's redirect.
            installed: Iterable[bytes] = handler(environ, start_response)
            return installed
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application

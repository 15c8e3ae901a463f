"""Signed Slack requests over kept-alive connections: ``SignedSlackClient`` builds the payloads exactly as
Slack does; this subclass only swaps its transport (one persistent HTTP/1.1 connection per thread), so the
load generator spends its time on the app rather than on TCP handshakes."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Mapping
from urllib.parse import urlsplit

from slack_sdk.signature import SignatureVerifier

from bot.localslack.requests import SignedSlackClient, SlackResponse


class KeepAliveSlackClient(SignedSlackClient):
    def __init__(self, url: str, signing_secret: str, *, timeout: float = 30.0) -> None:
        super().__init__(url, signing_secret, timeout=timeout)
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._path = parts.path or "/"
        self._signer = SignatureVerifier(signing_secret)
        self._local = threading.local()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def raw(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SlackResponse:
        stamp = str(int(time.time())) if timestamp is None else str(timestamp)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature
            or self._signer.generate_signature(timestamp=stamp, body=body)
            or "",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        for attempt in range(2):
            connection = self._connection(fresh=attempt > 0)
            try:
                connection.request("POST", self._path, body=body, headers=sent)
                response = connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest):
                # The server closed an idle kept-alive connection: send again on a new one.
                if attempt:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                self._local.connection = None
            return SlackResponse(
                response.status, data.decode("utf-8", "replace"), dict(response.getheaders())
            )
        raise AssertionError("unreachable")

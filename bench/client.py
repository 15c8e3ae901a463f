"""Signed Slack requests over kept-alive connections: ``localslack.SignedSlackClient`` builds and signs
the payloads exactly as Slack does; this subclass only swaps its transport (one persistent HTTP/1.1
connection per thread), so the load generator spends its time on the app rather than on TCP handshakes."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

from localslack.requests import SignedSlackClient, SlackResponse


class KeepAliveSlackClient(SignedSlackClient):
    def __init__(self, url: str, signing_secret: str, *, timeout: float = 30.0) -> None:
        super().__init__(url, signing_secret, timeout=timeout)
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._path = parts.path or "/"
        self._local = threading.local()

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None or fresh:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def send(self, body: bytes, headers: Mapping[str, str]) -> SlackResponse:
        for attempt in range(2):
            connection = self._connection(fresh=attempt > 0)
            try:
                connection.request("POST", self._path, body=body, headers=dict(headers))
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

"""A Web API client that keeps its HTTP connections alive between calls.

slack_sdk's sync ``WebClient`` opens a new connection (TCP, and TLS against slack.com) for every call
through ``urllib``; Bolt also makes a fresh client for every request. Profiling one answer showed the
connection set-up costing about as much as the ``chat.postMessage`` round trip itself. This client
sends the same requests over a connection kept per thread and per host (``http.client``), so a listener
thread reuses its connection from one answer to the next; everything else (retry handlers, error
handling, response parsing) is slack_sdk's own, because only the one method that performs an HTTP
request is replaced, and it reports failures as ``urllib`` does (``HTTPError`` for 4xx/5xx, so the
429 ``Retry-After`` handler works unchanged).

A kept-alive connection the server closed while it was idle is noticed before it is used again (as
urllib3 does) and replaced; a request that fails once sent is never sent again here, since Slack may
have taken it: the caller's retry handlers (or the outbox) decide. A proxy falls back to urllib.
"""

from __future__ import annotations

import http.client
import io
import logging
import select
import socket
import threading
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

# What a failed Web API call raises: slack_sdk's client errors (``SlackApiError``, Slack's "no", is
# one: catch it first where it means something else), the socket's (``OSError``), and ``http.client``'s
# for an answer cut short or garbled (``IncompleteRead``, ``BadStatusLine``: not ``OSError``s). For all
# but Slack's "no", whether Slack took the call is unknown.
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (SlackClientError, OSError, http.client.HTTPException)

_local = threading.local()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """Whether the server closed this idle connection (it is readable: end of file), checked before
    it is used again, as urllib3 does, so a request is never sent on a connection already gone."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class _Pool(dict[tuple[str, str, int | None], http.client.HTTPConnection]):
    """One thread's connections; closed when the thread ends and its locals are released."""

    def __del__(self) -> None:
        for connection in self.values():
            connection.close()


def _connections() -> _Pool:
    pool = getattr(_local, "connections", None)
    if pool is None:
        pool = _local.connections = _Pool()
    return pool


class KeepAliveWebClient(WebClient):
    """``WebClient`` whose calls reuse this thread's connection to the API host."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith(("http://", "https://")):
            return super()._perform_urllib_http_request_internal(url, req)
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        # Keyed by host only: a client whose timeout changes between calls (the outbox's request path
        # gives each call what is left of its budget) still reuses the thread's connection.
        key = (parts.scheme, parts.hostname or "", parts.port)
        headers = {name: str(value) for name, value in req.header_items()}
        body = req.data if isinstance(req.data, bytes | None) else bytes(req.data)  # type: ignore[arg-type]
        pool = _connections()
        connection = pool.get(key)
        if connection is not None and _dropped(connection):
            connection.close()
            connection = None
        if connection is None:
            connection = pool[key] = self._connect(key)
            connection.connect()
            # A request is written as one piece (http.client joins headers and body), but nothing
            # small should ever wait for an ACK on a connection kept for many calls.
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection.timeout = self.timeout
        if connection.sock is not None:
            connection.sock.settimeout(self.timeout)
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except BaseException:
            # Never sent again here: Slack may have taken it (the caller's retry handlers decide).
            connection.close()
            pool.pop(key, None)
            raise
        if response.will_close:
            connection.close()
            pool.pop(key, None)
        if response.status >= 400:
            raise HTTPError(url, response.status, response.reason, response.headers, io.BytesIO(payload))
        if response.headers.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": response.headers, "body": payload}
        charset = response.headers.get_content_charset() or "utf-8"
        body_text = payload.decode(charset)
        # The same DEBUG line as slack_sdk's own transport (the log filter redacts tokens in it).
        if self._logger.level <= logging.DEBUG:
            self._logger.debug(
                "Received the following response - "
                f"status: {response.status}, headers: {dict(response.headers)}, body: {body_text}"
            )
        return {"status": response.status, "headers": response.headers, "body": body_text}

    def _connect(self, key: tuple[str, str, int | None]) -> http.client.HTTPConnection:
        scheme, host, port = key
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.ssl)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)


def keep_alive(client: WebClient) -> KeepAliveWebClient:
    """The same client (token, team, base URL, retry handlers …) with kept-alive connections; Bolt
    makes a plain ``WebClient`` for each request, and the middleware swaps it for this."""
    if isinstance(client, KeepAliveWebClient):
        return client
    copy = KeepAliveWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )
    copy.default_params = dict(client.default_params)  # team_id, when Bolt set one
    return copy

"""How HTTP mode is served: one server configuration for ``playbook-bot serve`` and for the benchmark's
baseline apps, so a comparison between them is a comparison of the apps, not of two servers.

gunicorn manages the processes (``WEB_CONCURRENCY`` of them, restarted if one dies, graceful on
SIGTERM); in each, uvicorn's event loop reads requests and :class:`bot.asgi.BufferedWsgi` runs the WSGI
app on ``PLAYBOOK_LISTENER_THREADS`` listener threads once a request is complete. Slow clients cannot
hold a listener thread: headers must arrive within ``HEADER_TIMEOUT_SECONDS`` of the connection (or of
the request's first byte on a kept-alive connection) and the body within ``BODY_TIMEOUT_SECONDS``;
otherwise the connection is dropped. Bolt's ``App.start()`` is a development server and is never used.

In production, still put a reverse proxy with its own limits in front (see README, "Running in
production")."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

from bot.asgi import BufferedWsgi, WsgiApp
from bot.web import MAX_BODY_BYTES

HEADER_TIMEOUT_SECONDS = 5.0
BODY_TIMEOUT_SECONDS = 5.0
MAX_HEADER_BYTES = 64 * 1024
KEEPALIVE_SECONDS = 2  # an idle kept-alive connection is closed after this


def default_workers(database_url: str) -> int:
    """On PostgreSQL, one server process per core (at most four): an answer is CPU-bound Python between
    database and Slack calls, and a second process uses the core the GIL keeps one process from using.
    On SQLite, one: writes are serialised by the file lock anyway, and processes waiting on it back off
    by sleeping, which costs more latency than the second core gains."""
    if database_url.startswith("sqlite"):
        return 1
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class ServerConfig:
    """Where and how wide the HTTP server runs."""

    host: str
    port: int
    workers: int
    threads: int
    timeout_seconds: int = 30
    graceful_timeout_seconds: int = 10


def server_config(host: str, port: int, *, database_url: str, threads: int) -> ServerConfig:
    """The configuration ``playbook-bot serve`` runs with: ``WEB_CONCURRENCY`` processes when set, else
    :func:`default_workers` for the database; ``threads`` listener threads per process."""
    workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers(database_url))
    return ServerConfig(host=host, port=port, workers=workers, threads=threads)


class HeaderDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on the request head: a connection that has not sent
    complete headers within ``HEADER_TIMEOUT_SECONDS`` of opening (or of its next request's first byte),
    or sends more than ``MAX_HEADER_BYTES`` of them, is closed. uvicorn itself only times out idle
    kept-alive connections, so a client could otherwise hold a connection open with partial headers."""

    _head_deadline: asyncio.TimerHandle | None = None
    _head_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        if self._head_deadline is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still waiting for the end of the head after this much: refuse to buffer more of it.
        if self._head_deadline is not None and self._head_bytes > MAX_HEADER_BYTES:
            self._close("request head too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_deadline is None:  # the next request on a kept-alive connection
            self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._head_bytes = 0
        self._head_deadline = self.loop.call_later(
            HEADER_TIMEOUT_SECONDS, self._close, "request head not complete in time"
        )

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _close(self, reason: str) -> None:
        self._disarm_head_deadline()
        if not self.transport.is_closing():
            self.logger.info("Dropped a connection: %s.", reason)
            self.transport.close()


class Worker(UvicornWorker):  # type: ignore[misc]
    """A gunicorn worker process running uvicorn's event loop with :class:`HeaderDeadlineProtocol`."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "asyncio",
        "http": HeaderDeadlineProtocol,
        "lifespan": "on",
        "access_log": False,
        "server_header": False,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn's own records go through the process's logging (one line each, see bot.logs), not
        # straight to gunicorn's handlers; no access log (as before: gunicorn's was off too).
        errors = logging.getLogger("uvicorn.error")
        errors.handlers, errors.propagate = [], True
        access = logging.getLogger("uvicorn.access")
        access.handlers, access.propagate, access.disabled = [], False, True


def run_server(config: ServerConfig, load: Callable[[], WsgiApp]) -> None:
    """Serve the WSGI app that ``load`` builds (called once in each worker process) until stopped."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{config.host}:{config.port}")
            self.cfg.set("workers", config.workers)
            self.cfg.set("worker_class", f"{Worker.__module__}.{Worker.__qualname__}")
            self.cfg.set("keepalive", KEEPALIVE_SECONDS)
            self.cfg.set("timeout", config.timeout_seconds)
            self.cfg.set("graceful_timeout", config.graceful_timeout_seconds)
            self.cfg.set("accesslog", None)
            # gunicorn's control socket is one per user ($HOME/.gunicorn): two servers on a machine (a
            # test run beside a bench run) would take it from each other. Nothing here uses it.
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> BufferedWsgi:
            return BufferedWsgi(
                load(),
                threads=config.threads,
                body_timeout_seconds=BODY_TIMEOUT_SECONDS,
                max_body_bytes=MAX_BODY_BYTES,
            )

    Server().run()

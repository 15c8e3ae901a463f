"""How HTTP mode is served: one server configuration for ``playbook-bot serve`` and for the benchmark's
baseline apps, so a comparison between them is a comparison of the apps, not of two servers.

gunicorn, ``gthread`` workers (``WEB_CONCURRENCY`` processes × ``PLAYBOOK_LISTENER_THREADS`` threads).
Bolt's ``App.start()`` is a development server and is never used here."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


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


def run_server(config: ServerConfig, load: Callable[[], WsgiApp]) -> None:
    """Serve the WSGI app that ``load`` builds (called once in each worker process) until stopped."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{config.host}:{config.port}")
            self.cfg.set("workers", config.workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", config.threads)
            self.cfg.set("timeout", config.timeout_seconds)
            self.cfg.set("graceful_timeout", config.graceful_timeout_seconds)
            self.cfg.set("accesslog", None)

        def load(self) -> WsgiApp:
            return load()

    Server().run()

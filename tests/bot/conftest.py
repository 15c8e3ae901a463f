"""End-to-end harness: the real Bolt app behind a real HTTP server, a local stand-in for Slack's Web
API, and a client that signs requests exactly as Slack does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, event

from bot.app import build_deps, create_app, make_web_client
from bot.delivery import Flushed, one_client, send_ready
from bot.deps import Deps
from bot.settings import Settings
from bot.web import make_wsgi_app
from flows.clock import Clock, FixedClock
from localslack.requests import SignedSlackClient
from localslack.webapi import Message, SlackWebApiStandIn
from storage.db import make_engine, make_session_factory

SIGNING_SECRET = "test-signing-secret"
TEAM = "T0COUNCIL"
OTHER_TEAM = "T0OTHER"
CHANNEL = "C0TEAM"
LEADS = "C0LEADS"
FACILITATOR, ALEX, SAM = "U0FAC", "U0ALEX", "U0SAM"
# A Slack workspace admin (users.info is_admin): the one who may change settings and name leads.
ADMIN = "U0ADMIN"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # Tests open many connections at once (twenty simultaneous starts): the default backlog of 5
    # resets some of them on a busy machine before the accept loop gets to them.
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Harness:
    slack: SlackWebApiStandIn
    client: SignedSlackClient
    deps: Deps
    clock: FixedClock
    url: str

    def thread(self, channel: str, thread_ts: str | None) -> list[Message]:
        return [
            m for m in self.slack.messages(channel=channel) if m.thread_ts == thread_ts and m.ts != thread_ts
        ]

    def last_text(self, channel: str, thread_ts: str | None) -> str:
        messages = self.thread(channel, thread_ts)
        assert messages, "the bot posted nothing there"
        return rendered(messages[-1])

    def send_outbox(self) -> Flushed:
        """Run the background sender once, as the scheduler's ``send-outbox`` job does (with this
        harness's clock: advance it to pass a Retry-After)."""
        client = make_web_client(
            self.deps.settings,
            self.deps.settings.slack_bot_token.get_secret_value()
            if self.deps.settings.slack_bot_token
            else None,
            retries=False,
        )
        return send_ready(self.deps, one_client(client))


def rendered(message: Message) -> str:
    """Everything a person would read in a message: its blocks' text (or the fallback text)."""
    parts: list[str] = []
    for block in message.blocks or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for element in block.get("elements", []) or []:
            if isinstance(element, dict):
                inner = element.get("text")
                parts.append(str(inner.get("text", "")) if isinstance(inner, dict) else str(inner or ""))
        for field in block.get("fields", []) or []:
            parts.append(str(field.get("text", "")))
    return "\n".join(parts) if parts else (message.text or "")


def serve(application: Any) -> tuple[_ThreadingServer, str]:
    server = make_server(
        "127.0.0.1", 0, application, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    # A short poll interval: ``shutdown()`` waits for the loop's next poll (half a second by default, at
    # the end of every test).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}/slack/events"


def add_workspaces(standin: SlackWebApiStandIn) -> None:
    """The two councils every bot test uses, with their people and channels, on a started stand-in."""
    for team, name in ((TEAM, "Anytown Council"), (OTHER_TEAM, "Othershire Council")):
        standin.add_team(team, name, bot_user_id="UBOT", bot_token=f"xoxb-{team}")
        for user, display in ((FACILITATOR, "Fran"), (ALEX, "Alex"), (SAM, "Sam")):
            standin.add_user(team, user, display)
        standin.add_user(team, ADMIN, "Ada", is_admin=True)
        standin.add_channel(team, CHANNEL, "team", members=[FACILITATOR, ALEX, SAM])
        standin.add_channel(team, LEADS, "leads", members=[FACILITATOR])


@pytest.fixture
def slack() -> Iterator[SlackWebApiStandIn]:
    standin = SlackWebApiStandIn()
    standin.start()
    add_workspaces(standin)
    yield standin
    standin.stop()


def make_settings(slack: SlackWebApiStandIn, database_url: str, team: str = TEAM) -> Settings:
    return Settings(
        slack_bot_token=SecretStr(f"xoxb-{team}"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.base_url,
        database_url=database_url,
        # The request path sends what it queued before the ack; on a busy test machine give it time,
        # so a test never depends on the background sender unless it runs it (``send_outbox``).
        playbook_outbox_request_budget_seconds=30,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def harness(slack: SlackWebApiStandIn, migrated_database_url: str) -> Iterator[Harness]:
    """The app over HTTP on the test's database (``database_url``, migrated)."""
    clock = FixedClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    settings = make_settings(slack, migrated_database_url)
    deps = build_deps(settings, clock)
    server, url = serve(make_wsgi_app(create_app(settings, deps), ready=deps.database_ready))
    yield Harness(slack, SignedSlackClient(url, SIGNING_SECRET), deps, clock, url)
    server.shutdown()
    server.server_close()


@contextmanager
def counted_statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` within the block, each on one line (shortened). BEGIN is
    left out: SQLite's BEGIN IMMEDIATE is a statement, PostgreSQL's BEGIN is implicit in the driver, so
    a bound counted this way is the same on both."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(" ".join(statement.split())[:160])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def engine_of(h: Harness) -> Engine:
    """The engine the harness's bot runs on."""
    return cast(Engine, h.deps.session_factory.kw["bind"])


def worker_deps(slack: SlackWebApiStandIn, database_url: str, clock: Clock) -> Deps:
    """What a scheduler worker process has: its own engine (its own connection pool), the workspace's
    bot token, the stand-in's Web API, and ``clock``."""
    settings = Settings(
        slack_bot_token=SecretStr(f"xoxb-{TEAM}"),
        slack_api_url=slack.base_url,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    return Deps(
        settings=settings,
        session_factory=make_session_factory(make_engine(database_url)),
        clock=clock,
    )

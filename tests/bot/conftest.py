"""End-to-end harness: the real Bolt app behind a real HTTP server, a local stand-in for Slack's Web
API, and a client that signs requests exactly as Slack does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from pydantic import SecretStr

from bot.app import build_deps, create_app
from bot.deps import Deps
from bot.settings import Settings
from bot.web import make_wsgi_app
from flows.clock import FixedClock
from localslack.requests import SignedSlackClient
from localslack.webapi import Message, SlackWebApiStandIn

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_port}/slack/events"


@pytest.fixture
def slack() -> Iterator[SlackWebApiStandIn]:
    standin = SlackWebApiStandIn()
    standin.start()
    for team, name in ((TEAM, "Anytown Council"), (OTHER_TEAM, "Othershire Council")):
        standin.add_team(team, name, bot_user_id="UBOT", bot_token=f"xoxb-{team}")
        for user, display in ((FACILITATOR, "Fran"), (ALEX, "Alex"), (SAM, "Sam")):
            standin.add_user(team, user, display)
        standin.add_user(team, ADMIN, "Ada", is_admin=True)
        standin.add_channel(team, CHANNEL, "team", members=[FACILITATOR, ALEX, SAM])
        standin.add_channel(team, LEADS, "leads", members=[FACILITATOR])
    yield standin
    standin.stop()


def make_settings(slack: SlackWebApiStandIn, database_url: str, team: str = TEAM) -> Settings:
    return Settings(
        slack_bot_token=SecretStr(f"xoxb-{team}"),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.base_url,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def harness(slack: SlackWebApiStandIn, database_url: str) -> Iterator[Harness]:
    clock = FixedClock(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    settings = make_settings(slack, database_url)
    deps = build_deps(settings, clock)
    server, url = serve(make_wsgi_app(create_app(settings, deps)))
    yield Harness(slack, SignedSlackClient(url, SIGNING_SECRET), deps, clock, url)
    server.shutdown()
    server.server_close()

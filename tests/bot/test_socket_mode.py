"""Socket Mode runs the same app: envelopes handed to Bolt's SocketModeHandler reach our listeners
(no WebSocket is opened; the recorder stands in for Slack's end of the socket)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.app import build_deps, create_app
from bot.deps import Deps
from bot.settings import Settings
from flows.clock import FixedClock
from localslack.webapi import SlackWebApiStandIn
from tests.bot.conftest import CHANNEL, FACILITATOR, TEAM, rendered


class SlackSocketEnd:
    """Records the acknowledgements our app sends back over the socket."""

    def __init__(self) -> None:
        self.responses: list[SocketModeResponse] = []
        self.logger = logging.getLogger("socket-test")

    def send_socket_mode_response(self, response: SocketModeResponse) -> None:
        self.responses.append(response)


@pytest.fixture
def socket_app(slack: SlackWebApiStandIn, sqlite_url: str) -> Iterator[tuple[SocketModeHandler, Deps]]:
    settings = Settings(
        slack_bot_token=SecretStr(f"xoxb-{TEAM}"),
        slack_app_token=SecretStr("xapp-test"),
        slack_api_url=slack.base_url,
        database_url=sqlite_url,
        playbook_outbox_request_budget_seconds=30,  # a busy test machine never leaves a post behind
        _env_file=None,  # type: ignore[call-arg]
    )
    deps = build_deps(settings, FixedClock(datetime(2026, 11, 25, 10, tzinfo=UTC)))
    handler = SocketModeHandler(create_app(settings, deps, socket_mode=True), "xapp-test")
    yield handler, deps


def _envelope(kind: str, payload: dict[str, Any], envelope_id: str) -> SocketModeRequest:
    return SocketModeRequest(type=kind, envelope_id=envelope_id, payload=payload)


def test_a_session_runs_over_socket_mode(
    socket_app: tuple[SocketModeHandler, Deps], slack: SlackWebApiStandIn
) -> None:
    handler, deps = socket_app
    socket = SlackSocketEnd()
    command = {
        "command": "/playbook",
        "text": "start five-whys Missed collections",
        "team_id": TEAM,
        "user_id": FACILITATOR,
        "channel_id": CHANNEL,
        "channel_name": "team",
        "trigger_id": "1.2.3",
    }
    handler.handle(socket, _envelope("slash_commands", command, "env-1"))  # type: ignore[arg-type]
    assert socket.responses and socket.responses[0].envelope_id == "env-1"
    assert "Started" in str(socket.responses[0].payload)
    thread = next(m.ts for m in slack.messages(channel=CHANNEL) if m.thread_ts is None)
    event = {
        "token": "x",
        "team_id": TEAM,
        "api_app_id": "A0PLAYBOOK",
        "type": "event_callback",
        "event_id": "Ev0SOCKET",
        "event_time": 1,
        "event": {
            "type": "message",
            "user": FACILITATOR,
            "text": "Crews lack round information",
            "channel": CHANNEL,
            "channel_type": "channel",
            "ts": "1764064800.000200",
            "thread_ts": thread,
        },
    }
    handler.handle(socket, _envelope("events_api", event, "env-2"))  # type: ignore[arg-type]
    assert "Why 2" in rendered(slack.messages(channel=CHANNEL)[-1])
    with deps.uow() as uow:
        (session,) = uow.sessions.for_user(TEAM, FACILITATOR)
        assert uow.answers.latest(session.id)["whys.1.answer"].value == "Crews lack round information"

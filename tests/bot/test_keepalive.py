"""The kept-alive Web API client against the local stand-in: calls share one connection, errors and
429s reach slack_sdk's handlers as with urllib, and a connection the server dropped is replaced."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.keepalive import KeepAliveWebClient, _connections
from localslack import SlackWebApiStandIn

TEAM, TOKEN, GENERAL, ALEX = "T0AAA", "xoxb-test-T0AAA", "C0GENERAL", "U0ALEX"
WAIT = 60.0  # the client's timeout: only a failure waits it out, however busy the machine


@pytest.fixture
def standin() -> Iterator[SlackWebApiStandIn]:
    with SlackWebApiStandIn() as slack:
        slack.add_team(TEAM, "Anytown Council")
        slack.add_user(TEAM, ALEX, "alex")
        slack.add_channel(TEAM, GENERAL, "general", members=[ALEX])
        yield slack


def _socket_of(standin: SlackWebApiStandIn) -> object:
    [connection] = [c for key, c in _connections().items() if standin.base_url.startswith(f"{key[0]}://")]
    return connection.sock


def test_calls_reuse_one_connection(standin: SlackWebApiStandIn) -> None:
    _connections().clear()
    client = KeepAliveWebClient(base_url=standin.base_url, token=TOKEN, timeout=WAIT)
    client.chat_postMessage(channel=GENERAL, text="first")
    first = _socket_of(standin)
    assert first is not None
    posted = client.chat_postMessage(channel=GENERAL, text="second", blocks=[{"type": "divider"}])
    assert _socket_of(standin) is first
    assert posted["ok"] and [m.text for m in standin.messages()] == ["first", "second"]


def test_slack_errors_and_rate_limits_behave_as_with_urllib(standin: SlackWebApiStandIn) -> None:
    client = KeepAliveWebClient(base_url=standin.base_url, token=TOKEN, timeout=WAIT)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    standin.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    client.chat_postMessage(channel=GENERAL, text="after the wait")
    assert time.monotonic() - started >= 1.0
    assert [(c.status, c.error) for c in standin.calls_to("chat.postMessage")] == [
        (429, "ratelimited"),
        (200, None),
    ]
    standin.fail_next("chat.postMessage", status=503)
    with pytest.raises(SlackApiError) as failed:
        client.chat_postMessage(channel=GENERAL, text="x")
    assert failed.value.response.status_code == 503
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0NOWHERE", text="x")
    assert refused.value.response["error"] == "channel_not_found"
    assert [m.text for m in standin.messages()] == ["after the wait"]


def test_a_connection_closed_by_the_server_is_replaced(standin: SlackWebApiStandIn) -> None:
    _connections().clear()
    client = KeepAliveWebClient(base_url=standin.base_url, token=TOKEN, timeout=WAIT)
    client.chat_postMessage(channel=GENERAL, text="first")
    sock = _socket_of(standin)
    sock.shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]  # as a server dropping an idle connection
    client.chat_postMessage(channel=GENERAL, text="second")
    assert [m.text for m in standin.messages()] == ["first", "second"]


def test_a_kept_connection_never_waits_for_an_ack_and_nor_does_the_stand_in(
    standin: SlackWebApiStandIn,
) -> None:
    """Nagle's algorithm on a kept-alive connection holds a small second write until the peer's delayed
    ACK (about 40 ms on Linux): the stand-in wrote headers and body apart, so every call stalled."""
    _connections().clear()
    client = KeepAliveWebClient(base_url=standin.base_url, token=TOKEN, timeout=5)
    client.chat_postMessage(channel=GENERAL, text="first")
    sock = _socket_of(standin)
    assert isinstance(sock, socket.socket)
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    from localslack.webapi import _Handler

    assert _Handler.disable_nagle_algorithm
    # A timeout changed between calls (the request path's budget) still uses the same connection.
    client.timeout = 2
    client.chat_postMessage(channel=GENERAL, text="second")
    assert _socket_of(standin) is sock
    assert sock.gettimeout() == 2

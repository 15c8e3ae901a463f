"""The real HTTP server (``playbook-bot serve``, as the Procfile runs it) against clients that misbehave:
slow or stalled clients cannot hold it up, malformed Slack headers are refused (never a 500), and what
a request carries never fills or forges the log."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localslack.requests import FORM, SignedSlackClient, SlackResponse
from localslack.webapi import SlackWebApiStandIn
from tests.bot.conftest import CHANNEL, FACILITATOR, SIGNING_SECRET, TEAM

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 200
ANSWER_WITHIN_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 300.0) -> None:
    """Poll until ``condition`` holds; the bound is generous, as only a failure waits it out (a server
    starting on a loaded 2-core machine can take a minute)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def client(self, timeout: float = 30.0) -> SignedSlackClient:
        return SignedSlackClient(self.url, SIGNING_SECRET, timeout=timeout)

    def healthz(self, timeout: float) -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=timeout) as reply:
            return int(reply.status)

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()


def serve(slack: SlackWebApiStandIn, database_url: str, tmp_path: Path) -> Iterator[Served]:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PLAYBOOK_", "WEB_"))},
        "SLACK_BOT_TOKEN": f"xoxb-{TEAM}",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-scheduler",
            ],
            env=env,
            cwd=tmp_path,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, port, log)
    try:

        def healthy() -> bool:
            assert process.poll() is None, "\n".join(served.log_lines()[-30:])
            try:
                return served.healthz(timeout=30) == 200
            except OSError:
                return False

        wait_for(healthy, "the server to start")
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def served(slack: SlackWebApiStandIn, database_url: str, tmp_path: Path) -> Iterator[Served]:
    yield from serve(slack, database_url, tmp_path)


@pytest.fixture(scope="module")
def served_on_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the tests that only send it requests it must refuse."""
    slack = SlackWebApiStandIn()
    slack.start()
    slack.add_team(TEAM, "Anytown Council", bot_user_id="UBOT", bot_token=f"xoxb-{TEAM}")
    slack.add_user(TEAM, FACILITATOR, "Fran")
    slack.add_channel(TEAM, CHANNEL, "team", members=[FACILITATOR])
    tmp_path = tmp_path_factory.mktemp("served")
    try:
        yield from serve(slack, f"sqlite:///{tmp_path / 'playbook.db'}", tmp_path)
    finally:
        slack.stop()


def help_command(client: SignedSlackClient) -> SlackResponse:
    return client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="help")


# ------------------------------------------------------------------------------------ slow clients


def server_side_queues(port: int) -> tuple[int, list[int]]:
    """From the kernel's TCP table: connections waiting to be accepted on ``port``, and the bytes not yet
    read by the server on each established connection to it."""
    waiting, unread = 0, []
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            if local_port != port:
                continue
            state, queues = fields[3], fields[4]
            rx_queue = int(queues.split(":")[1], 16)
            if state == "0A":  # LISTEN: rx_queue is the accept backlog
                waiting += rx_queue
            elif state == "01":  # ESTABLISHED
                unread.append(rx_queue)
    return waiting, unread


def partial_head(port: int) -> socket.socket:
    """A client that starts a request's headers and never finishes them."""
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slack-Request-Timestamp: 17")
    return connection


def dripping_body(port: int) -> socket.socket:
    """A client that sends complete headers for a 1,000-byte body, then the body one byte at a time."""
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n"
        + f"X-Slack-Request-Timestamp: {int(time.time())}\r\n".encode()
        + b"X-Slack-Signature: v0="
        + b"0" * 64
        + b"\r\n\r\nt"
    )
    return connection


def drip(connections: list[socket.socket], stop: threading.Event, every: float = 5.0) -> None:
    while not stop.wait(every):
        for connection in connections:
            with contextlib.suppress(OSError):  # dropped by the server, as it should be
                connection.send(b"x")


def read_until_closed(connection: socket.socket, deadline: float) -> bytes:
    received = b""
    while time.monotonic() < deadline:
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = connection.recv(4096)
        except TimeoutError:
            break
        except OSError:
            return received  # reset by the server: closed
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"connection still open: {received!r}")


def test_slow_clients_cannot_stall_it(served: Served) -> None:
    client = served.client(timeout=ANSWER_WITHIN_SECONDS)
    assert help_command(client).status == 200

    stalled = [partial_head(served.port) for _ in range(SLOW_CLIENTS // 2)]
    dripping = [dripping_body(served.port) for _ in range(SLOW_CLIENTS // 2)]
    stop = threading.Event()
    dripper = threading.Thread(target=drip, args=(dripping, stop), daemon=True)
    dripper.start()
    try:
        # Every slow connection accepted by the server (what it does with them is the point of the test).
        def all_accepted() -> bool:
            waiting, accepted = server_side_queues(served.port)
            return waiting == 0 and len(accepted) >= SLOW_CLIENTS

        wait_for(all_accepted, f"the server to accept all {SLOW_CLIENTS} slow connections")

        started = time.monotonic()
        reply = client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="help")
        answered = time.monotonic() - started
        assert reply.status == 200 and answered < ANSWER_WITHIN_SECONDS, (reply.status, answered)

        started = time.monotonic()
        assert served.healthz(timeout=ANSWER_WITHIN_SECONDS) == 200
        assert time.monotonic() - started < ANSWER_WITHIN_SECONDS

        # The server drops them itself: headers or body not complete in time.
        deadline = time.monotonic() + 60
        for connection in stalled:
            assert read_until_closed(connection, deadline) == b""
        for connection in dripping:
            assert read_until_closed(connection, deadline).startswith(b"HTTP/1.1 408 ")
    finally:
        stop.set()
        dripper.join()
        for connection in stalled + dripping:
            connection.close()
    # And it still answers afterwards.
    assert help_command(client).status == 200


# ---------------------------------------------------------------------------- bad headers, the log


@pytest.mark.parametrize("timestamp", ["abc", "1e9", "", "-1", "1.5", "9" * 40])
def test_a_malformed_timestamp_is_refused_not_an_error(served_on_sqlite: Served, timestamp: str) -> None:
    body = b"command=%2Fplaybook&text=help&team_id=" + TEAM.encode()
    reply = served_on_sqlite.client().raw(body, FORM, timestamp=timestamp)
    assert reply.status in (400, 401), reply


@pytest.mark.parametrize("signature", ["", "garbage", "v0=", "v0=" + "g" * 64, "v1=" + "0" * 64, "v0=é"])
def test_a_malformed_signature_is_refused_not_an_error(served_on_sqlite: Served, signature: str) -> None:
    reply = served_on_sqlite.client().raw(b"command=%2Fplaybook&text=help", FORM, signature=signature or " ")
    assert reply.status in (400, 401), reply


def test_request_bodies_neither_fill_nor_forge_the_log(served_on_sqlite: Served) -> None:
    client = served_on_sqlite.client()
    forged = "2026-01-01 00:00:00,000 ERROR playbook.security: FORGED"
    body = f"command=%2Fplaybook&team_id={TEAM}&text=x\n{forged}\n".encode() + b"a" * 1_000_000
    body = body[:1_000_000]
    assert len(body) == 1_000_000
    # Unsigned (a well-formed but wrong signature): it reaches Bolt's signature check, which refuses it.
    assert client.raw(body, FORM, signature="v0=" + "0" * 64).status == 401
    # Signed but stale: refused the same way.
    assert client.raw(body, FORM, timestamp=int(time.time()) - 3600).status == 401
    # Signed and current, answered: the server still runs.
    assert help_command(client).status == 200

    lines = served_on_sqlite.log_lines()
    assert lines, "the server logged nothing at all"
    assert max(len(line) for line in lines) <= 2048, max(lines, key=len)[:300]
    assert not any(line.startswith(forged[:23]) for line in lines)
    assert not any("a" * 2000 in line for line in lines)

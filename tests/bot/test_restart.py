"""Kill the real server (gunicorn, as the Procfile runs it) with SIGKILL mid-session, start it again:
the next reply continues at the same question and nothing is lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from localslack.requests import SignedSlackClient
from localslack.webapi import SlackWebApiStandIn
from storage.db import make_engine, make_session_factory
from storage.uow import UnitOfWork
from tests.bot.conftest import CHANNEL, FACILITATOR, SIGNING_SECRET, TEAM, rendered

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own CLI
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-scheduler",
            ],
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # Only a failure waits the bound out: a server starting on a loaded 2-core machine can take a minute.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited ({self.process.returncode})"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=30) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def server(slack: SlackWebApiStandIn, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    url = f"sqlite:///{tmp_path / 'playbook.db'}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SLACK_")},
        "SLACK_BOT_TOKEN": f"xoxb-{TEAM}",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": url,
        "LOG_LEVEL": "WARNING",
        # The request path sends the next prompt before the ack; give it all the time it may take on a
        # loaded machine, so a prompt is never left to the background sender (a timing window that is
        # not what this test is about: that is tests/bot/test_outbox_processes.py's).
        "PLAYBOOK_OUTBOX_REQUEST_BUDGET_SECONDS": "60",
    }
    process = Server(env, _free_port())
    yield process, url
    if process.process is not None and process.process.poll() is None:
        process.kill()


def eventually(condition: Callable[[], bool], what: str) -> None:
    """Poll until ``condition`` holds; the bound is generous, as only a failure waits it out."""
    deadline = time.monotonic() + 300
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not arrive"
        time.sleep(0.05)


def test_sigkill_mid_session_then_restart_resumes_at_the_same_question(
    slack: SlackWebApiStandIn, server: tuple[Server, str]
) -> None:
    process, url = server
    process.start()
    client = SignedSlackClient(f"http://127.0.0.1:{process.port}/slack/events", SIGNING_SECRET)
    assert (
        client.slash_command(
            team_id=TEAM,
            user_id=FACILITATOR,
            channel_id=CHANNEL,
            text="start five-whys Garden waste renewals fail",
        ).status
        == 200
    )
    thread = next(m.ts for m in slack.messages(channel=CHANNEL) if m.thread_ts is None)
    assert (
        client.message(
            team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, thread_ts=thread, text="Payments time out"
        ).status
        == 200
    )
    eventually(lambda: "Why 2" in rendered(slack.messages(channel=CHANNEL)[-1]), "the second question")

    process.kill()
    process.start()

    assert (
        client.message(
            team_id=TEAM,
            user_id=FACILITATOR,
            channel_id=CHANNEL,
            thread_ts=thread,
            text="The payment provider's session expires after 60 seconds",
        ).status
        == 200
    )
    eventually(lambda: "Why 3" in rendered(slack.messages(channel=CHANNEL)[-1]), "the third question")
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        (session,) = uow.sessions.for_user(TEAM, FACILITATOR)
        latest = uow.answers.latest(session.id)
        assert latest["whys.1.answer"].value == "Payments time out"
        assert latest["whys.2.answer"].value.startswith("The payment provider's session")

"""The outbox with real processes: ``python -m bot serve`` (gunicorn, as the Procfile runs it) and
``python -m bot worker``, against the Web API stand-in served by this test process.

Every wait synchronises on what happened: the stand-in holding a call (``stall_next``), a row in the
database, a message in the stand-in, a process answering ``/healthz``; each is bounded by
:data:`DEADLINE` and polled, never slept in place of a schedule.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import Engine, select

from localslack.requests import SignedSlackClient
from localslack.webapi import SlackWebApiStandIn
from storage.db import make_engine, make_session_factory
from storage.models import AnswerVersion, OutboxMessage, OutboxStatus
from storage.outbox import database_now
from tests.bot.conftest import CHANNEL, FACILITATOR, SIGNING_SECRET, TEAM, rendered

pytestmark = pytest.mark.slow

DEADLINE = 300.0  # seconds: the bound on every wait (only a failure waits it out)
POLL = 0.05
CLAIM_SECONDS = 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Process:
    """A process this test started (in its own process group) and its log."""

    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the process group of the process this test started (gunicorn and its workers)."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], what: str, watched: list[Process]) -> None:
    started = time.monotonic()
    while not condition():
        for process in watched:
            if not process.alive():
                pytest.fail(
                    f"a process exited ({process.process.returncode}) before {what}:\n{process.log()}"
                )
        if time.monotonic() - started > DEADLINE:
            logs = "\n\n".join(p.log()[-4000:] for p in watched)
            pytest.fail(f"{what} did not happen within {DEADLINE:.0f} s:\n{logs}")
        time.sleep(POLL)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own test server
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


@dataclass
class Processes:
    slack: SlackWebApiStandIn
    database_url: str
    tmp_path: Path
    started: list[Process]

    def _env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "PLAYBOOK_"))
            and key not in ("DATABASE_URL", "PORT", "WEB_CONCURRENCY")
        }
        return env | {
            "SLACK_BOT_TOKEN": f"xoxb-{TEAM}",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.base_url,
            "DATABASE_URL": self.database_url,
            "PLAYBOOK_OUTBOX_CLAIM_SECONDS": str(CLAIM_SECONDS),
            # A post held by the stand-in stays in flight until the test kills the server, however
            # slowly a busy machine lets the test notice: the request's client timeout is never what
            # ends it (that would be a timing window, not the crash under test).
            "PLAYBOOK_OUTBOX_REQUEST_BUDGET_SECONDS": "60",
            "WEB_CONCURRENCY": "1",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }

    def _start(self, name: str, args: list[str]) -> Process:
        log_path = self.tmp_path / f"{name}-{len(self.started) + 1}.log"
        log_file = log_path.open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own CLI
            [sys.executable, "-m", "bot", *args],
            cwd=self.tmp_path,  # no stray .env file is read
            env=self._env(),
            start_new_session=True,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        started = Process(process, log_path, log_file)
        self.started.append(started)
        return started

    def serve(self, port: int, *, scheduler: bool = False) -> Process:
        args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        server = self._start("serve", args if scheduler else [*args, "--no-scheduler"])
        wait_for(lambda: _get(f"http://127.0.0.1:{port}/healthz") == 200, "the server answering", [server])
        return server

    def worker(self) -> Process:
        return self._start("worker", ["worker"])


@pytest.fixture
def processes(slack: SlackWebApiStandIn, database_url: str, tmp_path: Path) -> Iterator[Processes]:
    started: list[Process] = []
    yield Processes(slack, database_url, tmp_path, started)
    slack.release_stalls()
    for process in started:
        process.kill()
        process.log_file.close()


def outbox_rows(engine: Engine) -> list[OutboxMessage]:
    with make_session_factory(engine)() as orm:
        return list(orm.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def thread_texts(slack: SlackWebApiStandIn, thread: str) -> list[str]:
    return [rendered(m) for m in slack.messages(channel=CHANNEL) if m.thread_ts == thread]


def start_session(client: SignedSlackClient, slack: SlackWebApiStandIn, statement: str) -> str:
    response = client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text=statement)
    assert response.status == 200, response.body
    return [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None][-1].ts


@pytest.mark.parametrize("when", ["before", "after"])
def test_killed_between_commit_and_post_then_slacks_retry_posts_the_prompt_exactly_once(
    slack: SlackWebApiStandIn, database_url: str, processes: Processes, when: str
) -> None:
    """``before``: killed while its post is on the way (Slack never got it); ``after``: killed once
    Slack has stored the prompt but before the server heard back. Either way the answer is committed
    with its prompt, and Slack's retry of the event (once the dead server's claim is stale) leads to
    exactly one prompt in the thread."""
    port = _free_port()
    engine = make_engine(database_url)
    server = processes.serve(port)
    client = SignedSlackClient(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, timeout=60)
    thread = start_session(client, slack, "start five-whys Blue badge renewals stall")
    # What the start queued may still be on its way after the ack (the request path sends within its
    # budget, the background sender the rest): the stall below is for the answer's prompt, so wait for
    # the start's messages first (on a loaded machine the stall once caught the introduction instead).
    wait_for(
        lambda: {row.status for row in outbox_rows(engine)} == {OutboxStatus.SENT},
        "the start's messages sent",
        [server],
    )
    assert sum("Why 1" in text for text in thread_texts(slack, thread)) == 1

    reached = slack.stall_next("chat.postMessage", when=when)  # type: ignore[arg-type]
    event = "Ev0KILLED"
    stamp = client.new_ts()

    def reply(retry: int | None) -> None:
        client.message(
            team_id=TEAM,
            user_id=FACILITATOR,
            channel_id=CHANNEL,
            thread_ts=thread,
            text="The renewal letter goes to an old address",
            ts=stamp,
            event_id=event,
            retry_num=retry,
            retry_reason="http_timeout" if retry else None,
        )

    first = threading.Thread(target=lambda: _swallow(lambda: reply(None)), daemon=True)
    first.start()
    wait_for(reached.is_set, "the prompt's post reaching the stand-in", [server])
    server.kill()  # between the commit and the outcome of the post
    slack.release_stalls()
    first.join(DEADLINE)
    (owed,) = [row for row in outbox_rows(engine) if row.status != OutboxStatus.SENT]
    assert owed.status == OutboxStatus.CLAIMED  # held by the dead server
    in_slack = sum("Why 2" in text for text in thread_texts(slack, thread))
    assert in_slack == (1 if when == "after" else 0)

    server = processes.serve(port)

    def claim_stale() -> bool:
        with make_session_factory(engine)() as orm:
            row = orm.get(OutboxMessage, owed.id)
            assert row is not None and row.claimed_at is not None
            return database_now(orm) - row.claimed_at > timedelta(seconds=CLAIM_SECONDS)

    wait_for(claim_stale, "the dead server's claim going stale (database clock)", [server])
    reply(1)  # Slack's retry of the same event
    wait_for(
        lambda: {row.status for row in outbox_rows(engine)} == {OutboxStatus.SENT},
        "the prompt marked sent",
        [server],
    )
    assert sum("Why 2" in text for text in thread_texts(slack, thread)) == 1
    with make_session_factory(engine)() as orm:
        answers = list(orm.scalars(select(AnswerVersion).where(AnswerVersion.key == "whys.1.answer")))
    assert len(answers) == 1  # the retry stored nothing twice
    # The conversation goes on in the same thread.
    client.message(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, thread_ts=thread, text="Old records"
    )
    assert sum("Why 3" in text for text in thread_texts(slack, thread)) == 1


def _swallow(action: Callable[[], None]) -> None:
    with contextlib.suppress(OSError):  # the server was killed under this request
        action()


def test_server_and_worker_start_while_slack_is_down_and_serve_once_it_is_back(
    slack: SlackWebApiStandIn, database_url: str, processes: Processes
) -> None:
    slack.down()
    port = _free_port()
    server = processes.serve(port)  # answers /healthz with Slack unreachable
    worker = processes.worker()
    wait_for(lambda: "worker started" in worker.log(), "the worker starting", [server, worker])
    assert _get(f"http://127.0.0.1:{port}/readyz") == 200  # ready: its database answers
    assert server.alive() and worker.alive()

    slack.up()
    client = SignedSlackClient(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, timeout=60)
    thread = start_session(client, slack, "start five-whys Garden waste permits arrive late")
    assert sum("Why 1" in text for text in thread_texts(slack, thread)) == 1
    # A prompt Slack refuses for a while is left to the background senders (the worker's, and the
    # server's own), which send it after the wait, once.
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    response = client.message(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, thread_ts=thread, text="The printer queue jams"
    )
    assert response.status == 200
    wait_for(
        lambda: sum("Why 2" in text for text in thread_texts(slack, thread)) == 1,
        "the prompt sent after Retry-After",
        [server, worker],
    )
    engine = make_engine(database_url)
    wait_for(
        lambda: {row.status for row in outbox_rows(engine)} == {OutboxStatus.SENT},
        "every message marked sent",
        [server, worker],
    )
    assert (worker.log() + server.log()).count("outbox: 1 sent") == 1
    assert sum("Why 2" in text for text in thread_texts(slack, thread)) == 1
    assert server.alive() and worker.alive()


def test_a_session_started_while_slack_is_down_reaches_its_channel_when_slack_is_back(
    slack: SlackWebApiStandIn, database_url: str, processes: Processes
) -> None:
    """The start is stored with its anchor owed; the server's own sender (no worker) posts the anchor
    and then the introduction in its thread once Slack answers again."""
    port = _free_port()
    server = processes.serve(port, scheduler=True)
    client = SignedSlackClient(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, timeout=60)
    # The first request has asked Slack who the bot is (cached from then on).
    assert (
        client.slash_command(team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="help").status == 200
    )
    slack.down()
    response = client.slash_command(
        team_id=TEAM, user_id=FACILITATOR, channel_id=CHANNEL, text="start five-whys Potholes reopen"
    )
    assert response.status == 200 and "session 1" in response.body
    slack.up()
    wait_for(
        lambda: any("Why 1" in rendered(m) for m in slack.messages(channel=CHANNEL)),
        "the anchor and first question posted",
        [server],
    )
    anchors = [m for m in slack.messages(channel=CHANNEL) if m.thread_ts is None]
    assert len(anchors) == 1
    assert sum("Why 1" in text for text in thread_texts(slack, anchors[0].ts)) == 1

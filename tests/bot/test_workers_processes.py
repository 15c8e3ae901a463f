"""Check-ins exactly once with real processes: ``python -m bot worker`` (what ``playbook-bot worker`` and the
Procfile's ``worker:`` run) as subprocesses against one PostgreSQL schema, posting to the Web API
stand-in served by this test process.

The workers use the real clock: the check-ins are simply due already when they start, and the scheduler
runs the dispatcher at start-up (``next_run_time`` in ``bot/scheduler.py``), which works through
batches until nothing is due. The test polls the stand-in and the database for the outcome (bounded by
:data:`DEADLINE`); it never sleeps in place of schedule logic.

The claim-timeout rule, which the SIGKILL test relies on: a worker claims due rows (``sending``, with
its claim token and ``claimed_at``) before it posts them. If it dies holding claims, those rows are
neither lost nor sent by anyone else until the claim is older than ``PLAYBOOK_SENDING_TIMEOUT_SECONDS``
(default 600, ``storage.checkins.SENDING_TIMEOUT``); then any worker takes them over and sends them
once. A check-in Slack had already accepted when the process died is marked ``sent`` in the same
breath, so only a kill in the one-UPDATE window between Slack's reply and that commit could double a
message (``bot/services/checkins.py`` says so); the test kills while the worker waits out a
``Retry-After``, and checks that every message Slack accepted was marked sent, so none can be doubled
by the retry.

Run with ``TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test`` (without it these tests are
skipped, as every PostgreSQL test in the suite is).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Engine, func, select, text

from localslack.webapi import ApiCall, SlackWebApiStandIn
from storage.checkins import CheckIn, CheckInRepository, CheckInStatus, Intervention
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Session, Workspace
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

DEADLINE = 90.0  # seconds: the bound on every wait for the workers
POLL = 0.02
_CHECKIN_BLOCK = re.compile(r"^checkin\.(\d+)$")
_REPORT = re.compile(r"check-ins: DispatchReport\(claimed=(\d+), sent=(\d+), failed=(\d+)")


@dataclass
class Worker:
    """One ``python -m bot worker`` process and its log."""

    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def sent(self) -> int:
        """Check-ins this worker reported sent (it logs a report after each run that claimed any)."""
        return sum(int(match.group(2)) for match in _REPORT.finditer(self.log()))

    def failed(self) -> int:
        return sum(int(match.group(3)) for match in _REPORT.finditer(self.log()))

    def kill(self) -> None:
        """SIGKILL, by the pid of the process this test started."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


StartWorker = Callable[..., Worker]


@pytest.fixture
def start_worker(slack: SlackWebApiStandIn, database_url: str, tmp_path: Path) -> Iterator[StartWorker]:
    """Start ``python -m bot worker`` processes with a clean environment pointing at the stand-in and
    the test's schema; each is killed at the end of the test if it is still running."""
    started: list[Worker] = []

    def start(*, sending_timeout: int = 600) -> Worker:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "PLAYBOOK_")) and key not in ("DATABASE_URL", "PORT")
        }
        env |= {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": f"xoxb-{TEAM}",
            "SLACK_API_URL": slack.base_url,
            "PLAYBOOK_SENDING_TIMEOUT_SECONDS": str(sending_timeout),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        log_path = tmp_path / f"worker-{len(started) + 1}.log"
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            cwd=tmp_path,  # no stray .env file is read
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        worker = Worker(process, log_path, log_file)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()
        worker.log_file.close()


def wait_for(condition: Callable[[], bool], what: str, workers: list[Worker]) -> float:
    """Poll ``condition`` until it holds (returns the seconds it took); fail with the workers' logs if
    a worker exits or :data:`DEADLINE` passes first."""
    started = time.monotonic()
    while not condition():
        for worker in workers:
            if worker.process.poll() is not None:
                pytest.fail(f"a worker exited ({worker.process.returncode}) before {what}:\n{worker.log()}")
        if time.monotonic() - started > DEADLINE:
            logs = "\n\n".join(worker.log()[-4000:] for worker in workers)
            pytest.fail(f"{what} did not happen within {DEADLINE:.0f} s:\n{logs}")
        time.sleep(POLL)
    return time.monotonic() - started


def seed(engine: Engine, count: int) -> list[int]:
    """``count`` open interventions, each with one check-in due a few minutes ago; their ids."""
    due = datetime.now(UTC) - timedelta(minutes=5)
    owners = (SAM, ALEX, FACILITATOR)
    factory = make_session_factory(engine)
    with factory() as orm:
        orm.add(Workspace(id=TEAM, settings={}))
        orm.flush()
        session = Session(
            workspace_id=TEAM, template_id="five-whys", facilitator_id=FACILITATOR, channel_id=CHANNEL
        )
        orm.add(session)
        orm.flush()
        repository = CheckInRepository(orm)
        checkins = []
        for number in range(count):
            first = CheckIn(due_on=due.date(), due_at=due, status=CheckInStatus.PENDING, attempts=0)
            repository.add_intervention(
                Intervention(
                    workspace_id=TEAM,
                    session_id=session.id,
                    what=f"Intervention number {number}",
                    owner_id=owners[number % 3],
                    owner_tz="Europe/London",  # known: the workers need not call users.info
                    created_by=FACILITATOR,
                    cadence="weekly",
                    first_due=due.date(),
                    day_of_month=due.day,
                ),
                first,
            )
            checkins.append(first)
        orm.commit()
        return [checkin.id for checkin in checkins]


def rows(engine: Engine, ids: list[int]) -> list[CheckIn]:
    with make_session_factory(engine)() as orm:
        return list(orm.scalars(select(CheckIn).where(CheckIn.id.in_(ids)).order_by(CheckIn.id)))


def statuses(engine: Engine) -> dict[str, int]:
    """How many check-in rows (seeded and queued next) are in each state."""
    with engine.connect() as connection:
        found = connection.execute(select(CheckIn.status, func.count()).group_by(CheckIn.status))
        return {str(status): int(count) for status, count in found}


def _blocks(params: dict[str, Any]) -> list[Any]:
    value = params.get("blocks") or []
    decoded = json.loads(value) if isinstance(value, str) else value
    return decoded if isinstance(decoded, list) else []


def posted(slack: SlackWebApiStandIn) -> Counter[int]:
    """chat.postMessage calls Slack accepted, counted per check-in (the id in the buttons' block)."""
    counts: Counter[int] = Counter()
    for call in slack.calls_to("chat.postMessage"):
        if call.status != 200 or call.error is not None:
            continue
        ids = [
            int(match.group(1))
            for block in _blocks(call.params)
            if isinstance(block, dict)
            and (match := _CHECKIN_BLOCK.match(str(block.get("block_id") or ""))) is not None
        ]
        assert len(ids) == 1, f"a message that is not one check-in: {call.params}"
        counts[ids[0]] += 1
    return counts


def test_two_worker_processes_post_500_due_checkins_exactly_once(
    slack: SlackWebApiStandIn, database_url: str, start_worker: StartWorker
) -> None:
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    ids = seed(engine, 500)
    # Both workers are held at the same gate: a table lock their first claim (SELECT … FOR UPDATE SKIP
    # LOCKED) has to wait for, so they really race for the same rows once it opens.
    with engine.connect() as gate:
        gate.execute(text("LOCK TABLE checkins IN EXCLUSIVE MODE"))
        workers = [start_worker(), start_worker()]
        wait_for(lambda: _claims_waiting(engine) == 2, "both workers trying to claim at start-up", workers)
        gate.commit()
    took = wait_for(
        lambda: sum(posted(slack).values()) >= 500 and statuses(engine).get(CheckInStatus.SENT) == 500,
        "500 check-ins posted and marked sent",
        workers,
    )
    wait_for(lambda: sum(w.sent() for w in workers) >= 500, "both workers reporting their runs", workers)

    counts = posted(slack)
    assert set(counts) == set(ids) and set(counts.values()) == {1}
    assert len(slack.calls_to("chat.postMessage")) == 500  # not one 429, retry or extra message
    split = [w.sent() for w in workers]
    assert sum(split) == 500 and all(share > 0 for share in split), split
    assert [w.failed() for w in workers] == [0, 0]
    # Each sent row points at its own message, and queued the next check-in of its weekly cadence.
    sent = rows(engine, ids)
    assert {row.status for row in sent} == {CheckInStatus.SENT}
    assert len({row.message_ts for row in sent}) == 500 and all(row.attempts == 1 for row in sent)
    assert statuses(engine) == {CheckInStatus.SENT: 500, CheckInStatus.PENDING: 500}
    print(f"\n500 check-ins by two workers in {took:.1f} s from the gate opening; split {split}")


def _claims_waiting(engine: Engine) -> int:
    """Backends waiting for a lock on this schema's ``checkins`` table."""
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(DISTINCT pid) FROM pg_locks "
                    "WHERE relation = 'checkins'::regclass AND NOT granted"
                )
            )
            or 0
        )


def test_a_worker_killed_mid_dispatch_then_restarted_loses_and_doubles_nothing(
    slack: SlackWebApiStandIn, database_url: str, start_worker: StartWorker
) -> None:
    count, timeout = 60, 3
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    ids = seed(engine, count)
    # Ten posts go straight through, then Slack asks for 2 s between posts: the kill lands mid-batch.
    slack.set_rate_limit("chat.postMessage", per_second=0.5, burst=10, per="workspace")
    first = start_worker(sending_timeout=timeout)

    def waiting_out_a_429() -> bool:
        calls = slack.calls_to("chat.postMessage")
        if not (len(calls) > 10 and calls[-1].status == 429):
            return False
        # Several sends are in flight: kill only once every accepted one is marked, so the kill lands
        # while the sends wait out Retry-After (a kill between a post and its mark is the exception the
        # dispatcher documents, not what this test is about).
        sent = {row.id for row in rows(engine, ids) if row.status == CheckInStatus.SENT}
        return sent == set(posted(slack))

    wait_for(waiting_out_a_429, "the worker waiting out a Retry-After", [first])
    first.kill()
    assert first.process.returncode == -signal.SIGKILL

    before = posted(slack)
    at_kill = rows(engine, ids)
    held = [row for row in at_kill if row.status == CheckInStatus.SENDING]
    marked = {row.id for row in at_kill if row.status == CheckInStatus.SENT}
    assert len(before) >= 10 and set(before.values()) == {1}
    # Mid-batch: the dead worker still holds claims it never posted…
    assert held and all(row.id not in before for row in held)
    # …and every message Slack accepted was marked sent: none is in the send-to-mark window.
    assert marked == set(before)
    assert len(held) + len(marked) + sum(row.status == CheckInStatus.PENDING for row in at_kill) == count

    slack.clear_rate_limits()
    # The held claims become available to other workers once they are older than the timeout.
    stale_after = max(row.claimed_at for row in held if row.claimed_at) + timedelta(seconds=timeout)
    wait_for(lambda: datetime.now(UTC) > stale_after, "the dead worker's claims going stale", [])
    second = start_worker(sending_timeout=timeout)
    wait_for(
        lambda: statuses(engine).get(CheckInStatus.SENT) == count,
        f"all {count} check-ins marked sent after the restart",
        [second],
    )

    counts = posted(slack)
    assert set(counts) == set(ids) and set(counts.values()) == {1}, counts
    after = {row.id: row for row in rows(engine, ids)}
    assert {row.status for row in after.values()} == {CheckInStatus.SENT}
    # The dead worker's claims were taken over (claimed a second time) and each sent once.
    assert {row.id for row in after.values() if row.attempts == 2} == {row.id for row in held}
    print(
        f"\nkilled holding {len(held)} claims after {len(before)} posts; "
        f"restart sent {count - len(before)}, each check-in posted once"
    )


def test_every_third_call_answered_429_with_retry_after_still_delivers_each_checkin_once(
    slack: SlackWebApiStandIn, database_url: str, start_worker: StartWorker
) -> None:
    count = 20
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    ids = seed(engine, count)
    slack.fail_every("chat.postMessage", 3, status=429, retry_after=2)
    worker = start_worker()
    took = wait_for(
        lambda: statuses(engine).get(CheckInStatus.SENT) == count,
        f"{count} check-ins marked sent",
        [worker],
    )

    counts = posted(slack)
    assert set(counts) == set(ids) and set(counts.values()) == {1}
    calls = slack.calls_to("chat.postMessage")
    # Every third call was refused and the same message sent again: 20 delivered in 29 calls.
    refused = (count - 1) // 2
    assert [call.status for call in calls] == [200, 200, 429] * refused + [200, 200]

    # Each retry (the next call carrying the same message) waited out the Retry-After of 2 s; sends of
    # other check-ins go on meanwhile (the dispatcher keeps several in flight).
    def same_message(one: ApiCall, other: ApiCall) -> bool:
        keys = ("channel", "text", "blocks")
        return all(one.params.get(key) == other.params.get(key) for key in keys)

    gaps = [
        next(later.at for later in calls[index + 1 :] if same_message(later, call)) - call.at
        for index, call in enumerate(calls)
        if call.status == 429
    ]
    assert len(gaps) == refused and min(gaps) >= 2.0, gaps
    # No send ever gave up: each row was claimed once and carries no error.
    sent = rows(engine, ids)
    assert all(row.attempts == 1 and row.last_error is None for row in sent)
    assert worker.failed() == 0
    print(f"\n{count} check-ins through {refused} 429s in {took:.1f} s")

"""Check-ins exactly once with real processes: ``python -m bot worker`` (what ``playbook-bot worker`` and the
Procfile's ``worker:`` run) as subprocesses against one database (a PostgreSQL schema, or a SQLite
file), posting to the Web API stand-in served by this test process.

The workers use real clocks (one of them may be told it is 15 minutes ahead:
``PLAYBOOK_CLOCK_OFFSET_SECONDS``); the check-ins are simply due already when they start, and the
scheduler runs the dispatcher at start-up (``next_run_time`` in ``bot/scheduler.py``), then every
minute. The tests synchronise on what the processes did, never on sleeps: the stand-in's ``stall_next``
holds a post (``after``: Slack has accepted and stored it, the answer is held back) and sets an event
when it arrives, which is when a worker is SIGKILLed; otherwise they poll the stand-in and the database
for an outcome (bounded by :data:`DEADLINE`).

The claim-timeout rule the kill tests rely on: a worker claims due rows (``sending``, with its claim
token and ``claimed_at`` by the database's clock) before it posts them. If it dies holding claims,
those rows are neither lost nor sent by anyone else until the claim is older than
``PLAYBOOK_SENDING_TIMEOUT_SECONDS`` (by the database's clock); then another worker takes them over,
looks for each in the owner's DM by its Slack metadata, and posts only those that are not there. So a
kill anywhere (before Slack accepted a message, after, or before the outcome was recorded) neither loses
nor doubles a check-in.
"""

from __future__ import annotations

import itertools
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

from localslack.webapi import ApiCall, SlackWebApiStandIn, Stall
from storage.checkins import CheckIn, CheckInRepository, CheckInStatus, Intervention
from storage.db import database_now as storage_database_now
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Session, Workspace
from tests.bot.conftest import ALEX, CHANNEL, FACILITATOR, SAM, TEAM

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

DEADLINE = 300.0  # seconds: the bound on every wait for the workers (only a failure waits it out)
POLL = 0.02
_CHECKIN_BLOCK = re.compile(r"^checkin\.(\d+)$")
_REPORT = re.compile(
    r"check-ins: DispatchReport\(claimed=(\d+), sent=(\d+), failed=(\d+), escalated=\d+, found=(\d+)"
)


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

    def found(self) -> int:
        """Check-ins this worker found already in the DM (by their metadata) instead of posting."""
        return sum(int(match.group(4)) for match in _REPORT.finditer(self.log()))

    def started(self) -> bool:
        """Whether the worker's scheduler is running (it logs its jobs when it starts)."""
        return "worker started:" in self.log()

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

    def start(*, sending_timeout: int = 600, clock_offset: int = 0, token: str | None = None) -> Worker:
        """A worker; with ``token``, its own bot token for the workspace (so the stand-in can tell its
        calls from another worker's)."""
        if token is not None:
            slack.add_token(TEAM, token)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SLACK_", "PLAYBOOK_")) and key not in ("DATABASE_URL", "PORT")
        }
        env |= {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": token or f"xoxb-{TEAM}",
            "SLACK_API_URL": slack.base_url,
            "PLAYBOOK_SENDING_TIMEOUT_SECONDS": str(sending_timeout),
            "PLAYBOOK_CLOCK_OFFSET_SECONDS": str(clock_offset),
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


def seed(engine: Engine, count: int, *, due_in: timedelta = timedelta(minutes=-5)) -> list[int]:
    """``count`` open interventions, each with one check-in due ``due_in`` from now (a few minutes
    ago by default); their ids."""
    due = datetime.now(UTC) + due_in
    owners = (SAM, ALEX, FACILITATOR)
    factory = make_session_factory(engine)
    with factory() as orm:
        if orm.get(Workspace, TEAM) is None:
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


def delivered(slack: SlackWebApiStandIn) -> Counter[int]:
    """Check-in messages in the owners' DMs (what the owners see), counted per check-in: the id in
    the message's metadata, which must be the one in its buttons' block."""
    counts: Counter[int] = Counter()
    for message in slack.messages(team_id=TEAM):
        metadata = message.metadata or {}
        assert metadata.get("event_type") == "playbook_checkin", message
        checkin_id = int(metadata["event_payload"]["checkin_id"])
        blocks = [str(block.get("block_id") or "") for block in message.blocks]
        assert f"checkin.{checkin_id}" in blocks and message.channel.startswith("D"), message
        counts[checkin_id] += 1
    return counts


def database_now(engine: Engine) -> datetime:
    with engine.connect() as connection:
        return storage_database_now(connection)


def wait_for_event(stall: Stall, what: str, workers: list[Worker]) -> None:
    """Wait for the stand-in's stall to be reached (an Event), failing early if a worker exits."""
    wait_for(lambda: stall.reached.wait(POLL), what, workers)


@ON_POSTGRESQL
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
    count, timeout = 60, 4
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    ids = seed(engine, count)
    # The eleventh post is accepted by Slack (stored in the DM), then its answer is held back: that is
    # when the worker is killed, with the rest of its batch posted or not and nothing recorded.
    posts = itertools.count(1)
    accepted = slack.stall_next("chat.postMessage", "after", match=lambda _params: next(posts) == 11)
    first = start_worker(sending_timeout=timeout)
    wait_for_event(accepted, "the worker's eleventh post", [first])
    first.kill()
    accepted.release()
    assert first.process.returncode == -signal.SIGKILL

    before = delivered(slack)
    at_kill = rows(engine, ids)
    held = [row for row in at_kill if row.status == CheckInStatus.SENDING]
    assert len(before) >= 11 and set(before.values()) == {1}
    # Killed mid-batch: it holds claims, some of them already in the owners' DMs, none recorded.
    assert held and set(before) <= {row.id for row in held}
    assert not any(row.status == CheckInStatus.SENT for row in at_kill)
    assert accepted.reply is not None

    # The held claims are taken over once older than the timeout, by the database's clock.
    stale_after = max(row.claimed_at for row in held if row.claimed_at) + timedelta(seconds=timeout)
    wait_for(lambda: database_now(engine) > stale_after, "the dead worker's claims going stale", [])
    second = start_worker(sending_timeout=timeout)
    wait_for(
        lambda: statuses(engine).get(CheckInStatus.SENT) == count,
        f"all {count} check-ins marked sent after the restart",
        [second],
    )
    wait_for(lambda: second.sent() >= count, "the restarted worker reporting its run", [second])

    counts = delivered(slack)
    assert set(counts) == set(ids) and set(counts.values()) == {1}, counts
    after = {row.id: row for row in rows(engine, ids)}
    assert {row.status for row in after.values()} == {CheckInStatus.SENT}
    # The dead worker's claims were taken over (claimed a second time); those Slack already had were
    # found in the DMs and point at the messages there, the others were posted once.
    assert {row.id for row in after.values() if row.attempts == 2} == {row.id for row in held}
    assert len(before) <= second.found() <= len(held)
    assert accepted.reply["ts"] in {row.message_ts for row in after.values()}
    messages = {(m.channel, m.ts) for m in slack.messages(team_id=TEAM)}
    assert all((after[i].channel_id, after[i].message_ts) in messages for i in ids)
    print(
        f"\nkilled holding {len(held)} claims, {second.found()} of them already in Slack; "
        f"the restart found those and posted the rest: each check-in delivered once"
    )


def test_500_checkins_two_workers_one_killed_after_slack_accepted_one_15_minutes_fast_each_once(
    slack: SlackWebApiStandIn, database_url: str, start_worker: StartWorker
) -> None:
    count, later_count, timeout = 500, 20, 10
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    ids = seed(engine, count)
    # Due in ten minutes: a worker trusting a clock 15 minutes fast would send these now.
    later = seed(engine, later_count, due_in=timedelta(minutes=10))
    # The steady worker's fifth post is accepted by Slack (stored in the DM) and its answer held back;
    # while it holds its claims, the worker whose clock is 15 minutes fast starts beside it (it must not
    # take claims that are live by the database's clock), and the steady worker is killed right then.
    # The fast worker starts once the steady one is posting: started together, the fast one could
    # claim and send all 500 before the steady one's first post, and the kill would test nothing.
    posts = itertools.count(1)
    accepted = slack.stall_next(
        "chat.postMessage", "after", token="xoxb-steady", match=lambda _params: next(posts) == 5
    )
    steady = start_worker(sending_timeout=timeout, token="xoxb-steady")
    wait_for_event(accepted, "the steady worker's fifth post reaching Slack", [steady])
    fast = start_worker(sending_timeout=timeout, clock_offset=15 * 60, token="xoxb-fast")
    wait_for(lambda: fast.started(), "the fast worker starting", [steady, fast])
    steady.kill()
    accepted.release()
    assert steady.process.returncode == -signal.SIGKILL
    assert accepted.reply is not None
    stuck_id = int(accepted.reply["message"]["metadata"]["event_payload"]["checkin_id"])
    stuck = {row.id: row for row in rows(engine, ids)}[stuck_id]
    assert stuck.status == CheckInStatus.SENDING and stuck.claim_token is not None
    steady_token = stuck.claim_token

    wait_for(
        lambda: statuses(engine).get(CheckInStatus.SENT) == count,
        f"all {count} due check-ins marked sent",
        [fast],
    )
    counts = delivered(slack)
    assert set(counts) == set(ids) and set(counts.values()) == {1}, sorted(counts.items())[:20]
    # Nothing early: the check-ins due in ten minutes are neither in Slack nor claimed.
    assert not set(later) & set(counts)
    assert {(row.status, row.attempts) for row in rows(engine, later)} == {(CheckInStatus.PENDING, 0)}
    # The steady worker's last claims were taken over once stale (by the database's clock): the
    # message Slack accepted just before the kill was found in the DM and recorded, not posted again.
    after = {row.id: row for row in rows(engine, ids)}
    assert (after[stuck_id].attempts, after[stuck_id].message_ts) == (2, accepted.reply["ts"])
    assert after[stuck_id].claim_token is None and steady_token not in {r.claim_token for r in after.values()}
    wait_for(lambda: fast.found() >= 1, "the fast worker reporting what it found", [fast])
    taken_over = sum(row.attempts == 2 for row in after.values())
    print(
        f"\n{count} check-ins by two workers: the steady one killed right after Slack accepted its fifth "
        f"post, {taken_over} of its claims taken over by the one 15 minutes fast, {fast.found()} of them "
        f"found already in the DMs; none of the {later_count} due in ten minutes sent early"
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

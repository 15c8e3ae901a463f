"""Exactly once: two dispatchers, each with its own engine and connections, racing over the same due
check-ins, post each one once; a dispatcher that dies holding claims (some already in Slack) loses
nothing and doubles nothing; a post whose answer was lost is found in the DM, not sent again; a
dispatcher whose clock runs fast neither sends early nor takes a live one's claims.

Run against PostgreSQL too with ``TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test``."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.app import make_web_client
from bot.delivery import one_client
from bot.deps import Deps
from bot.keepalive import KeepAliveWebClient
from bot.scheduler import posting_client
from bot.services import checkins
from flows.clock import Clock, FixedClock, SystemClock
from localslack.webapi import SlackWebApiStandIn
from storage.checkins import SENDING_TIMEOUT, CheckIn, CheckInStatus, Intervention
from storage.db import make_engine, upgrade
from storage.models import Session
from tests.bot.conftest import ALEX, FACILITATOR, SAM, TEAM, worker_deps

NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
COUNT = 200
_NUMBER = re.compile(r"Intervention number (\d+)\b")


def _deps(slack: SlackWebApiStandIn, database_url: str, clock: Clock | None = None) -> Deps:
    """A dispatcher's own engine (its own connection pool), as a separate worker process would have."""
    return worker_deps(slack, database_url, clock or FixedClock(NOW))


def _seed(deps: Deps, count: int, *, at: datetime = NOW, spread: bool = True, first: int = 0) -> None:
    """``count`` interventions numbered from ``first``, each with a check-in due at ``at`` (or, with
    ``spread``, up to an hour before it)."""
    owners = (SAM, ALEX, FACILITATOR)
    with deps.uow() as uow:
        uow.workspaces.get_or_create(TEAM)
        session = uow.sessions.add(
            Session(
                workspace_id=TEAM, template_id="five-whys", facilitator_id=FACILITATOR, channel_id="C0TEAM"
            )
        )
        for number in range(first, first + count):
            due = at - timedelta(minutes=number % 60 if spread else 0)
            uow.checkins.add_intervention(
                Intervention(
                    workspace_id=TEAM,
                    session_id=session.id,
                    what=f"Intervention number {number}",
                    owner_id=owners[number % 3],
                    owner_tz="Europe/London",
                    created_by=FACILITATOR,
                    cadence="weekly",
                    first_due=due.date(),
                    day_of_month=due.day,
                ),
                CheckIn(due_on=due.date(), due_at=due, status=CheckInStatus.PENDING, attempts=0),
            )
        uow.commit()


def _posted(slack: SlackWebApiStandIn) -> Counter[int]:
    counts: Counter[int] = Counter()
    for call in slack.calls_to("chat.postMessage"):
        if call.status == 200 and call.error is None:
            match = _NUMBER.search(str(call.params.get("text") or ""))
            assert match is not None, call.params
            counts[int(match.group(1))] += 1
    return counts


class _MeetingClient(KeepAliveWebClient):
    """The worker's client, whose first ``chat.postMessage`` waits until every dispatcher of the test
    has reached its own first post. A dispatcher posts only what it claimed, so by then each has
    claimed check-ins: that both really work does not depend on how the machine schedules the threads
    (one started late on a loaded machine found all 200 claimed)."""

    meeting: tuple[threading.Event, tuple[threading.Event, ...]]

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        if api_method == "chat.postMessage":
            mine, everyone = self.meeting
            mine.set()
            assert all(arrived.wait(60) for arrived in everyone), "a dispatcher never posted"
        return super().api_call(api_method, **kwargs)


def _dispatch(
    deps: Deps, meeting: tuple[threading.Event, tuple[threading.Event, ...]] | None = None
) -> checkins.DispatchReport:
    """One dispatcher run with the client the worker uses (it retries 429s only); with ``meeting``,
    its first post waits for the other dispatchers' (:class:`_MeetingClient`)."""
    token = deps.settings.slack_bot_token
    assert token is not None
    client = posting_client(make_web_client(deps.settings, token.get_secret_value()))
    if meeting is not None:
        assert type(client) is KeepAliveWebClient
        client.__class__ = _MeetingClient
        client.meeting = meeting  # type: ignore[attr-defined]
    return checkins.dispatch_due(deps, one_client(client), batch=10)


def _statuses(deps: Deps) -> dict[str, int]:
    with deps.session_factory() as orm:
        found = orm.execute(select(CheckIn.status, func.count()).group_by(CheckIn.status)).all()
        return {str(status): int(count) for status, count in found}


def _row(deps: Deps, number: int) -> CheckIn:
    """The first check-in of intervention number ``number``."""
    with deps.session_factory() as orm:
        intervention = orm.scalar(
            select(Intervention).where(Intervention.what == f"Intervention number {number}")
        )
        assert intervention is not None
        found = orm.scalar(
            select(CheckIn).where(CheckIn.intervention_id == intervention.id).order_by(CheckIn.id).limit(1)
        )
        assert found is not None
        return found


def test_two_dispatchers_send_each_due_checkin_exactly_once(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    upgrade(database_url, make_engine(database_url))
    workers = [_deps(slack, database_url), _deps(slack, database_url)]
    _seed(workers[0], COUNT)
    start = threading.Barrier(len(workers))
    reports: list[checkins.DispatchReport] = []
    errors: list[BaseException] = []
    posting = tuple(threading.Event() for _ in workers)

    def run(deps: Deps, mine: threading.Event) -> None:
        try:
            start.wait()
            reports.append(_dispatch(deps, (mine, posting)))
        except BaseException as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(workers, posting, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    counts = _posted(slack)
    assert len(counts) == COUNT and set(counts.values()) == {1}
    assert sum(r.sent for r in reports) == COUNT and all(r.failed == 0 for r in reports)
    # Both really worked: neither dispatcher did everything alone.
    assert all(r.sent > 0 for r in reports), reports
    with workers[0].session_factory() as orm:
        by_status = dict(orm.execute(select(CheckIn.status, func.count()).group_by(CheckIn.status)).all())
    # Each sent check-in queued the next one in its cadence.
    assert by_status == {CheckInStatus.SENT: COUNT, CheckInStatus.PENDING: COUNT}
    assert _dispatch(workers[1]).claimed == 0


def test_a_dispatcher_that_dies_holding_claims_loses_nothing_and_doubles_nothing(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    upgrade(database_url, make_engine(database_url))
    dead, alive = _deps(slack, database_url), _deps(slack, database_url)
    _seed(dead, 30)
    # The dead worker claimed 10 and got as far as posting two of them: Slack accepted those, then
    # the worker was killed before it could record anything.
    with dead.uow() as uow:
        held = uow.checkins.claim_due(NOW, "killed-worker", 10)
        uow.commit()
    assert len(held) == 10
    token = dead.settings.slack_bot_token
    assert token is not None
    for claim in held[:2]:
        owner_of = {0: SAM, 1: ALEX, 2: FACILITATOR}
        with dead.session_factory() as orm:
            row = orm.get(CheckIn, claim.checkin_id)
            assert row is not None
            number = int(row.intervention.what.rsplit(" ", 1)[1])
        make_web_client(dead.settings, token.get_secret_value()).chat_postMessage(
            channel=owner_of[number % 3],
            text=f"Check-in: Intervention number {number}",
            metadata=checkins.checkin_metadata(claim.checkin_id),
        )
    assert _dispatch(alive).sent == 20
    assert len(_posted(slack)) == 22
    clock = alive.clock
    assert isinstance(clock, FixedClock)
    clock.advance(SENDING_TIMEOUT)
    assert _dispatch(alive).sent == 0  # a claim exactly SENDING_TIMEOUT old may still be in flight
    clock.advance(timedelta(seconds=1))
    taken_over = _dispatch(alive)
    # The two already in the owners' DMs were found there (by their metadata), the eight others posted.
    assert (taken_over.claimed, taken_over.sent, taken_over.found) == (10, 10, 2)
    counts = _posted(slack)
    assert len(counts) == 30 and set(counts.values()) == {1}
    assert _statuses(alive) == {CheckInStatus.SENT: 30, CheckInStatus.PENDING: 30}
    # Each found check-in points at the message the dead worker posted (its buttons update that one).
    with alive.session_factory() as orm:
        for claim in held[:2]:
            row = orm.get(CheckIn, claim.checkin_id)
            assert row is not None and row.attempts == 2 and row.message_ts is not None
            [message] = [m for m in slack.messages(channel=row.channel_id) if m.ts == row.message_ts]
            assert message.metadata == checkins.checkin_metadata(claim.checkin_id)


def test_a_post_slack_accepted_but_whose_answer_was_lost_is_found_not_sent_again(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    upgrade(database_url, make_engine(database_url))
    deps = _deps(slack, database_url)
    _seed(deps, 3, spread=False)
    lost = slack.stall_next(
        "chat.postMessage", "after", match=lambda params: "Intervention number 1" in str(params.get("text"))
    )
    releaser = threading.Thread(target=lambda: lost.wait(60) and lost.release())
    releaser.start()
    first = _dispatch(deps)
    releaser.join(60)
    assert lost.reached.is_set() and lost.call is not None and lost.call.dropped
    # Slack has it; the dispatcher only saw a dropped connection, did not post it again blind, and put
    # the row back to pending with the error, to be retried.
    assert (first.sent, first.failed) == (2, 1)
    assert _posted(slack) == {0: 1, 1: 1, 2: 1}
    unsure = _row(deps, 1)
    assert (unsure.status, unsure.attempts) == (CheckInStatus.PENDING, 1)
    assert unsure.last_error is not None and "RemoteDisconnected" in unsure.last_error
    clock = deps.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=2))
    retried = _dispatch(deps)
    assert (retried.claimed, retried.sent, retried.found) == (1, 1, 1)
    assert _posted(slack) == {0: 1, 1: 1, 2: 1}
    assert len(slack.calls_to("chat.postMessage")) == 3
    done = _row(deps, 1)
    assert (
        done.status == CheckInStatus.SENT and lost.reply is not None and done.message_ts == lost.reply["ts"]
    )
    [looked] = slack.calls_to("conversations.history")
    assert looked.params.get("include_all_metadata") in (True, "1", "true")


def test_while_slack_is_down_checkins_wait_and_each_is_sent_once_when_it_is_back(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    upgrade(database_url, make_engine(database_url))
    deps = _deps(slack, database_url)
    _seed(deps, 5, spread=False)
    slack.down()
    try:
        report = _dispatch(deps)
    finally:
        slack.up()
    assert (report.claimed, report.sent, report.failed) == (5, 0, 5)
    assert _statuses(deps) == {CheckInStatus.PENDING: 5}
    clock = deps.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=2))
    back = _dispatch(deps)
    # Each was looked for first (the failed attempt's outcome was unknown), then posted once.
    assert (back.claimed, back.sent, back.found) == (5, 5, 0)
    counts = _posted(slack)
    assert len(counts) == 5 and set(counts.values()) == {1}
    assert len(slack.calls_to("conversations.history")) == 5


def test_a_dispatcher_whose_clock_runs_fast_neither_sends_early_nor_takes_live_claims(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    """Real clocks: the database's decides. The fast one is 15 minutes ahead, beyond the ten-minute
    claim timeout and the check-ins due in ten minutes."""
    upgrade(database_url, make_engine(database_url))
    live = _deps(slack, database_url, SystemClock())
    fast = _deps(slack, database_url, SystemClock(timedelta(minutes=15)))
    now = datetime.now(UTC)
    _seed(live, 12, at=now - timedelta(minutes=1), spread=False)
    _seed(live, 4, at=now + timedelta(minutes=10), spread=False, first=12)
    with live.uow() as uow:
        held = uow.checkins.claim_due(uow.database_now(), "live-worker", 5)
        uow.commit()
    assert len(held) == 5
    report = _dispatch(fast)
    # Only the seven due and unclaimed: not the five a live worker holds, not the four due later.
    assert (report.claimed, report.sent) == (7, 7)
    assert sorted(_posted(slack)) == sorted(set(range(12)) - {_number(live, c.checkin_id) for c in held})
    assert _statuses(live) == {CheckInStatus.SENDING: 5, CheckInStatus.SENT: 7, CheckInStatus.PENDING: 11}
    with live.session_factory() as orm:
        sent_at = [
            r.sent_at for r in orm.scalars(select(CheckIn).where(CheckIn.status == CheckInStatus.SENT))
        ]
    # Marked by the database's clock too, not 15 minutes in the future.
    assert all(at is not None and at < datetime.now(UTC) + timedelta(minutes=1) for at in sent_at)


def _number(deps: Deps, checkin_id: int) -> int:
    with deps.session_factory() as orm:
        row = orm.get(CheckIn, checkin_id)
        assert row is not None
        return int(row.intervention.what.rsplit(" ", 1)[1])

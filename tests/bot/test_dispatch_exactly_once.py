"""Exactly once: two dispatchers, each with its own engine and connections, racing over the same due
check-ins, post each one once; a dispatcher that dies holding claims loses nothing.

Run against PostgreSQL with ``TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test``."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import make_web_client
from bot.delivery import one_client
from bot.deps import Deps
from bot.services import checkins
from bot.settings import Settings
from flows.clock import FixedClock
from localslack.webapi import SlackWebApiStandIn
from storage.checkins import SENDING_TIMEOUT, CheckIn, CheckInStatus, Intervention
from storage.db import make_engine, make_session_factory, upgrade
from storage.models import Session
from tests.bot.conftest import ALEX, FACILITATOR, SAM, TEAM

NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
COUNT = 200
_NUMBER = re.compile(r"Intervention number (\d+)\b")


def _deps(slack: SlackWebApiStandIn, database_url: str) -> Deps:
    """A dispatcher's own engine (its own connection pool), as a separate worker process would have."""
    settings = Settings(
        slack_bot_token=SecretStr(f"xoxb-{TEAM}"),
        slack_api_url=slack.base_url,
        database_url=database_url,
        _env_file=None,  # type: ignore[call-arg]
    )
    return Deps(
        settings=settings,
        session_factory=make_session_factory(make_engine(database_url)),
        clock=FixedClock(NOW),
    )


def _seed(deps: Deps, count: int) -> None:
    owners = (SAM, ALEX, FACILITATOR)
    with deps.uow() as uow:
        uow.workspaces.get_or_create(TEAM)
        session = uow.sessions.add(
            Session(
                workspace_id=TEAM, template_id="five-whys", facilitator_id=FACILITATOR, channel_id="C0TEAM"
            )
        )
        for number in range(count):
            due = NOW - timedelta(minutes=number % 60)
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


def _dispatch(deps: Deps) -> checkins.DispatchReport:
    token = deps.settings.slack_bot_token
    assert token is not None
    client = make_web_client(deps.settings, token.get_secret_value())
    return checkins.dispatch_due(deps, one_client(client), batch=10)


def test_two_dispatchers_send_each_due_checkin_exactly_once(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    upgrade(database_url, make_engine(database_url))
    workers = [_deps(slack, database_url), _deps(slack, database_url)]
    _seed(workers[0], COUNT)
    start = threading.Barrier(len(workers))
    reports: list[checkins.DispatchReport] = []
    errors: list[BaseException] = []

    def run(deps: Deps) -> None:
        try:
            start.wait()
            reports.append(_dispatch(deps))
        except BaseException as error:  # reported below: a thread's exception would otherwise vanish
            errors.append(error)

    threads = [threading.Thread(target=run, args=(deps,)) for deps in workers]
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
    # The dead worker claimed 10 and was killed before sending any of them.
    with dead.uow() as uow:
        held = uow.checkins.claim_due(NOW, "killed-worker", 10)
        uow.commit()
    assert len(held) == 10
    assert _dispatch(alive).sent == 20
    assert len(_posted(slack)) == 20
    clock = alive.clock
    assert isinstance(clock, FixedClock)
    clock.advance(SENDING_TIMEOUT)
    assert _dispatch(alive).sent == 0  # a claim exactly SENDING_TIMEOUT old may still be in flight
    clock.advance(timedelta(seconds=1))
    assert _dispatch(alive).sent == 10
    counts = _posted(slack)
    assert len(counts) == 30 and set(counts.values()) == {1}

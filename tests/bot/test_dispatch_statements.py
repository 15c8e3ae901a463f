"""The number of SQL statements recording a batch of sent check-ins costs, counted on the engine.

The dispatcher records each batch's outcomes on one thread while the next batch is being sent; done a
check-in at a time (its intervention's sent and waiting check-ins read, its row updated, the next one
inserted) that thread, not Slack's rate limit, bounded how fast check-ins went. The count is kept the
same whatever the batch's size: a change that reads or writes per check-in again fails here.

Run against PostgreSQL too with ``TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import delivery
from bot.deps import Deps
from bot.services import checkins
from flows.clock import FixedClock
from localslack.webapi import SlackWebApiStandIn
from storage.checkins import CheckIn, CheckInStatus, Intervention
from storage.db import make_engine, upgrade
from storage.models import Session
from tests.bot.conftest import FACILITATOR, SAM, TEAM, counted_statements, worker_deps

NOW = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)

# Recording a batch of sent check-ins, whatever its size (SQLite's BEGIN IMMEDIATE not counted, as
# PostgreSQL's BEGIN is implicit): the claimed rows read and locked with their interventions (1), the
# workspace's settings (1), the interventions' recent sent and waiting check-ins (1), the marks as one
# executemany (1), the next check-ins as one insert (1).
RECORD_BOUND = 5


def _deps(slack: SlackWebApiStandIn, database_url: str) -> Deps:
    return worker_deps(slack, database_url, FixedClock(NOW))


def _seed(deps: Deps, count: int) -> None:
    """``count`` weekly interventions, each with two earlier check-ins sent and answered (so the
    history read finds rows, and nothing escalates) and one due now."""
    with deps.uow() as uow:
        uow.workspaces.get_or_create(TEAM)
        session = uow.sessions.add(
            Session(
                workspace_id=TEAM, template_id="five-whys", facilitator_id=FACILITATOR, channel_id="C0TEAM"
            )
        )
        for number in range(count):
            intervention = uow.checkins.add_intervention(
                Intervention(
                    workspace_id=TEAM,
                    session_id=session.id,
                    what=f"Intervention number {number}",
                    owner_id=SAM,
                    owner_tz="Europe/London",
                    created_by=FACILITATOR,
                    cadence="weekly",
                    first_due=(NOW - timedelta(weeks=2)).date(),
                    day_of_month=NOW.day,
                ),
                CheckIn(due_on=NOW.date(), due_at=NOW, status=CheckInStatus.PENDING, attempts=0),
            )
            for weeks in (2, 1):
                sent = NOW - timedelta(weeks=weeks)
                uow.checkins.add_checkin(
                    CheckIn(
                        intervention_id=intervention.id,
                        workspace_id=TEAM,
                        due_on=sent.date(),
                        due_at=sent,
                        status=CheckInStatus.SENT,
                        sent_at=sent,
                        answered_at=sent + timedelta(hours=1),
                        attempts=1,
                    )
                )
        uow.commit()


def _sent_outcomes(deps: Deps, count: int) -> list[checkins._Outcome]:
    with deps.uow() as uow:
        claims = uow.checkins.claim_due(NOW, f"token-{count}", count)
        uow.commit()
    assert len(claims) == count
    return [
        checkins._Outcome(claim, "sent", delivery.Sent(f"D0{SAM}", f"1700000000.{claim.checkin_id:06d}"))
        for claim in claims
    ]


@pytest.mark.parametrize("count", [3, 40])
def test_recording_a_batch_of_sent_checkins_runs_the_same_statements_whatever_its_size(
    slack: SlackWebApiStandIn, database_url: str, count: int
) -> None:
    upgrade(database_url, make_engine(database_url))
    deps = _deps(slack, database_url)
    _seed(deps, count)
    outcomes = _sent_outcomes(deps, count)
    engine = deps.session_factory.kw["bind"]
    with counted_statements(engine) as statements:
        escalations = checkins._record(deps, outcomes)
    assert escalations == []
    assert len(statements) == RECORD_BOUND, "\n".join(statements)
    # And the batch was recorded: every row sent where it landed, each intervention's next one waiting.
    with deps.session_factory() as orm:
        for outcome in outcomes:
            row = orm.get(CheckIn, outcome.claim.checkin_id)
            assert row is not None and outcome.landed is not None
            assert (row.status, row.claim_token, row.message_ts) == (
                CheckInStatus.SENT,
                None,
                outcome.landed.ts,
            )
            assert row.sent_at == NOW
        waiting = orm.execute(
            select(CheckIn.intervention_id, func.count(), func.min(CheckIn.due_on))
            .where(CheckIn.status == CheckInStatus.PENDING)
            .group_by(CheckIn.intervention_id)
        ).all()
    assert len(waiting) == count
    assert {(n, due) for _, n, due in waiting} == {(1, (NOW + timedelta(weeks=1)).date())}


def test_two_unanswered_before_escalate_once_in_the_batchs_transaction(
    slack: SlackWebApiStandIn, database_url: str
) -> None:
    """The batched history read still sees an intervention's earlier silence: its third check-in in a
    row unanswered escalates (queued in the outbox with the record), the answered ones do not."""
    upgrade(database_url, make_engine(database_url))
    deps = _deps(slack, database_url)
    _seed(deps, 3)
    with deps.session_factory() as orm:
        silent = orm.scalar(select(Intervention).where(Intervention.what == "Intervention number 1"))
        assert silent is not None
        for row in orm.scalars(
            select(CheckIn).where(CheckIn.intervention_id == silent.id, CheckIn.status == CheckInStatus.SENT)
        ):
            row.answered_at = None
        orm.commit()
        silent_id = silent.id
    escalations = checkins._record(deps, _sent_outcomes(deps, 3))
    assert len(escalations) == 1 and escalations[0].queued
    with deps.session_factory() as orm:
        escalated = dict(orm.execute(select(Intervention.id, Intervention.escalated_at)).all())
    assert {i for i, at in escalated.items() if at is not None} == {silent_id}

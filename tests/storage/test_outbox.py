"""The outbox's rules, on SQLite and PostgreSQL: order per key, not_before, claims that go stale by the
database's clock, outcomes conditional on the claim, and a dead message taking its thread with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from storage.db import make_engine, make_session_factory, upgrade
from storage.models import OutboxStatus
from storage.uow import UnitOfWork

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture
def uow_factory(database_url: str) -> Iterator[UnitOfWork]:
    engine = make_engine(database_url)
    upgrade(database_url, engine)
    yield UnitOfWork(make_session_factory(engine))
    engine.dispose()


def add(uow: UnitOfWork, key: str, *, thread_of: int | None = None) -> int:
    return uow.outbox.add(
        workspace_id="T1",
        ordering_key=key,
        channel="C1",
        kind="post",
        payload={"kind": "post", "channel": "C1", "text": key},
        now=NOW,
        thread_of=thread_of,
    )


def claim(factory: UnitOfWork, *, now: datetime = NOW, stale_after: float = 60, **kw: object) -> list[int]:
    with factory as uow:
        claimed = uow.outbox.claim_ready(now=now, stale_after=stale_after, **kw)  # type: ignore[arg-type]
        uow.commit()
    return [c.id for c in claimed]


def test_messages_with_one_key_go_in_order_and_keys_do_not_wait_for_each_other(
    uow_factory: UnitOfWork,
) -> None:
    with uow_factory as uow:
        a1, a2, b1 = add(uow, "a"), add(uow, "a"), add(uow, "b")
        uow.commit()
    assert claim(uow_factory) == [a1, b1]  # a2 waits for a1
    assert claim(uow_factory) == []  # both heads are held
    with uow_factory as uow:
        assert uow.outbox.mark_sent(a1, 1, "1.1")
        uow.commit()
    assert claim(uow_factory) == [a2]


def test_a_retry_after_holds_its_key_until_not_before(uow_factory: UnitOfWork) -> None:
    with uow_factory as uow:
        first, second = add(uow, "a"), add(uow, "a")
        uow.commit()
    assert claim(uow_factory) == [first]
    with uow_factory as uow:
        assert uow.outbox.release(first, 1, not_before=NOW + timedelta(seconds=20), error="ratelimited")
        uow.commit()
    assert claim(uow_factory, now=NOW + timedelta(seconds=19)) == []
    assert claim(uow_factory, now=NOW + timedelta(seconds=20)) == [first]
    assert second not in claim(uow_factory, now=NOW + timedelta(seconds=20))


def test_a_claim_goes_stale_by_the_database_clock_and_outcomes_need_the_claim(
    uow_factory: UnitOfWork,
) -> None:
    with uow_factory as uow:
        message = add(uow, "a")
        uow.commit()
    assert claim(uow_factory) == [message]
    # However far the caller's clock is ahead, a claim is stale only by the database's clock.
    assert claim(uow_factory, now=NOW + timedelta(days=1), stale_after=3600) == []
    with uow_factory as uow:
        (again,) = uow.outbox.claim_ready(now=NOW, stale_after=-1)  # any claim is stale
        uow.commit()
    assert again.id == message and again.uncertain and again.attempts == 2
    with uow_factory as uow:
        assert not uow.outbox.mark_sent(message, 1, "1.1")  # the first claim was lost
        assert uow.outbox.mark_sent(message, 2, "1.2")
        uow.commit()
        assert uow.outbox.counts() == {OutboxStatus.SENT: 1}


def test_a_dead_message_takes_what_waits_in_its_thread_with_it(uow_factory: UnitOfWork) -> None:
    with uow_factory as uow:
        anchor = add(uow, "s")
        intro = add(uow, "s", thread_of=anchor)
        later = add(uow, "s", thread_of=anchor)
        other = add(uow, "s")
        uow.commit()
    assert claim(uow_factory) == [anchor]
    with uow_factory as uow:
        assert sorted(uow.outbox.mark_dead(anchor, 1, "not_in_channel")) == [intro, later]
        uow.commit()
    assert claim(uow_factory) == [other]  # dead messages hold nothing back


def test_a_sent_message_gives_its_ts_to_what_waits_in_its_thread(uow_factory: UnitOfWork) -> None:
    with uow_factory as uow:
        anchor = add(uow, "s")
        intro = add(uow, "s", thread_of=anchor)
        uow.commit()
    claim(uow_factory)
    with uow_factory as uow:
        uow.outbox.mark_sent(anchor, 1, "1700000000.000100")
        uow.commit()
    with uow_factory as uow:
        (claimed,) = uow.outbox.claim_ready(now=NOW, stale_after=60)
        uow.commit()
    assert claimed.id == intro and claimed.thread_ts == "1700000000.000100"


def test_forgetting_a_workspace_leaves_others_and_a_late_outcome_records_nothing(
    uow_factory: UnitOfWork,
) -> None:
    with uow_factory as uow:
        sent, held, waiting = add(uow, "a"), add(uow, "b"), add(uow, "a")
        other = uow.outbox.add(
            workspace_id="T2", ordering_key="c", channel="C1", kind="post", payload={}, now=NOW
        )
        uow.commit()
    assert claim(uow_factory) == [sent, held, other]
    with uow_factory as uow:
        assert uow.outbox.mark_sent(sent, 1, "1.1")
        uow.commit()
    with uow_factory as uow:
        assert uow.outbox.forget_workspace("T1") == 2  # held and waiting were unsent
        uow.commit()
    with uow_factory as uow:
        assert not uow.outbox.mark_sent(held, 1, "1.2")  # its sender finds its claim gone
        assert uow.outbox.statuses([sent, held, waiting, other]) == {other: OutboxStatus.CLAIMED}


def test_recording_a_send_says_whether_anything_waits_behind_it_with_its_key(uow_factory: UnitOfWork) -> None:
    with uow_factory as uow:
        a1, a2, b1 = add(uow, "a"), add(uow, "a"), add(uow, "b")
        uow.commit()
    assert claim(uow_factory) == [a1, b1]
    with uow_factory as uow:
        assert uow.outbox.mark_sent_looking_behind(a1, 1, "1.1") is True  # a2 is pending behind it
        assert uow.outbox.mark_sent_looking_behind(b1, 1, "1.2") is False
        assert uow.outbox.mark_sent_looking_behind(b1, 1, "1.2") is None  # no claim to record
        uow.commit()
    assert claim(uow_factory) == [a2]
    with uow_factory as uow:
        assert uow.outbox.mark_sent_looking_behind(a2, 1, "1.3", may_lead=False) is False
        uow.commit()
        assert uow.outbox.statuses([a1, a2, b1]) == dict.fromkeys([a1, a2, b1], OutboxStatus.SENT)


def test_whether_a_key_is_unsent_comes_with_the_database_clock(uow_factory: UnitOfWork) -> None:
    with uow_factory as uow:
        unsent, now = uow.outbox.unsent_and_now("a")
        assert not unsent and now.tzinfo is not None
        assert abs(now - uow.outbox.database_now()) < timedelta(seconds=5)
        a1 = add(uow, "a")
        assert uow.outbox.unsent_and_now("a")[0] and not uow.outbox.unsent_and_now("b")[0]
        uow.commit()
        # After the commit the repository's statements run in the session's next transaction: what
        # is rolled back is gone, and the first commit's row stays.
        add(uow, "b")
        assert uow.outbox.unsent_and_now("b")[0]
        uow.rollback()
        assert not uow.outbox.unsent_and_now("b")[0]
    assert claim(uow_factory) == [a1]

"""The per-session memo behind learned examples: kept per session, served only under the erasure count
it was worked out under, dropped for a workspace once its count moves on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.session_memo import SessionMemo, WorkspaceMemo

STARTED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Worker:
    """Counts how often the value had to be worked out (what the memo saves is a database read)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"value {self.calls}"


def test_a_session_s_value_is_worked_out_once_while_the_count_stands() -> None:
    memo: SessionMemo[str] = SessionMemo()
    work = Worker()
    first = memo.get("T1", 7, STARTED, 0, work)
    assert [memo.get("T1", 7, STARTED, 0, work) for _ in range(3)] == [first] * 3
    assert work.calls == 1
    # Another session, or the same id started at another time (a purged id given again), is its own.
    memo.get("T1", 8, STARTED, 0, work)
    memo.get("T1", 7, STARTED + timedelta(days=1), 0, work)
    memo.get("T2", 7, STARTED, 0, work)
    assert work.calls == 4


def test_an_erasure_counted_anywhere_drops_what_the_workspace_kept() -> None:
    memo: SessionMemo[str] = SessionMemo()
    work = Worker()
    memo.get("T1", 7, STARTED, 0, work)
    memo.get("T1", 8, STARTED, 0, work)
    memo.get("T2", 9, STARTED, 0, work)
    assert len(memo) == 3
    # A transaction that reads count 1 (someone was forgotten meanwhile) works it out again ...
    assert memo.get("T1", 7, STARTED, 1, work) == "value 4"
    # ... and nothing of that workspace kept under the old count is left in memory; the other stays.
    assert len(memo) == 2
    assert memo.get("T2", 9, STARTED, 0, work) == "value 3"
    assert memo.get("T1", 7, STARTED, 1, work) == "value 4"
    assert work.calls == 4


def test_a_transaction_that_read_an_older_count_is_answered_but_not_kept() -> None:
    memo: SessionMemo[str] = SessionMemo()
    work = Worker()
    memo.get("T1", 7, STARTED, 2, work)
    # A transaction that began before the latest erasure (PostgreSQL: its snapshot) sees count 1.
    assert memo.get("T1", 7, STARTED, 1, work) == "value 2"
    assert memo.get("T1", 8, STARTED, 1, work) == "value 3"
    assert len(memo) == 1
    assert memo.get("T1", 7, STARTED, 2, work) == "value 1"


def test_the_least_recently_used_go_first() -> None:
    memo: SessionMemo[str] = SessionMemo(capacity=2)
    work = Worker()
    memo.get("T1", 1, STARTED, 0, work)
    memo.get("T1", 2, STARTED, 0, work)
    memo.get("T1", 1, STARTED, 0, work)  # used again: now the newest
    memo.get("T1", 3, STARTED, 0, work)  # session 2 goes
    assert len(memo) == 2
    memo.get("T1", 1, STARTED, 0, work)
    assert work.calls == 3
    memo.get("T1", 2, STARTED, 0, work)
    assert work.calls == 4


def test_a_workspace_memo_serves_its_value_only_under_the_count_it_was_kept_under() -> None:
    memo: WorkspaceMemo[str] = WorkspaceMemo(capacity=2)
    assert memo.get("T1", 0) is None
    memo.put("T1", 0, "decisions of T1")
    assert memo.get("T1", 0) == "decisions of T1"
    # Another process erased something in T1: the kept value goes at once, from memory too.
    assert memo.get("T1", 1) is None and memo.kept() == []
    # A transaction that began before the erasure cannot put back what it read.
    memo.put("T1", 0, "read before the erasure")
    assert memo.kept() == []
    memo.put("T1", 1, "read after")
    memo.put("T2", 0, "decisions of T2")
    memo.put("T3", 0, "decisions of T3")  # the least recently used (T1) goes
    assert sorted(memo.kept()) == ["decisions of T2", "decisions of T3"]

"""Slack's answers about admins and channels are kept for a minute, per workspace, and no longer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.directory import LookupCache

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_an_answer_is_kept_for_the_ttl_then_asked_again() -> None:
    cache = LookupCache(ttl=timedelta(seconds=60))
    cache.put(("admin", "T1", "U1"), True, START)
    assert cache.get(("admin", "T1", "U1"), START + timedelta(seconds=59)) is True
    assert cache.get(("admin", "T2", "U1"), START) is None  # another workspace's answer is not this one
    assert cache.get(("admin", "T1", "U1"), START + timedelta(seconds=60)) is None
    assert cache.get(("admin", "T1", "U1"), START) is None  # expired answers are gone


def test_a_clock_set_back_does_not_keep_an_answer_longer() -> None:
    cache = LookupCache(ttl=timedelta(seconds=60))
    cache.put(("channel", "T1", "C1"), "x", START)
    assert cache.get(("channel", "T1", "C1"), START - timedelta(hours=1)) is None


def test_the_oldest_answers_go_first_when_full() -> None:
    cache = LookupCache(ttl=timedelta(minutes=5), capacity=2)
    for n in range(3):
        cache.put(("admin", "T1", f"U{n}"), n, START)
    assert cache.get(("admin", "T1", "U0"), START) is None
    assert cache.get(("admin", "T1", "U1"), START) == 1
    assert cache.get(("admin", "T1", "U2"), START) == 2

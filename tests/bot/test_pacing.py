"""The pacer shared by the check-in dispatcher's senders: a 429 holds every sender for its
Retry-After, and a known rate is kept by a token bucket (clock and sleep injected: nothing waits)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from bot.pacing import Pacer, retry_after, without_rate_limit_retries
from bot.scheduler import posting_client


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_without_a_rate_nobody_waits_until_a_429_then_everybody_waits_it_out() -> None:
    time = FakeTime()
    pacer = Pacer(clock=time.clock, sleep=time.sleep)
    for _ in range(1000):
        pacer.wait()
    assert time.slept == []
    pacer.pause(2)
    pacer.pause(1)  # a shorter Retry-After met meanwhile does not shorten the pause
    pacer.wait()
    assert sum(time.slept) == pytest.approx(2)
    assert pacer.rate_limited == 2


def test_a_token_bucket_keeps_the_rate_after_the_burst() -> None:
    time = FakeTime()
    pacer = Pacer(rate=100, burst=100, clock=time.clock, sleep=time.sleep)
    start = time.now
    for _ in range(1100):
        pacer.wait()
    # 100 at once, then 1,000 more at 100 a second: ten seconds, never faster.
    assert time.now - start == pytest.approx(10, abs=0.05)


@given(st.floats(min_value=0.1, max_value=500), st.integers(min_value=1, max_value=50), st.integers(1, 300))
def test_never_more_than_the_burst_plus_the_rate_in_any_stretch(rate: float, burst: int, sends: int) -> None:
    time = FakeTime()
    pacer = Pacer(rate=rate, burst=burst, clock=time.clock, sleep=time.sleep)
    start = time.now
    for _ in range(sends):
        pacer.wait()
    assert sends <= burst + (time.now - start) * rate + 1e-6


def test_the_pacer_is_shared_by_threads() -> None:
    pacer = Pacer(rate=1e9, burst=1)
    threads = [threading.Thread(target=lambda: [pacer.wait() for _ in range(200)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _error(status: int, headers: dict[str, str]) -> SlackApiError:
    response = SlackResponse(
        client=None, http_verb="POST", api_url="x", req_args={}, data={"ok": False}, headers=headers,
        status_code=status,
    )  # fmt: skip
    return SlackApiError("refused", response)


def test_retry_after_is_read_from_a_429_only() -> None:
    assert retry_after(_error(429, {"Retry-After": "3"})) == 3
    assert retry_after(_error(429, {"retry-after": "0"})) == 1  # at least a second, as Slack means it
    assert retry_after(_error(429, {})) == 1
    assert retry_after(_error(500, {"Retry-After": "3"})) is None


def test_the_dispatchers_client_leaves_429s_to_the_pacer_and_the_original_keeps_them() -> None:
    client = posting_client(
        WebClient(retry_handlers=[RateLimitErrorRetryHandler(), ConnectionErrorRetryHandler()])
    )
    paced = without_rate_limit_retries(client)
    assert paced.retry_handlers == []
    assert [type(h) for h in client.retry_handlers] == [RateLimitErrorRetryHandler]

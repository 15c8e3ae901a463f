"""Pacing many posts to Slack from several threads at once (the check-in dispatcher's sends).

Slack limits ``chat.postMessage`` per workspace; over the limit it answers HTTP 429 with
``Retry-After`` and does nothing with the message, so a refused post may be sent again. One
:class:`Pacer` is shared by every thread sending for a run:

* a 429 pauses *every* sender until its ``Retry-After`` has passed (slack_sdk's retry handler would
  sleep in the one thread that met it while the others go on meeting 429s, each a wasted call, and
  give up after two);
* optionally, a token bucket (``rate`` posts a second, ``burst`` at once) keeps the senders under a
  limit that is known, so that no 429 is met at all.

Waiting happens on the caller's clock (``time.monotonic``), with no transaction open.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

# How often one post is offered to Slack again after a 429 before it counts as failed (its row then
# goes back to pending, as for any failure).
RATE_LIMITED_TRIES = 8


class Pacer:
    """Shared by the threads sending for one run; thread-safe."""

    def __init__(
        self,
        rate: float | None = None,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (or None: paced by Slack's 429s alone)")
        self._rate = rate
        self._burst = max(1, burst)
        self._tokens = float(self._burst)
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self.rate_limited = 0

    def _delay(self) -> float:
        """How long the caller must wait before sending (0: send now, a token is taken)."""
        now = self._clock()
        if now < self._paused_until:
            return self._paused_until - now
        if self._rate is None:
            return 0.0
        self._tokens = min(float(self._burst), self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        # (Within a hair of a whole token counts as one: a wait shorter than the clock can tell apart
        # would never end.)
        if self._tokens >= 1 - 1e-9:
            self._tokens = max(0.0, self._tokens - 1)
            return 0.0
        return (1 - self._tokens) / self._rate

    def wait(self) -> None:
        """Block until a post may be sent."""
        while True:
            with self._lock:
                delay = self._delay()
            if delay <= 0:
                return
            self._sleep(delay)

    def pause(self, seconds: float) -> None:
        """Slack said 429: nobody sends for ``seconds`` (a later, longer Retry-After wins)."""
        with self._lock:
            self.rate_limited += 1
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))
            self._tokens = 0.0


def retry_after(error: SlackApiError) -> float | None:
    """A 429's ``Retry-After`` in seconds (1 if Slack gave none); None for any other error."""
    response = getattr(error, "response", None)
    if getattr(response, "status_code", None) != 429:
        return None
    return retry_after_header(response)


def retry_after_header(response: object) -> float:
    """The ``Retry-After`` header of a Web API response in seconds: at least 1, and 1 when it is
    missing or unreadable."""
    headers = getattr(response, "headers", None) or {}
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return max(1.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def without_rate_limit_retries(client: WebClient) -> WebClient:
    """The same client (a shallow copy) that leaves 429s to the caller's :class:`Pacer`."""
    paced = copy.copy(client)
    paced.retry_handlers = [h for h in client.retry_handlers if not isinstance(h, RateLimitErrorRetryHandler)]
    return paced

"""The local Slack stand-in with a wait facility: every ``chat.postMessage`` the app makes is recorded
with the moment the stand-in received it, so the benchmark can wait for "the next prompt" in a thread
without scanning the stand-in's whole call log."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from localslack.webapi import SlackWebApiStandIn

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Post:
    """One message the app posted: when it arrived (``time.perf_counter``), where, and what it said."""

    at: float
    channel: str
    thread_ts: str | None
    ts: str
    text: str
    headers: tuple[str, ...]  # the text of any header blocks (a summary has one)
    blocks: int


def _rendered(params: JsonDict) -> tuple[str, tuple[str, ...]]:
    """The words a person reads in a message: section and context text (buttons excluded)."""
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        import json

        blocks = json.loads(blocks)
    parts: list[str] = []
    headers: list[str] = []
    for block in blocks or []:
        text = block.get("text")
        if isinstance(text, dict):
            (headers if block.get("type") == "header" else parts).append(str(text.get("text", "")))
        if block.get("type") == "context":
            parts.extend(str(e.get("text", "")) for e in block.get("elements", []) if isinstance(e, dict))
        parts.extend(str(f.get("text", "")) for f in block.get("fields", []) or [])
    if not parts and not headers:
        parts.append(str(params.get("text") or ""))
    return "\n".join(parts), tuple(headers)


class BenchSlack(SlackWebApiStandIn):
    """``SlackWebApiStandIn`` that also keeps, per thread, the posts it accepted, and wakes waiters."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = threading.Condition()
        self._threads: dict[tuple[str, str | None], list[Post]] = defaultdict(list)
        self.posts_accepted = 0
        original = self._methods["chat.postMessage"]

        def recording(team: Any, params: JsonDict) -> JsonDict:
            arrived = time.perf_counter()
            reply = original(team, params)
            text, headers = _rendered(params)
            thread_ts = params.get("thread_ts") or None
            blocks = params.get("blocks")
            post = Post(
                arrived,
                str(reply["channel"]),
                str(thread_ts) if thread_ts else None,
                str(reply["ts"]),
                text,
                headers,
                len(blocks) if isinstance(blocks, list) else 0,
            )
            with self._changed:
                self._threads[(post.channel, post.thread_ts)].append(post)
                self.posts_accepted += 1
                self._changed.notify_all()
            return reply

        self._methods["chat.postMessage"] = recording

    def posts_since(
        self, channel: str, thread_ts: str | None, after: float, *, timeout: float = 15.0
    ) -> list[Post]:
        """Posts to ``(channel, thread_ts)`` that arrived after ``after``, waiting up to ``timeout`` for
        the first one (empty when none came)."""
        deadline = time.perf_counter() + timeout
        key = (channel, thread_ts)
        with self._changed:
            while True:
                posts = self._threads.get(key, [])
                found = [p for p in posts[-8:] if p.at > after]
                if found:
                    return found
                left = deadline - time.perf_counter()
                if left <= 0:
                    return []
                self._changed.wait(left)

    def forget(self, channel: str, thread_ts: str | None) -> None:
        """Drop what was kept for a finished thread (keeps the bench process small)."""
        with self._changed:
            self._threads.pop((channel, thread_ts), None)

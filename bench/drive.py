"""Simulated teams running whole five-whys sessions through signed requests, answering what each prompt
asks, while the stand-in times the arrival of every next prompt."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.client import KeepAliveSlackClient
from bench.data import WORKSPACE
from bench.standin import BenchSlack, Post

MAX_ANSWERS = 25  # a session that needs more than this is counted as failed (the bench misread a prompt)
WHY_ANSWERS = (
    "Residents cannot find the form on the website",
    "The page was moved in the redesign and links were not updated",
    "Nobody owns the links between services after a redesign",
    "Service teams have no budget line for content upkeep",
    "Content upkeep is not part of any service plan",
    "The planning template leaves content out",
    "The template has not been reviewed since 2015",
)
PEOPLE = 4  # per team, answering in turn (each stays well under the per-person answer limit)
ALTERNATIVES = ("done", "no", "yes", "confirm", "Bench intervention", "tomorrow")


def channel_for(team: int) -> str:
    return f"C0BT{team:04d}"


def user_for(team: int, person: int = 0) -> str:
    """Person 0 facilitates; everyone in the team answers in turn."""
    return f"U0BT{team:04d}{person}"


def add_teams(slack: BenchSlack, teams: int) -> None:
    slack.add_team(WORKSPACE, "Bench Council", bot_user_id="UBOT", bot_token="xoxb-bench")
    for team in range(teams):
        people = [user_for(team, person) for person in range(PEOPLE)]
        for person in people:
            slack.add_user(WORKSPACE, person, f"Person {person}")
        slack.add_channel(WORKSPACE, channel_for(team), f"team-{team}", members=people)


def is_summary(posts: Sequence[Post]) -> bool:
    return any("summary" in header.lower() for post in posts for header in post.headers)


def choose_answer(prompt: str, why_number: int, attempt: int) -> str:
    """What a team would type to move on, read from the prompt (the template is being extended while this
    benchmark is written: a classification to confirm and a list of interventions to end with ``done``)."""
    lowered = prompt.lower()
    candidates: list[str] = []
    if "why does that happen" in lowered:
        candidates.append(WHY_ANSWERS[min(why_number, len(WHY_ANSWERS) - 1)])
    elif "stop recurring" in lowered:
        candidates.append("yes")
    elif "second branch" in lowered:
        candidates.append("no")
    elif "`confirm`" in lowered:
        candidates.append("confirm")
    elif "`done`" in lowered:
        candidates.append("done")
    elif "`yes`" in lowered:
        candidates.append("yes")
    elif "`no`" in lowered:
        candidates.append("no")
    candidates += [a for a in ALTERNATIVES if a not in candidates]
    return candidates[attempt % len(candidates)]


@dataclass
class Samples:
    """Per-answer timings in seconds."""

    ack: list[float] = field(default_factory=list)
    prompt: list[float] = field(default_factory=list)
    # Each answer's place in its session (0 for the first answer after the start), and what it said.
    position: list[tuple[int, str]] = field(default_factory=list)
    sessions: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, ack: float, prompt: float, position: tuple[int, str] = (-1, "")) -> None:
        with self.lock:
            self.ack.append(ack)
            self.prompt.append(prompt)
            self.position.append(position)

    def fail(self, reason: str) -> None:
        with self.lock:
            self.failed += 1
            if len(self.errors) < 5:
                self.errors.append(reason)


def run_session(
    slack: BenchSlack, client: KeepAliveSlackClient, team: int, serial: int, samples: Samples
) -> bool:
    """One whole five-whys session for ``team``: start it, answer until the summary is posted."""
    channel, user = channel_for(team), user_for(team)
    started = time.perf_counter()
    response = client.slash_command(
        team_id=WORKSPACE,
        user_id=user,
        channel_id=channel,
        text=f"start five-whys Residents wait weeks for a reply to form {serial}",
    )
    if response.status != 200:
        samples.fail(f"start: HTTP {response.status} {response.body[:200]}")
        return False
    anchors = slack.posts_since(channel, None, started, timeout=5)
    if not anchors:
        samples.fail("start: no anchor message")
        return False
    thread = anchors[-1].ts
    posts = slack.posts_since(channel, thread, started)
    if not posts:
        samples.fail("start: no first prompt")
        return False
    whys = 0
    last_prompt, attempt = "", 0
    try:
        for number in range(MAX_ANSWERS):
            prompt = posts[-1].text
            attempt = attempt + 1 if prompt == last_prompt else 0
            last_prompt = prompt
            answer = choose_answer(prompt, whys, attempt)
            if answer in WHY_ANSWERS:
                whys += 1
            sent = time.perf_counter()
            response = client.message(
                team_id=WORKSPACE,
                user_id=user_for(team, number % PEOPLE),
                channel_id=channel,
                text=answer,
                thread_ts=thread,
            )
            acked = time.perf_counter()
            if response.status != 200:
                samples.fail(f"answer: HTTP {response.status} {response.body[:200]}")
                return False
            posts = slack.posts_since(channel, thread, sent)
            if not posts:
                samples.fail(f"answer {answer!r}: no next prompt")
                return False
            samples.add(acked - sent, posts[0].at - sent, (number, answer))
            if is_summary(posts):
                with samples.lock:
                    samples.sessions += 1
                return True
        samples.fail(f"no summary after {MAX_ANSWERS} answers; last prompt: {last_prompt[:200]!r}")
        return False
    finally:
        slack.forget(channel, thread)


def run_teams(
    slack: BenchSlack,
    client: KeepAliveSlackClient,
    teams: int,
    *,
    duration: float,
    min_sessions: int = 1,
) -> tuple[Samples, float]:
    """``teams`` teams, each running sessions back to back for ``duration`` seconds (and at least
    ``min_sessions`` each). Returns the samples and the wall-clock time."""
    samples = Samples()
    deadline = time.perf_counter() + duration
    counter = iter(range(1, 10**9))
    counter_lock = threading.Lock()

    def team_loop(team: int) -> None:
        done = 0
        while done < min_sessions or time.perf_counter() < deadline:
            with counter_lock:
                serial = next(counter)
            try:
                run_session(slack, client, team, serial, samples)
            except Exception as error:
                samples.fail(f"{type(error).__name__}: {error}")
            done += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=teams) as pool:
        list(pool.map(team_loop, range(teams)))
    return samples, time.perf_counter() - started


def answer_each(
    slack: BenchSlack,
    client: KeepAliveSlackClient,
    threads: Sequence[tuple[int, str]],
    *,
    concurrency: int,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[int, int, float]:
    """Send one answer into each ``(team, thread_ts)`` (sessions seeded in the database) and wait for the
    next prompt. Returns (answered, failed, seconds)."""
    position = iter(range(len(threads)))
    lock = threading.Lock()
    answered = failed = 0

    def worker() -> None:
        nonlocal answered, failed
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                return
            team, thread = threads[index]
            sent = time.perf_counter()
            response = client.message(
                team_id=WORKSPACE,
                user_id=user_for(team, index % PEOPLE),
                channel_id=channel_for(team),
                text=WHY_ANSWERS[1],
                thread_ts=thread,
            )
            ok = response.status == 200 and bool(slack.posts_since(channel_for(team), thread, sent))
            slack.forget(channel_for(team), thread)
            with lock:
                if ok:
                    answered += 1
                else:
                    failed += 1
                if on_progress is not None and (answered + failed) % 1000 == 0:
                    on_progress(answered + failed)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    return answered, failed, time.perf_counter() - started


def hammer(client: KeepAliveSlackClient, connections: int, duration: float) -> tuple[int, int, float]:
    """Closed-loop load for the baseline: ``connections`` clients each sending thread replies (the same
    signed message events the bot answers) as fast as they are acked. Returns (acked, failed, seconds)."""
    deadline = time.perf_counter() + duration
    counts = [0, 0]
    lock = threading.Lock()

    def loop(index: int) -> None:
        ok = bad = 0
        while time.perf_counter() < deadline:
            response = client.message(
                team_id=WORKSPACE,
                user_id=user_for(index),
                channel_id=channel_for(index),
                text=WHY_ANSWERS[0],
                thread_ts="1000000000.000001",
            )
            if response.status == 200:
                ok += 1
            else:
                bad += 1
        with lock:
            counts[0] += ok
            counts[1] += bad

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(loop, range(connections)))
    return counts[0], counts[1], time.perf_counter() - started


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]

"""Where one answer's CPU goes, without the machine's other work in the figure: whole five-whys
sessions driven in this process, one request at a time, with each request dispatched to the bot's
WSGI app in the calling thread under cProfile (the Web API stand-in answers from its own thread and
is not profiled). Prints CPU milliseconds per answer and the functions holding the most of it.

    .venv/bin/python -m bench.cpu --sessions 20 [--postgres-url URL] [--out bench/results/cpu.prof]
    .venv/bin/python -m bench.cpu --sessions 10 --history 300 --no-profile

``--history H`` starts from a workspace that has already run H finished sessions (copies of the
warm-up session, spread over the bench's channels: each with a confirmed root cause and a decided
classification, as the bench teams leave them), so that what grows with a workspace's history shows
as CPU per answer: the figure should not move with H.

A profile taken while other work shares the machine changes little here: the figure is CPU time of
this thread, not wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import text

from bench import data, drive
from bench.standin import BenchSlack
from bot.app import build_deps, create_app
from bot.settings import Settings
from bot.web import make_wsgi_app
from localslack.requests import SignedSlackClient, SlackResponse
from storage.db import make_engine

SIGNING_SECRET = "bench-cpu-secret"
# Channels the history is spread over (seen elsewhere asks Slack about each related one, at most ten).
HISTORY_CHANNELS = 10


class InProcessClient(SignedSlackClient):
    """Signed requests handed straight to a WSGI app in this thread (no HTTP server), so that
    cProfile sees all of the bot's work on a request."""

    def __init__(self, app: Any) -> None:
        super().__init__("http://in-process/slack/events", SIGNING_SECRET)
        self._app = app
        self.profile: cProfile.Profile | None = None
        self.cpu = 0.0

    def send(self, body: bytes, headers: Mapping[str, str]) -> SlackResponse:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/slack/events",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": headers.get("Content-Type", ""),
        }
        for name, value in headers.items():
            if name.lower() != "content-type":
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        status: list[str] = []

        def start_response(line: str, _headers: Any, _exc: Any = None) -> Any:
            status.append(line)
            return lambda _data: None

        started = time.thread_time()
        if self.profile is not None:
            self.profile.enable()
        try:
            chunks = b"".join(self._app(environ, start_response))
        finally:
            if self.profile is not None:
                self.profile.disable()
            self.cpu += time.thread_time() - started
        return SlackResponse(int(status[0].split()[0]), chunks.decode("utf-8", "replace"), {})


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument(
        "--history", type=int, default=0, help="finished sessions in the workspace before measuring"
    )
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="then run as many sessions again under cProfile (default: yes)",
    )
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "cpu.prof")
    args = parser.parse_args()
    slack = BenchSlack()
    slack.start()
    database: AbstractContextManager[data.Database] = (
        data.postgres_database(args.postgres_url) if args.postgres_url else data.sqlite_database()
    )
    try:
        drive.add_teams(slack, HISTORY_CHANNELS)
        with database as db:
            settings = Settings(
                slack_bot_token=SecretStr("xoxb-bench"),
                slack_signing_secret=SecretStr(SIGNING_SECRET),
                slack_api_url=slack.base_url,
                database_url=db.url,
                playbook_answers_per_minute=10_000,
                _env_file=None,  # type: ignore[call-arg]
            )
            deps = build_deps(settings)
            client = InProcessClient(make_wsgi_app(create_app(settings, deps), ready=deps.database_ready))
            samples = drive.Samples()
            drive.run_session(slack, client, 0, 0, samples)  # warm-up: imports, caches, first queries
            if args.history:
                # Each copy's thread is a message the stand-in knows (its permalink is found).
                channels = [drive.channel_for(serial % HISTORY_CHANNELS) for serial in range(args.history)]
                threads = [
                    (channel, slack.post_as_user(data.WORKSPACE, channel, drive.user_for(0), "history").ts)
                    for channel in channels
                ]
                seconds = data.clone_sessions(db.url, _last_session(db.url), threads)
                print(f"history: {args.history} finished sessions copied in {seconds:.1f} s", file=sys.stderr)
                drive.run_session(slack, client, 0, 0, samples)  # the first read of the history
            # First without the profiler (its own cost would be in the figure), then with it (CPU
            # time of this thread as its clock, so waiting for the stand-in is not counted).
            client.cpu, samples = 0.0, drive.Samples()
            for serial in range(1, args.sessions + 1):
                drive.run_session(slack, client, 0, serial, samples)
            cpu, answered = client.cpu, len(samples.prompt)
            profiled = drive.Samples()
            client.profile = cProfile.Profile(time.thread_time) if args.profile else None
            for serial in range(args.sessions + 1, 2 * args.sessions + 1 if args.profile else 0):
                drive.run_session(slack, client, 0, serial, profiled)
            profile = client.profile
    finally:
        slack.stop()
    print(
        f"history {args.history}: {answered} answers in {samples.sessions} sessions "
        f"(failed {samples.failed}): {1000 * cpu / max(1, answered):.2f} ms CPU per answer, "
        f"session starts included (then {len(profiled.prompt)} more under the profiler)"
    )
    if profile is None:
        return 1 if samples.failed else 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    profile.dump_stats(str(args.out))
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    print(f"(cProfile stats in {args.out}: python -m pstats, or snakeviz/flameprof for a picture)")
    return 0


def _last_session(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT max(id) FROM sessions")).scalar_one())
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())

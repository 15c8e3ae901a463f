"""Where the slow answers are: the bot at 32 teams (as ``bench.run`` serves it), answer-to-next-prompt
latency by the answer's place in its session. A session's answers cost different work (a root cause
confirmed runs "seen elsewhere"; reaching the classification proposes one from the workspace's
decisions), and under load the costly places set the p95.

    .venv/bin/python -m bench.positions [--teams 32] [--seconds 15] [--databases sqlite,postgresql]

Prints, for each place: how many answers, p50 and p95 in ms, and how many of all answers slower than
the overall p95 were at that place.
"""

from __future__ import annotations

import argparse
import collections
from collections.abc import Sequence

from bench import data, drive, server
from bench.client import KeepAliveSlackClient
from bench.run import databases
from bench.standin import BenchSlack


def by_position(samples: drive.Samples) -> list[str]:
    overall_p95 = drive.percentile(samples.prompt, 95)
    places: dict[int, list[float]] = collections.defaultdict(list)
    said: dict[int, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for (place, answer), latency in zip(samples.position, samples.prompt, strict=True):
        places[place].append(latency)
        said[place][answer[:30]] += 1
    lines = [
        f"{len(samples.prompt)} answers, p50 {1000 * drive.percentile(samples.prompt, 50):.0f} ms, "
        f"p95 {1000 * overall_p95:.0f} ms",
        f"{'place':>5} {'answers':>7} {'p50 ms':>7} {'p95 ms':>7} {'in slowest 5%':>13}  most often said",
    ]
    for place in sorted(places):
        values = places[place]
        slow = sum(1 for value in values if value > overall_p95)
        lines.append(
            f"{place:>5} {len(values):>7} {1000 * drive.percentile(values, 50):>7.0f} "
            f"{1000 * drive.percentile(values, 95):>7.0f} {slow:>13}  {said[place].most_common(1)[0][0]!r}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.positions", description=__doc__)
    parser.add_argument("--teams", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--postgres-url", default=data.postgres_url_from_environment())
    args = parser.parse_args(argv)
    slack = BenchSlack()
    slack.start()
    try:
        drive.add_teams(slack, args.teams)
        for database in databases([d.strip() for d in args.databases.split(",")], args.postgres_url):
            with database() as db:
                bot = server.start_bot(slack.base_url, db.url)
                try:
                    client = KeepAliveSlackClient(bot.url, server.SIGNING_SECRET)
                    drive.run_teams(slack, client, args.teams, duration=0)  # warm-up
                    samples, seconds = drive.run_teams(slack, client, args.teams, duration=args.seconds)
                finally:
                    bot.stop()
            print(f"{db.label}: {args.teams} teams, {len(samples.prompt) / seconds:.1f} answers/s")
            print("\n".join(by_position(samples)))
    finally:
        slack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

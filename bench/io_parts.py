"""What each part of an answer's designed I/O costs, against the same-I/O anchor.

    .venv/bin/python -m bench.io_parts [--rounds 3] [--seconds 10] [--databases sqlite,postgresql]

Serves, one after another and ``--rounds`` times on each database, the bare Bolt baselines of
``bench/bare_bolt.py`` under the bot's server configuration, each hammered by 32 connections with the
same signed thread replies: the same-I/O anchor (one insert, one post), the I/O one of our answers
does by design (``our-io``), and ``our-io`` leaving out the replacement of the answered prompt's
buttons (``chat.update``), the second transaction (marking the outbox row sent), or both. Prints
requests/s and each one's share of the anchor (min–median–max over the rounds). No bot logic runs:
this is the ceiling the design's I/O puts on the throughput ratio.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection, Sequence

from bench import data, drive, server
from bench.client import KeepAliveSlackClient
from bench.run import databases, spread
from bench.standin import BenchSlack

CONNECTIONS = 32
# (label, our_io, parts left out); the first is the anchor the others are divided by.
VARIANTS: tuple[tuple[str, bool, tuple[str, ...]], ...] = (
    ("same I/O (anchor)", False, ()),
    ("our I/O", True, ()),
    ("our I/O, no chat.update", True, ("update",)),
    ("our I/O, no 2nd transaction", True, ("mark",)),
    ("our I/O, neither", True, ("update", "mark")),
)


def requests_per_second(
    slack: BenchSlack, database_url: str, seconds: float, *, our_io: bool, leave: Collection[str]
) -> float:
    bare = server.start_bare_bolt(
        slack.base_url, database_url, same_io=not our_io, our_io=our_io, leave=leave
    )
    try:
        client = KeepAliveSlackClient(bare.url, server.SIGNING_SECRET)
        drive.hammer(client, CONNECTIONS, 0.5)  # warm-up
        acked, failed, elapsed = drive.hammer(client, CONNECTIONS, seconds)
    finally:
        bare.stop()
    if failed:
        raise RuntimeError(f"{failed} requests failed")
    return round(acked / elapsed, 1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.io_parts", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=data.postgres_url_from_environment())
    args = parser.parse_args(argv)
    slack = BenchSlack()
    slack.start()
    try:
        drive.add_teams(slack, CONNECTIONS)
        for database in databases([d.strip() for d in args.databases.split(",")], args.postgres_url):
            with database() as db:
                rates: dict[str, list[float]] = {label: [] for label, _, _ in VARIANTS}
                shares: dict[str, list[float]] = {label: [] for label, _, _ in VARIANTS}
                for _ in range(args.rounds):
                    anchor = 0.0
                    for label, our_io, leave in VARIANTS:
                        rate = requests_per_second(slack, db.url, args.seconds, our_io=our_io, leave=leave)
                        anchor = anchor or rate
                        rates[label].append(rate)
                        shares[label].append(round(rate / anchor, 3))
            print(f"{db.label}: {args.rounds} round(s) of {args.seconds:.0f} s, {CONNECTIONS} connections")
            for label, _, _ in VARIANTS:
                print(
                    f"  {label:<30} {spread(rates[label]):>22}/s  {spread(shares[label]):>19}x of the anchor"
                )
    finally:
        slack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

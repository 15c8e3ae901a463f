"""One command for every benchmark: ``python -m bench.run`` (full, a few minutes) or ``--quick`` (under a
minute, what CI runs). Prints a table and writes JSON. See bench/README.md for what each figure means."""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench import checkins, data, drive, server
from bench.client import KeepAliveSlackClient
from bench.standin import BenchSlack
from bot.server import default_workers

TEAM_COUNTS = (1, 8, 32)
TARGET_P95_MS = 300.0
TARGET_RATIO = 0.7  # answers/s over a bare Bolt app doing the same I/O per request
TARGET_DISPATCH = 1.1
TARGET_RSS_GROWTH = 0.10  # "flat": under 10 % more resident memory with the sessions in progress
DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"


@dataclass(frozen=True)
class Sizes:
    latency_seconds: float
    baseline_seconds: float
    in_progress: int
    history: int
    checkins: int

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls(
                latency_seconds=0.75, baseline_seconds=1.0, in_progress=200, history=1000, checkins=200
            )
        return cls(
            latency_seconds=15.0, baseline_seconds=15.0, in_progress=10_000, history=100_000, checkins=10_000
        )


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "slack-bolt": _version("slack-bolt"),
        "slack-sdk": _version("slack-sdk"),
        "sqlalchemy": _version("sqlalchemy"),
        "gunicorn": _version("gunicorn"),
        "uvicorn": _version("uvicorn"),
        "psycopg": _version("psycopg"),
        "web_concurrency": os.environ.get(
            "WEB_CONCURRENCY",
            f"sqlite {default_workers('sqlite')}, postgresql {default_workers('postgresql')}, "
            f"bare Bolt {default_workers('postgresql')}",
        ),
    }


def latency_figures(samples: drive.Samples, seconds: float, teams: int, history: int) -> dict[str, Any]:
    def ms(values: Sequence[float], q: float) -> float:
        return round(drive.percentile(values, q) * 1000, 1)

    return {
        "teams": teams,
        "stored_sessions": history,
        "answers": len(samples.prompt),
        "sessions": samples.sessions,
        "failed": samples.failed,
        "errors": samples.errors,
        "seconds": round(seconds, 2),
        "answers_per_second": round(len(samples.prompt) / seconds, 1) if seconds else 0.0,
        "ack_ms": {f"p{q}": ms(samples.ack, q) for q in (50, 95, 99)},
        "prompt_ms": {f"p{q}": ms(samples.prompt, q) for q in (50, 95, 99)},
    }


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def count_sessions(url: str) -> int:
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM sessions")).scalar() or 0)
    finally:
        engine.dispose()


def bench_database(
    database: data.Database, slack: BenchSlack, sizes: Sizes, teams: Sequence[int]
) -> dict[str, Any]:
    """Latency, throughput, memory and growth for one database, on one server process."""
    result: dict[str, Any] = {"database": database.label, "server_version": database.server_version}
    result["same_io"] = same_io_baseline(database, slack, sizes, max(teams))
    say(f"  {database.label}: bare Bolt with one answer's I/O: {result['same_io']}")
    bot = server.start_bot(slack.base_url, database.url)
    try:
        client = KeepAliveSlackClient(bot.url, server.SIGNING_SECRET)
        # Warm-up: every listener thread and connection used once, on an empty database.
        drive.run_teams(slack, client, max(teams), duration=0)
        rss_empty = bot.rss_bytes()
        say(f"  {database.label}: warm, RSS {rss_empty['total'] / 2**20:.0f} MiB")
        runs = []
        for count in teams:
            samples, seconds = drive.run_teams(slack, client, count, duration=sizes.latency_seconds)
            runs.append(latency_figures(samples, seconds, count, count_sessions(database.url)))
            say(f"  {database.label}: {count} teams: {runs[-1]['prompt_ms']} ({runs[-1]['answers']} answers)")
        result["latency"] = runs
        rss_before = bot.rss_bytes()

        # Memory: sessions left in progress, each touched once through Slack, against the empty start.
        per_team = math.ceil(sizes.in_progress / max(teams))
        threads: list[tuple[int, str]] = []
        for team in range(max(teams)):
            prefix = f"3000000000.{team:04d}"
            stamps = data.seed_in_progress(
                database.url, drive.channel_for(team), drive.user_for(team), per_team, prefix
            )
            threads += [(team, stamp) for stamp in stamps]
        threads = threads[: sizes.in_progress]
        answered, failed, seconds = drive.answer_each(
            slack, client, threads, concurrency=max(teams), on_progress=lambda n: say(f"    {n} answered")
        )
        rss_full = bot.rss_bytes()
        growth = (rss_full["workers"] - rss_empty["workers"]) / rss_empty["workers"]
        result["memory"] = {
            "sessions_in_progress": answered,
            "failed": failed,
            "answers_per_second": round(answered / seconds, 1) if seconds else 0.0,
            "rss_empty_mib": round(rss_empty["total"] / 2**20, 1),
            "rss_after_latency_mib": round(rss_before["total"] / 2**20, 1),
            "rss_in_progress_mib": round(rss_full["total"] / 2**20, 1),
            "worker_rss_empty_mib": round(rss_empty["workers"] / 2**20, 1),
            "worker_rss_in_progress_mib": round(rss_full["workers"] / 2**20, 1),
            "worker_growth": round(growth, 3),
        }
        say(f"  {database.label}: memory {result['memory']}")

        # Growth: ten times the sessions stored, the same latency figures again.
        seeded = data.seed_history(database.url, sizes.history)
        stored = count_sessions(database.url)
        say(f"  {database.label}: {sizes.history} sessions stored in {seeded:.1f} s ({stored} in all)")
        grown = []
        for count in teams:
            samples, seconds = drive.run_teams(slack, client, count, duration=sizes.latency_seconds)
            grown.append(latency_figures(samples, seconds, count, stored))
            say(f"  {database.label}: {count} teams at {stored} sessions: {grown[-1]['prompt_ms']}")
        result["growth"] = {"seed_seconds": round(seeded, 1), "stored_sessions": stored, "latency": grown}
    finally:
        bot.stop()
    return result


def same_io_baseline(
    database: data.Database, slack: BenchSlack, sizes: Sizes, connections: int, *, our_io: bool = False
) -> dict[str, Any]:
    """The anchor for answers/s: a bare Bolt app doing one answer's I/O (one committed insert, one
    ``chat.postMessage``) on this database, same server configuration, same client and load. With
    ``our_io``: the I/O one of our answers does by design (``bench.bare_bolt``), to say how much of
    the gap to the anchor is I/O."""
    from bench.bare_bolt import rows_written

    bare = server.start_bare_bolt(slack.base_url, database.url, same_io=not our_io, our_io=our_io)
    try:
        client = KeepAliveSlackClient(bare.url, server.SIGNING_SECRET)
        drive.hammer(client, connections, 0.5)  # warm-up
        rows_before, posts_before = rows_written(database.url), slack.posts_accepted
        acked, failed, seconds = drive.hammer(client, connections, sizes.baseline_seconds)
        rows, posts = rows_written(database.url) - rows_before, slack.posts_accepted - posts_before
    finally:
        bare.stop()
    return {
        "connections": connections,
        "workers": len(bare.workers()) or None,
        "acked": acked,
        "failed": failed,
        "rows_written": rows,
        "messages_posted": posts,
        "seconds": round(seconds, 2),
        "requests_per_second": round(acked / seconds, 1) if seconds else 0.0,
    }


def baseline(slack: BenchSlack, sizes: Sizes, connections: int) -> dict[str, Any]:
    bare = server.start_bare_bolt(slack.base_url)
    try:
        client = KeepAliveSlackClient(bare.url, server.SIGNING_SECRET)
        drive.hammer(client, connections, 0.5)  # warm-up
        acked, failed, seconds = drive.hammer(client, connections, sizes.baseline_seconds)
    finally:
        bare.stop()
    return {
        "connections": connections,
        "acked": acked,
        "failed": failed,
        "seconds": round(seconds, 2),
        "requests_per_second": round(acked / seconds, 1) if seconds else 0.0,
    }


def throughput_rounds(
    database: data.Database, slack: BenchSlack, sizes: Sizes, teams: int, rounds: int
) -> dict[str, Any]:
    """The two figures the throughput target is judged on, measured ``rounds`` times back to back on one
    database: the same-I/O anchor, then the bot at ``teams`` teams, alternating, so that the machine's
    other load (it is shared) falls on both sides of each ratio alike. The bot is restarted each round on
    the same database, so every round starts from the sessions the earlier ones left."""
    results: list[dict[str, Any]] = []
    for number in range(rounds):
        load = os.getloadavg()[0]
        anchor = same_io_baseline(database, slack, sizes, teams)
        designed = same_io_baseline(database, slack, sizes, teams, our_io=True)
        bot = server.start_bot(slack.base_url, database.url)
        try:
            client = KeepAliveSlackClient(bot.url, server.SIGNING_SECRET)
            drive.run_teams(slack, client, teams, duration=0)  # warm-up
            samples, seconds = drive.run_teams(slack, client, teams, duration=sizes.latency_seconds)
        finally:
            bot.stop()
        ours = latency_figures(samples, seconds, teams, count_sessions(database.url))
        rps = anchor["requests_per_second"]
        results.append(
            {
                "load_average": round(load, 2),
                "same_io": anchor,
                "our_io": designed,
                "latency": ours,
                "ratio": round(ours["answers_per_second"] / rps, 3) if rps else 0.0,
                "our_io_ratio": round(designed["requests_per_second"] / rps, 3) if rps else 0.0,
                "ratio_to_our_io": round(ours["answers_per_second"] / designed["requests_per_second"], 3)
                if designed["requests_per_second"]
                else 0.0,
            }
        )
        say(
            f"  {database.label} round {number + 1}: same I/O {rps}/s, our I/O "
            f"{designed['requests_per_second']}/s, ours {ours['answers_per_second']}/s "
            f"= {results[-1]['ratio']}x, prompt p95 {ours['prompt_ms']['p95']} ms, load {load:.1f}"
        )
    return {"database": database.label, "server_version": database.server_version, "rounds": results}


def spread(values: Sequence[float]) -> str:
    """min–median–max, as the figures over several rounds are reported."""
    ordered = sorted(values)
    return f"{ordered[0]}–{ordered[len(ordered) // 2]}–{ordered[-1]}"


def throughput_table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Playbook bot throughput — {m['date']} — {report['rounds']} round(s) of "
        f"{report['sizes']['latency_seconds']} s at {report['teams']} teams, "
        f"WEB_CONCURRENCY {m['web_concurrency']}",
        f"{'database':<11}{'round':>6}{'load':>6}{'same I/O/s':>11}{'our I/O/s':>10}{'ans/s':>8}"
        f"{'ratio':>7}{'/our I/O':>9}{'prompt p50':>11}{'p95':>8}{'p99':>8}{'failed':>7}",
    ]
    for run in report["databases"]:
        for number, row in enumerate(run["rounds"], 1):
            p = row["latency"]["prompt_ms"]
            lines.append(
                f"{run['database']:<11}{number:>6}{row['load_average']:>6}"
                f"{row['same_io']['requests_per_second']:>11}{row['our_io']['requests_per_second']:>10}"
                f"{row['latency']['answers_per_second']:>8}{row['ratio']:>7}{row['ratio_to_our_io']:>9}"
                f"{p['p50']:>11}{p['p95']:>8}{p['p99']:>8}{row['latency']['failed']:>7}"
            )
    lines.append("")
    for run in report["databases"]:
        rows = run["rounds"]
        lines.append(
            f"{run['database']} (min–median–max): ratio {spread([r['ratio'] for r in rows])}, "
            f"answers/s {spread([r['latency']['answers_per_second'] for r in rows])}, "
            f"same I/O {spread([r['same_io']['requests_per_second'] for r in rows])}/s, "
            f"our I/O {spread([r['our_io']['requests_per_second'] for r in rows])}/s "
            f"({spread([r['our_io_ratio'] for r in rows])}x of same I/O; ours "
            f"{spread([r['ratio_to_our_io'] for r in rows])}x of it), "
            f"prompt p95 {spread([r['latency']['prompt_ms']['p95'] for r in rows])} ms, "
            f"load {spread([r['load_average'] for r in rows])}"
        )
    return "\n".join(lines)


def run_throughput(
    quick: bool, only: Sequence[str], postgres_url: str, json_path: Path | None, rounds: int
) -> dict[str, Any]:
    sizes = Sizes.for_mode(quick)
    teams = max(TEAM_COUNTS)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "mode": "throughput",
        "quick": quick,
        "rounds": rounds,
        "teams": teams,
        "machine": machine(),
        "sizes": asdict(sizes),
        "databases": [],
    }
    slack = BenchSlack()
    slack.start()
    try:
        drive.add_teams(slack, teams)
        for make in databases(only, postgres_url):
            with make() as database:
                report["databases"].append(throughput_rounds(database, slack, sizes, teams, rounds))
    finally:
        slack.stop()
    report["seconds"] = round(time.perf_counter() - started, 1)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def run_dispatch_rounds(quick: bool, rounds: int) -> int:
    """Check-in dispatch alone, ``rounds`` times on fresh SQLite databases, with min–median–max."""
    sizes = Sizes.for_mode(quick)
    slack = BenchSlack()
    slack.start()
    results = []
    try:
        drive.add_teams(slack, 1)
        for _ in range(rounds):
            load = os.getloadavg()[0]
            with data.sqlite_database() as database:
                result = checkins.run_dispatch(database, slack, sizes.checkins, quick=quick)
            result["load_average"] = round(load, 2)
            results.append(result)
            say(f"  dispatch: {result}")
    finally:
        slack.stop()
    for r in results:
        print(
            f"check-in dispatch: {r['checkins']} in {r['seconds']} s, minimum {r['minimum_seconds']} s, "
            f"ratio {r['ratio']}, 429s {r['rate_limited']}, lost {r['lost']}, "
            f"duplicated {r['duplicates']}, load {r['load_average']}"
        )
    print(f"ratio (min–median–max): {spread([r['ratio'] for r in results])}")
    return 0


def databases(
    only: Sequence[str], postgres_url: str
) -> Iterator[Callable[[], AbstractContextManager[data.Database]]]:
    if "sqlite" in only:
        yield data.sqlite_database
    if "postgresql" in only:
        if data.postgres_available(postgres_url):
            yield lambda: data.postgres_database(postgres_url)
        else:
            say(f"PostgreSQL at {postgres_url} is not reachable: skipped")


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target in bench/README.md with the measured figure and whether it is met."""
    checks: list[dict[str, Any]] = []
    rps = report["baseline"]["requests_per_second"]
    for run in report["databases"]:
        label = run["database"]
        top = max(run["latency"], key=lambda r: r["teams"])
        checks.append(
            {
                "target": f"answer-to-next-prompt p95 < {TARGET_P95_MS:.0f} ms "
                f"at {top['teams']} teams ({label})",
                "measured": f"{top['prompt_ms']['p95']} ms",
                "met": top["prompt_ms"]["p95"] < TARGET_P95_MS and top["failed"] == 0,
            }
        )
        anchor = run["same_io"]["requests_per_second"]
        ratio = top["answers_per_second"] / anchor if anchor else 0.0
        checks.append(
            {
                "target": f"answers/s at {top['teams']} teams ≥ {TARGET_RATIO} × bare Bolt doing the "
                f"same I/O ({label})",
                "measured": f"{top['answers_per_second']}/s vs {anchor}/s = {ratio:.3f} "
                f"(ack-only bare Bolt {rps}/s: {top['answers_per_second'] / rps if rps else 0.0:.3f})",
                "met": ratio >= TARGET_RATIO and run["same_io"]["failed"] == 0,
            }
        )
        memory = run["memory"]
        checks.append(
            {
                "target": f"resident memory flat with {memory['sessions_in_progress']} sessions "
                f"in progress ({label})",
                "measured": f"{memory['worker_rss_empty_mib']} → {memory['worker_rss_in_progress_mib']} MiB "
                f"({memory['worker_growth']:+.1%})",
                "met": memory["worker_growth"] < TARGET_RSS_GROWTH and memory["failed"] == 0,
            }
        )
        # Per-answer cost is read at one team, where no queueing hides it; at 32 teams the figure is
        # dominated by waiting for the saturated worker and moves with whatever else the machine runs.
        alone = min(run["latency"], key=lambda r: r["teams"])
        grown = min(run["growth"]["latency"], key=lambda r: r["teams"])
        checks.append(
            {
                "target": f"per-answer cost flat with {run['growth']['stored_sessions']} stored "
                f"sessions ({label})",
                "measured": f"p50 {alone['prompt_ms']['p50']} → {grown['prompt_ms']['p50']} ms "
                f"at {alone['teams']} team(s)",
                "met": grown["prompt_ms"]["p50"] <= alone["prompt_ms"]["p50"] * 1.25 + 1,
            }
        )
    dispatch = report["dispatch"]
    if dispatch.get("status") == "measured":
        checks.append(
            {
                "target": f"check-in dispatch within {TARGET_DISPATCH}× the rate-limited minimum, "
                "none lost or doubled",
                "measured": f"{dispatch['seconds']} s vs {dispatch['minimum_seconds']} s "
                f"= {dispatch['ratio']}; "
                f"lost {dispatch['lost']}, duplicated {dispatch['duplicates']}",
                "met": dispatch["ratio"] <= TARGET_DISPATCH
                and dispatch["lost"] == 0
                and dispatch["duplicates"] == 0,
            }
        )
    else:
        checks.append(
            {
                "target": f"check-in dispatch within {TARGET_DISPATCH}× the rate-limited minimum",
                "measured": dispatch.get("status", "pending"),
                "met": False,
            }
        )
    return checks


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Playbook bot benchmark — {m['date']} — {'quick' if report['quick'] else 'full'} run",
        f"{m['cores']} cores · {m['platform']} · Python {m['python']} · slack-bolt {m['slack-bolt']} · "
        f"slack-sdk {m['slack-sdk']} · SQLAlchemy {m['sqlalchemy']} · gunicorn {m['gunicorn']} "
        f"+ uvicorn {m.get('uvicorn', '?')} ({m['web_concurrency']} process(es)) · "
        + " · ".join(f"{r['database']} {r['server_version']}" for r in report["databases"]),
        "",
        f"{'database':<11}{'stored':>8}{'teams':>6}{'answers':>8}{'ans/s':>8}"
        f"{'ack p50':>9}{'p95':>7}{'p99':>7}{'prompt p50':>12}{'p95':>7}{'p99':>7}{'failed':>7}",
    ]
    for run in report["databases"]:
        for row in run["latency"] + run["growth"]["latency"]:
            a, p = row["ack_ms"], row["prompt_ms"]
            lines.append(
                f"{run['database']:<11}{row['stored_sessions']:>8}{row['teams']:>6}{row['answers']:>8}"
                f"{row['answers_per_second']:>8}{a['p50']:>9}{a['p95']:>7}{a['p99']:>7}"
                f"{p['p50']:>12}{p['p95']:>7}{p['p99']:>7}{row['failed']:>7}"
            )
    b = report["baseline"]
    lines += [
        "",
        f"bare Bolt (only acks), {b['connections']} connections: {b['requests_per_second']} requests/s",
    ]
    for run in report["databases"]:
        same, top = run["same_io"], max(run["latency"], key=lambda r: r["teams"])
        ratio = top["answers_per_second"] / same["requests_per_second"] if same["requests_per_second"] else 0
        lines.append(
            f"bare Bolt with one answer's I/O ({run['database']}: one committed insert, one "
            f"chat.postMessage), {same['connections']} connections: {same['requests_per_second']} "
            f"requests/s; ours at {top['teams']} teams: {top['answers_per_second']} answers/s = {ratio:.3f}×"
        )
    for run in report["databases"]:
        mem = run["memory"]
        lines.append(
            f"memory ({run['database']}): RSS empty {mem['rss_empty_mib']} MiB, after latency runs "
            f"{mem['rss_after_latency_mib']} MiB, with {mem['sessions_in_progress']} sessions in progress "
            f"{mem['rss_in_progress_mib']} MiB (worker {mem['worker_growth']:+.1%} vs empty)"
        )
    d = report["dispatch"]
    if d.get("status") == "measured":
        lines.append(
            f"check-in dispatch: {d['checkins']} check-ins in {d['seconds']} s, "
            f"minimum {d['minimum_seconds']} s ({d['limit']}), ratio {d['ratio']}, "
            f"429s {d['rate_limited']}, lost {d['lost']}, duplicated {d['duplicates']}"
        )
    else:
        lines.append(f"check-in dispatch: {d.get('status')} — {d.get('needs', '')}")
    lines += ["", "targets:"]
    for check in report["targets"]:
        lines.append(f"  [{'met' if check['met'] else 'MISSED'}] {check['target']}: {check['measured']}")
    return "\n".join(lines)


def run(quick: bool, only: Sequence[str], postgres_url: str, json_path: Path | None) -> dict[str, Any]:
    sizes = Sizes.for_mode(quick)
    started = time.perf_counter()
    report: dict[str, Any] = {"quick": quick, "machine": machine(), "sizes": asdict(sizes), "databases": []}
    say(f"benchmark ({'quick' if quick else 'full'}): {report['machine']}")
    slack = BenchSlack()
    slack.start()
    try:
        drive.add_teams(slack, max(TEAM_COUNTS))
        report["baseline"] = baseline(slack, sizes, max(TEAM_COUNTS))
        say(f"  bare Bolt: {report['baseline']}")
        for make in databases(only, postgres_url):
            with make() as database:
                report["databases"].append(bench_database(database, slack, sizes, TEAM_COUNTS))
        with data.sqlite_database() as database:
            report["dispatch"] = checkins.run_dispatch(database, slack, sizes.checkins, quick=quick)
        say(f"  dispatch: {report['dispatch']}")
    finally:
        slack.stop()
    report["targets"] = targets(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute (CI)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=data.postgres_url_from_environment(),
        help="a PostgreSQL server to create a scratch database on",
    )
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where to write the figures ({DEFAULT_JSON})"
    )
    parser.add_argument(
        "--throughput",
        type=int,
        metavar="ROUNDS",
        help="only the throughput target: the same-I/O anchor and the bot at 32 teams, alternated "
        "ROUNDS times on each database, with min–median–max and the load average (a few minutes)",
    )
    parser.add_argument(
        "--dispatch",
        type=int,
        metavar="ROUNDS",
        help="only check-in dispatch under the rate limit, ROUNDS times (each on a fresh database)",
    )
    args = parser.parse_args(argv)
    only = [d.strip() for d in args.databases.split(",")]
    if args.dispatch:
        return run_dispatch_rounds(args.quick, args.dispatch)
    if args.throughput:
        report = run_throughput(args.quick, only, args.postgres_url, args.json, args.throughput)
        print(throughput_table(report))
        print(f"\n({report['seconds']} s; JSON in {args.json})")
        return 0
    report = run(args.quick, [d.strip() for d in args.databases.split(",")], args.postgres_url, args.json)
    print(table(report))
    print(f"\n({report['seconds']} s; JSON in {args.json})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

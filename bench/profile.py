"""Where one answer's time goes: the bot's web process sampled by py-spy while simulated teams answer.

    .venv/bin/python -m pip install py-spy          # a profiling tool, not a project dependency
    .venv/bin/python -m bench.profile --teams 32 --seconds 15 --out bench/results/profile

Starts the server as the benchmark does (``playbook-bot serve --no-scheduler`` on a scratch SQLite
database, or ``--postgres-url``), warms it up, then records its worker for ``--seconds`` with py-spy
(``--format raw``: one line per distinct stack with its sample count) while ``--teams`` teams run
five-whys sessions. Writes the raw stacks (feed them to flamegraph.pl or speedscope for a picture) and
prints the functions holding the most samples, inclusive (anywhere on the stack) and by the project's
own frames, with answers per second over the same seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from contextlib import AbstractContextManager
from pathlib import Path

from bench import data, drive, server
from bench.client import KeepAliveSlackClient
from bench.standin import BenchSlack

OWN = ("bot/", "flows/", "storage/")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from ``/proc/PID/stat``: a figure per
    answer that, unlike answers a second, hardly moves when other work shares the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def record(pid: int, seconds: float, raw: Path) -> subprocess.Popen[bytes]:
    py_spy = Path(sys.executable).with_name("py-spy")
    command = [str(py_spy), "record", "--pid", str(pid), "--duration", str(int(seconds))]
    command += ["--rate", "200", "--threads", "--format", "raw", "--output", str(raw), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def summarise(raw: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    idle = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        leaf = frames[-1]
        if any(
            word in leaf for word in ("wait (threading", "select (selectors", "_worker (concurrent", "accept")
        ):
            idle += count
            continue
        seen: set[str] = set()
        for frame in frames:
            name = frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0].rsplit("/", 2)[-1] + ")"
            if name not in seen:
                inclusive[name] += count
                seen.add(name)
        project = [f for f in frames if any(part in f for part in OWN)]
        if project:
            own[project[-1].split(":")[0]] += count
    busy = total - idle
    lines = [f"samples {total}, of them waiting for work {idle}; busy {busy}", "", "inclusive (% of busy):"]
    lines += [f"  {100 * n / busy:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines += ["", "deepest project frame (% of busy):"]
    lines += [f"  {100 * n / busy:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--teams", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "profile")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    raw = args.out / "stacks.txt"
    slack = BenchSlack()
    slack.start()
    database: AbstractContextManager[data.Database] = (
        data.postgres_database(args.postgres_url) if args.postgres_url else data.sqlite_database()
    )
    try:
        drive.add_teams(slack, args.teams)
        with database as db:
            bot = server.start_bot(slack.base_url, db.url)
            try:
                client = KeepAliveSlackClient(bot.url, server.SIGNING_SECRET)
                drive.run_teams(slack, client, args.teams, duration=0)
                [worker] = bot.workers()[:1]
                spy = record(worker, args.seconds, raw)
                time.sleep(1.0)  # py-spy attaches
                before = len(slack.calls)
                cpu_before, own_before = cpu_seconds(worker), sum(os.times()[:2])
                samples, seconds = drive.run_teams(slack, client, args.teams, duration=args.seconds - 2)
                cpu = cpu_seconds(worker) - cpu_before
                own = sum(os.times()[:2]) - own_before
                calls = slack.calls[before:]
                spy.wait()
                if spy.returncode:
                    print(spy.stderr.read().decode() if spy.stderr else "", file=sys.stderr)
            finally:
                bot.stop()
    finally:
        slack.stop()
    per_method = Counter(call.method for call in calls)
    answers = max(1, len(samples.prompt))
    print(
        "Web API calls per answer: "
        + ", ".join(f"{m} {n / answers:.2f}" for m, n in per_method.most_common())
    )
    print(
        f"{len(samples.prompt)} answers in {seconds:.1f} s = {len(samples.prompt) / seconds:.1f}/s, "
        f"{samples.sessions} sessions, failed {samples.failed}"
    )
    print(
        f"CPU per answer: the server's worker {1000 * cpu / answers:.1f} ms (py-spy's sampling included), "
        f"this process (stand-in and simulated teams) {1000 * own / answers:.1f} ms"
    )
    report = summarise(raw, args.top)
    (args.out / "summary.txt").write_text(report + "\n")
    print(report)
    print(f"\n(raw stacks in {raw})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

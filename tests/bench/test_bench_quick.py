"""The benchmark keeps working: ``python -m bench.run --quick`` completes and reports every figure.
This checks that figures are produced and plausible, never that they meet the targets (speed is
measured by the bench, not by timed tests)."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, RUN_PREFIX

ROOT = Path(__file__).resolve().parents[2]
# One quick bench at a time on a machine: two test runs benchmarking at once (each with its server's
# processes and 32 clients) used up PostgreSQL's 100 connections, and the benches saw HTTP 500s.
MACHINE_LOCK = Path(tempfile.gettempdir()) / "playbook-bench-quick.lock"


@pytest.mark.slow
def test_quick_benchmark_reports_every_figure(tmp_path: Path) -> None:
    output = tmp_path / "bench.json"
    databases = "sqlite,postgresql" if POSTGRES_URL else "sqlite"
    # The bench's connections carry this run's name, so the run's count of PostgreSQL connections
    # includes them.
    separator = "&" if "?" in (POSTGRES_URL or "") else "?"
    postgres = ["--postgres-url", f"{POSTGRES_URL}{separator}application_name={RUN_PREFIX}bench"]
    with MACHINE_LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when this process dies
        completed = subprocess.run(  # noqa: S603 - our own interpreter and module
            [
                *(sys.executable, "-m", "bench.run", "--quick", "--databases", databases),
                *(postgres if POSTGRES_URL else []),
                *("--json", str(output)),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            # Only a bound on a hang: on a 2-core machine loaded by other test runs the quick bench
            # took over 240 s.
            timeout=1200,
            check=False,
        )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(output.read_text())

    machine = report["machine"]
    assert machine["cores"] >= 1
    for package in ("python", "slack-bolt", "slack-sdk", "sqlalchemy", "gunicorn"):
        assert machine[package][0].isdigit(), (package, machine[package])
    assert report["baseline"]["requests_per_second"] > 0 and report["baseline"]["failed"] == 0

    assert [run["database"] for run in report["databases"]] == databases.split(",")
    for run in report["databases"]:
        assert run["server_version"]
        # The same-I/O anchor did the I/O: one row and one message per acknowledged request.
        same = run["same_io"]
        assert same["failed"] == 0 and same["requests_per_second"] > 0
        assert same["rows_written"] == same["acked"] == same["messages_posted"], same
        for rows in (run["latency"], run["growth"]["latency"]):
            assert [row["teams"] for row in rows] == [1, 8, 32]
            for row in rows:
                assert row["failed"] == 0, row["errors"]
                assert row["sessions"] >= row["teams"] and row["answers"] >= 6 * row["sessions"]
                for figure in ("ack_ms", "prompt_ms"):
                    p50, p95, p99 = (row[figure][q] for q in ("p50", "p95", "p99"))
                    assert 0 < p50 <= p95 <= p99, (figure, row[figure])
        memory = run["memory"]
        assert memory["sessions_in_progress"] == report["sizes"]["in_progress"] and memory["failed"] == 0
        assert memory["rss_empty_mib"] > 10 and memory["rss_in_progress_mib"] > 10
        assert run["growth"]["stored_sessions"] >= report["sizes"]["history"]

    dispatch = report["dispatch"]
    assert dispatch["status"] in ("measured", "pending")
    if dispatch["status"] == "measured":
        assert dispatch["checkins"] == report["sizes"]["checkins"]
        assert dispatch["seconds"] > 0 and dispatch["minimum_seconds"] > 0
        assert dispatch["lost"] == 0 and dispatch["duplicates"] == 0
    assert report["targets"] and all(isinstance(t["met"], bool) for t in report["targets"])
    assert "targets:" in completed.stdout

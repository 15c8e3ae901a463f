"""The servers under test, as subprocesses: the bot exactly as the Procfile runs it
(``playbook-bot serve --no-scheduler``) and the bare Bolt baselines under the same server configuration
(``bot.server``); plus their resident memory read from /proc."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ANSWERS_PER_MINUTE = 10_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _playbook_bot() -> list[str]:
    script = Path(sys.executable).with_name("playbook-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


@dataclass
class Server:
    """A running server subprocess (gunicorn master and its workers)."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    workdir: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as reply:
                    if reply.status == 200 and self.workers():
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready in {timeout:.0f} s:\n{self.log_tail()}")

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of the master, of the workers (summed) and in total."""
        master = rss(self.process.pid)
        workers = sum(rss(pid) for pid in self.workers())
        return {"master": master, "workers": workers, "total": master + workers}

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def rss(pid: int) -> int:
    """Resident set size in bytes (from /proc/PID/statm), 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _environment(api_url: str, database_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "PLAYBOOK_", "DATABASE_URL"))
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
        # Each simulated person answers at machine speed: raise the per-person flood limit (30 a minute)
        # so it does not throttle the simulation; the limiter still runs on every answer.
        PLAYBOOK_ANSWERS_PER_MINUTE=str(ANSWERS_PER_MINUTE),
        # The code under test is the checkout this bench/ sits in (not whatever else is installed).
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def _die_with_parent() -> None:
    """In the child before exec: ask Linux to send SIGTERM when the bench process dies (killed by a
    test timeout, say), so a gunicorn server is never left running on its own."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _launch(command: list[str], env: dict[str, str], port: int) -> Server:
    # A scratch working directory: no stray .env from the checkout is read, and logs stay out of it.
    workdir = Path(tempfile.mkdtemp(prefix="playbook-bench-"))
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
    server = Server(process, port, log_path, workdir)
    try:
        server.wait_ready()
    except Exception:
        server.stop()
        raise
    return server


def start_bot(api_url: str, database_url: str) -> Server:
    """``playbook-bot serve --no-scheduler`` as the Procfile's ``web:`` line runs it."""
    port = free_port()
    command = [*_playbook_bot(), "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)]
    return _launch(command, _environment(api_url, database_url), port)


def start_bare_bolt(
    api_url: str,
    database_url: str = "sqlite://",
    *,
    same_io: bool = False,
    our_io: bool = False,
    leave: Collection[str] = (),
) -> Server:
    """A baseline (``bench.bare_bolt``) under the same server configuration: a Bolt app whose message
    listener only acks, or (``same_io``) does one answer's I/O on ``database_url``, or (``our_io``) the
    I/O one of our answers does by design (``leave``: parts of it left out)."""
    port = free_port()
    command = [sys.executable, "-m", "bench.bare_bolt", "--port", str(port)]
    if same_io:
        command.append("--same-io")
    if our_io:
        command.append("--our-io")
        for part in leave:
            command.extend(("--leave", part))
    return _launch(command, _environment(api_url, database_url), port)

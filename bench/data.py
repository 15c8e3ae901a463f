"""Databases for the benchmark and bulk seeding with plain SQL (not through Slack): a scratch SQLite file
or a scratch PostgreSQL database created for the run and dropped after it."""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storage.db import make_engine, normalise_url, upgrade

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORKSPACE = "T0BENCH"
HISTORY_CHANNEL = "C0HISTORY"
IN_PROGRESS_PREFIX = "3000000000."

# A finished five-whys as stored: (key, JSON value). The app never reads these while answering others.
HISTORY_ANSWERS: tuple[tuple[str, object], ...] = (
    ("problem", "Residents ring us because the online form rejects their postcode"),
    ("whys.1.answer", "The form will not accept postcodes without a space"),
    ("whys.2.answer", "The validation pattern insists on a space"),
    ("whys.3.answer", "The platform release changed validation and we cannot override it"),
    ("whys.3.fixes_it", True),
    ("root_cause", {"item": 3, "text": "The platform release changed validation"}),
    ("second_branch", False),
)
IN_PROGRESS_ANSWERS: tuple[tuple[str, object], ...] = HISTORY_ANSWERS[:2]


@dataclass(frozen=True)
class Database:
    label: str  # "sqlite" or "postgresql"
    url: str
    server_version: str


def server_version(url: str) -> str:
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return str(connection.execute(text("SHOW server_version")).scalar())
            return "SQLite " + str(connection.execute(text("SELECT sqlite_version()")).scalar())
    finally:
        engine.dispose()


def postgres_available(url: str) -> bool:
    try:
        server_version(url)
    except Exception:
        return False
    return True


def postgres_url_from_environment() -> str:
    """The PostgreSQL server a bench script uses unless told: ``$BENCH_POSTGRES_URL``, then
    ``$TEST_DATABASE_URL``, then the local one."""
    return os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL


@contextmanager
def sqlite_database() -> Iterator[Database]:
    directory = tempfile.mkdtemp(prefix="playbook-bench-db-")
    path = os.path.join(directory, "bench.db")
    url = f"sqlite:///{path}"
    try:
        upgrade(url)
        yield Database("sqlite", url, server_version(url))
    finally:
        for suffix in ("", "-wal", "-shm"):
            with suppress(FileNotFoundError):
                os.remove(path + suffix)
        os.rmdir(directory)


@contextmanager
def postgres_database(admin_url: str = DEFAULT_POSTGRES_URL) -> Iterator[Database]:
    """A fresh database ``bench_<random>`` on the server of ``admin_url``, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield Database("postgresql", url, server_version(url))
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _series(dialect: str, count: int) -> tuple[str, str]:
    """A ``WITH`` prefix and a FROM item that yield the numbers 1..count as ``g.n``."""
    if dialect == "postgresql":
        return "", f"generate_series(1, {int(count)}) AS g(n)"
    return f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {int(count)}) ", "g"


def _values(dialect: str, answers: tuple[tuple[str, object], ...]) -> str:
    rows = ", ".join(
        "('{}', '{}')".format(key, json.dumps(value).replace("'", "''")) for key, value in answers
    )
    return (
        f"(VALUES {rows}) AS k(key, v)"
        if dialect == "postgresql"
        else f"(SELECT column1 AS key, column2 AS v FROM (VALUES {rows})) AS k"
    )


def _seed(
    engine: Engine,
    *,
    channel: str,
    thread_prefix: str,
    count: int,
    status: str,
    user: str,
    answers: tuple[tuple[str, object], ...],
    last_prompted_key: str,
) -> None:
    dialect = engine.dialect.name
    pg = dialect == "postgresql"
    now = "now()" if pg else "'2026-11-25 10:00:00.000000'"
    false = "false" if pg else "0"
    value = "k.v::json" if pg else "k.v"
    done = now if status == "completed" else "NULL"
    with_prefix, series = _series(dialect, count)
    with engine.begin() as connection:
        insert_workspace = (
            "INSERT INTO workspaces (id, name, settings, created_at) VALUES (:ws, 'Bench', '{}', "
            + now
            + ") "
            + ("ON CONFLICT (id) DO NOTHING" if pg else "ON CONFLICT DO NOTHING")
        )
        connection.execute(text(insert_workspace), {"ws": WORKSPACE})
        connection.execute(
            text(
                f"{with_prefix}INSERT INTO sessions (workspace_id, template_id, status, facilitator_id, "
                "channel_id, thread_ts, is_dm, locale, last_prompted_key, created_at, updated_at, "
                "completed_at) SELECT :ws, 'five-whys', :status, :user, :channel, "
                f"CAST(:prefix AS TEXT) || g.n, {false}, 'en', :key, {now}, {now}, {done} FROM {series}"
            ),
            {
                "ws": WORKSPACE,
                "status": status,
                "user": user,
                "channel": channel,
                "prefix": thread_prefix,
                "key": last_prompted_key,
            },
        )
        mine = "s.workspace_id = :ws AND s.channel_id = :channel AND s.thread_ts LIKE :pattern"
        params = {"ws": WORKSPACE, "channel": channel, "pattern": thread_prefix + "%", "user": user}
        connection.execute(
            text(
                "INSERT INTO participants (session_id, user_id, role, joined_at) "
                f"SELECT s.id, :user, 'facilitator', {now} FROM sessions s WHERE {mine}"
            ),
            params,
        )
        connection.execute(
            text(
                "INSERT INTO answers (session_id, key, version, value, raw_text, skipped, retracted, "
                f"author_id, created_at) SELECT s.id, k.key, 1, {value}, k.v, {false}, {false}, :user, {now} "
                f"FROM sessions s CROSS JOIN {_values(dialect, answers)} WHERE {mine}"
            ),
            params,
        )
    if pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))


def seed_history(url: str, count: int) -> float:
    """``count`` completed five-whys sessions (seven answers each); returns the seconds it took."""
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        _seed(
            engine,
            channel=HISTORY_CHANNEL,
            thread_prefix=f"2000000000.{uuid.uuid4().hex[:6]}.",
            count=count,
            status="completed",
            user="U0HISTORY",
            answers=HISTORY_ANSWERS,
            last_prompted_key="second_branch",
        )
    finally:
        engine.dispose()
    return time.perf_counter() - started


def seed_in_progress(url: str, channel: str, user: str, count: int, thread_prefix: str) -> list[str]:
    """``count`` active sessions at "Why 2" in ``channel``; returns their thread ts values."""
    engine = make_engine(url)
    try:
        _seed(
            engine,
            channel=channel,
            thread_prefix=thread_prefix,
            count=count,
            status="active",
            user=user,
            answers=IN_PROGRESS_ANSWERS,
            last_prompted_key="whys.2.answer",
        )
    finally:
        engine.dispose()
    return [f"{thread_prefix}{n}" for n in range(1, count + 1)]


def clone_sessions(url: str, session_id: int, threads: Sequence[tuple[str, str]]) -> float:
    """A copy of session ``session_id`` (a finished session driven through the bot: its confirmed root
    cause and decided classification included) in each ``(channel, thread_ts)`` of ``threads``, with its
    participants and every answer version; returns the seconds it took. A workspace's history as the
    bench's own sessions leave it, without driving each one through Slack."""
    engine = make_engine(url)
    started = time.perf_counter()
    dialect = engine.dialect.name
    rows = ", ".join(f"({number}, '{channel}', '{ts}')" for number, (channel, ts) in enumerate(threads))
    places = (
        f"(VALUES {rows}) AS t(n, channel, ts)"
        if dialect == "postgresql"
        else f"(SELECT column1 AS n, column2 AS channel, column3 AS ts FROM (VALUES {rows})) AS t"
    )
    try:
        with engine.begin() as connection:
            before = connection.execute(text("SELECT coalesce(max(id), 0) FROM sessions")).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO sessions (workspace_id, template_id, status, facilitator_id, channel_id, "
                    "thread_ts, is_dm, locale, last_prompted_key, created_at, updated_at, completed_at) "
                    "SELECT s.workspace_id, s.template_id, s.status, s.facilitator_id, t.channel, t.ts, "
                    "s.is_dm, s.locale, s.last_prompted_key, s.created_at, s.updated_at, s.completed_at "
                    f"FROM sessions s CROSS JOIN {places} WHERE s.id = :id ORDER BY t.n"
                ),
                {"id": session_id},
            )
            copies = "c.workspace_id = s.workspace_id AND c.id > :before"
            connection.execute(
                text(
                    "INSERT INTO participants (session_id, user_id, role, joined_at) "
                    "SELECT c.id, p.user_id, p.role, p.joined_at FROM sessions s "
                    f"JOIN sessions c ON {copies} JOIN participants p ON p.session_id = s.id "
                    "WHERE s.id = :id ORDER BY c.id, p.id"
                ),
                {"id": session_id, "before": before},
            )
            connection.execute(
                text(
                    "INSERT INTO answers (session_id, key, version, value, raw_text, skipped, retracted, "
                    "author_id, created_at) SELECT c.id, a.key, a.version, a.value, a.raw_text, a.skipped, "
                    f"a.retracted, a.author_id, a.created_at FROM sessions s JOIN sessions c ON {copies} "
                    "JOIN answers a ON a.session_id = s.id WHERE s.id = :id ORDER BY c.id, a.id"
                ),
                {"id": session_id, "before": before},
            )
        if dialect == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    return time.perf_counter() - started

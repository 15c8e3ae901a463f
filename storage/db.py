"""Engines and migrations. SQLite is the embedded default; PostgreSQL is the production database."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` (as hosting platforms give them) with psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


_HOLDS_WRITER = "playbook_holds_sqlite_writer"


def _configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` so concurrent writers queue politely
    instead of failing with "database is locked" when a read transaction upgrades to a write.

    Threads of one process also queue on a Python lock before ``BEGIN IMMEDIATE``: SQLite's own busy
    handler makes a waiting connection sleep (up to 100 ms a time), which showed as a long latency
    tail under load; a lock hands the database to the next thread as soon as the last one commits.
    Other processes (a worker beside the server) still meet at SQLite's file lock."""
    writer = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted or overwritten content is zeroed in the file, so an erased answer leaves no copy.
        cursor.execute("PRAGMA secure_delete=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The same 30 s as SQLite's busy timeout: a stuck writer fails requests, it never hangs them.
        if not writer.acquire(timeout=30):
            raise TimeoutError("the SQLite database stayed busy for 30 seconds")
        connection.info[_HOLDS_WRITER] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection: Any) -> None:
        if connection.info.pop(_HOLDS_WRITER, False):
            writer.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping: it cost a round trip on every checkout (14% of an answer's time in the benchmark).
    # Connections are recycled instead; one dropped by a database restart fails that request, which
    # Slack retries (events) or the user repeats, and the pool replaces it.
    kwargs.setdefault("pool_recycle", 300)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def database_clock(dialect: str) -> Any:
    """The database's clock as a column to select, for :func:`as_database_now` to read: on PostgreSQL
    the transaction's start (``now()``); SQLite is a file on this machine, so this machine's clock (to
    the millisecond, as text)."""
    if dialect == "postgresql":
        return func.now()
    return func.strftime("%Y-%m-%d %H:%M:%f", "now")


def as_database_now(value: Any) -> datetime:
    """What :func:`database_clock` selected, as an aware UTC time."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


def database_now(connection: Connection) -> datetime:
    """The database's clock (UTC, aware): one clock that every process sharing the database agrees on,
    whatever its own clock says (see :func:`database_clock`)."""
    return as_database_now(connection.execute(select(database_clock(connection.dialect.name))).scalar_one())


# What the rest of the app names the database by, so that only storage/ imports SQLAlchemy.
SessionFactory = sessionmaker[Session]
__all__ = ["Engine", "SessionFactory"]


def make_session_factory(engine: Engine) -> SessionFactory:
    return sessionmaker(engine, expire_on_commit=False)


@cache
def _migrations_dir() -> str:
    return str(Path(str(resources.files("storage").joinpath("migrations"))))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", _migrations_dir())
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, engine: Engine | None = None) -> None:
    """Apply every migration (``playbook-bot db upgrade``)."""
    config = alembic_config(url)
    if engine is not None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "heads")
    else:
        command.upgrade(config, "heads")


def database_answers(engine: Engine, timeout_seconds: float = 2.0) -> bool:
    """Whether the database answers a trivial query now (``/readyz``)."""
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_seconds * 1000)}")
            connection.exec_driver_sql("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not ready"; the probe must answer, not raise
        return False


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def ensure_schema(url: str, engine: Engine) -> None:
    """Migrate at start-up when the database is SQLite (embedded, nobody else to run migrations) or
    entirely empty; an existing PostgreSQL database is migrated by ``playbook-bot db upgrade``."""
    if make_url(normalise_url(url)).get_backend_name() == "sqlite" or is_empty(engine):
        upgrade(url, engine)


def checkpoint(engine: Engine) -> None:
    """On SQLite, copy the write-ahead log into the database file and truncate it (after an erasure
    commits, so the erased text's old pages are not left in the WAL). Nothing on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        connection.close()

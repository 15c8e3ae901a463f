"""Shared fixtures: databases (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), the local Slack
stand-in, and the real Bolt app served over HTTP in a thread; and the Hypothesis profiles.

The PostgreSQL server is shared by every test run on the machine (its ``max_connections`` is 100), so
the suite keeps its own use small and checks it: every engine a test makes is disposed when the test
ends; a test that still holds a connection after that (a thread or a process it started and did not
stop) fails at teardown; each run's schemas and connections are named ``t_<run>_…`` (two runs at once
never share a name); the run's peak count of connections is reported at the end, and the session fails
if any is still open then. A test's schema is dropped in the background once its connections are
closed. Test schemas commit without waiting for the WAL flush (``synchronous_commit=off``): only a
crash of the PostgreSQL server could lose a commit, which no test is about.

Hypothesis runs derandomized by default (profile ``ci``): the same examples on every run, so the suite
passes or fails the same way each time, and no deadline (a loaded 2-core machine is slow, never
wrong). ``HYPOTHESIS_PROFILE=explore`` runs randomized, to look for new failing examples; pin each one
it finds with ``@example`` on the test.
"""

from __future__ import annotations

import gc
import os
import queue
import shutil
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from storage.db import checkpoint, make_engine, normalise_url, upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
# Every schema and connection of this run is named with this prefix (``application_name``).
RUN_PREFIX = f"t_{uuid.uuid4().hex[:8]}_"
# How long a test's connections may take to close after its end (a killed process's backend notices
# the closed socket and exits; on a loaded machine that can take a moment).
CLOSE_WITHIN_SECONDS = 20.0
# At most half of the server's 100 connections at once, so that two runs on the machine fit beside
# each other (and beside what else uses it); the quick benchmark, the biggest user, holds about 35.
PEAK_BUDGET = 50

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "explore",
    derandomize=False,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------------------------- engines, connections

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
_own: weakref.WeakSet[Engine] = weakref.WeakSet()  # this file's engines, which count and drop schemas


@event.listens_for(Engine, "engine_connect")
def _remember_engine(connection: Connection) -> None:
    """Every engine that connected in this process, so the test's end can dispose it."""
    if connection.engine not in _own:
        _engines.add(connection.engine)


def dispose_engines() -> None:
    """Close the pooled connections of every engine that connected since the last call (an engine stays
    usable: it opens new connections if it is used again)."""
    for engine in list(_engines):
        engine.dispose()
    _engines.clear()


@pytest.fixture(autouse=True)
def _engines_disposed() -> Iterator[None]:
    yield
    dispose_engines()


def _with_options(base: str, **options: str) -> str:
    separator = "&" if "?" in base else "?"
    return normalise_url(base) + separator + "&".join(f"{key}={value}" for key, value in options.items())


def _admin_engine(name: str) -> Engine:
    """An engine of this file's (never disposed by a test's end), its connections named ``name``."""
    assert POSTGRES_URL is not None
    engine = make_engine(_with_options(POSTGRES_URL, application_name=name), pool_size=1, max_overflow=0)
    _own.add(engine)
    return engine


def run_connections(admin: Engine, name: str | None = None) -> int:
    """Connections open now for one schema of this run (``name``), or for the whole run (but the one
    asking)."""
    with admin.connect() as connection:
        if name is not None:
            query, value = "application_name = :value", name
        else:
            query, value = "starts_with(application_name, :value)", RUN_PREFIX
        count = connection.execute(
            text(f"SELECT count(*) FROM pg_stat_activity WHERE {query} AND pid <> pg_backend_pid()"),  # noqa: S608
            {"value": value},
        ).scalar_one()
    return int(count)


class _SharedServer:
    """This run's own use of the shared PostgreSQL: a connection that creates schemas and counts a test's
    connections; a thread that closes what a finished test left open and drops its schema (the next
    test need not wait for it); and a thread that polls the run's connections (every 0.25 s) for their
    peak."""

    def __init__(self) -> None:
        self.admin = _admin_engine(f"{RUN_PREFIX}admin")
        self.peak = 0
        self.drop_errors: list[str] = []
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._dropper = threading.Thread(target=self._drop_each, name="pg-drop", daemon=True)
        self._dropper.start()
        self._counter = _admin_engine(f"{RUN_PREFIX}peak")
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="pg-peak", daemon=True)
        self._poller.start()

    def create_schema(self, schema: str) -> None:
        with self.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def wait_closed(self, schema: str) -> int:
        """The connections of ``schema`` still open once they had :data:`CLOSE_WITHIN_SECONDS` to close."""
        deadline = time.monotonic() + CLOSE_WITHIN_SECONDS
        while (still_open := run_connections(self.admin, schema)) and time.monotonic() < deadline:
            gc.collect()  # an engine nobody refers to any more closes its connections when collected
            time.sleep(0.1)
        return still_open

    def drop_later(self, schema: str) -> None:
        self._drops.put(schema)

    def _drop_each(self) -> None:
        engine = _admin_engine(f"{RUN_PREFIX}drop")
        while (schema := self._drops.get()) is not None:
            try:
                with engine.begin() as connection:
                    # Connections still open (the test failed, or left a thread or process running)
                    # count against the server's max_connections, which every test run on the machine
                    # shares: close them, so that a busy machine never sees "too many clients".
                    connection.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": schema},
                    )
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            except SQLAlchemyError as error:  # reported at the end of the session, which then fails
                self.drop_errors.append(f"{schema}: {error}")
        engine.dispose()

    def _poll(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, run_connections(self._counter))

    def close(self) -> list[str]:
        """Drop what is still queued, stop; the connections of this run still open then, described.
        They get :data:`CLOSE_WITHIN_SECONDS` to go, as a test's do: a backend the last drop
        terminated, or one whose killed client it has not yet noticed, exits a moment later on a
        loaded machine."""
        self._drops.put(None)
        self._dropper.join()
        self.admin.dispose()
        self._stop.set()
        self._poller.join()
        deadline = time.monotonic() + CLOSE_WITHIN_SECONDS
        while run_connections(self._counter) and time.monotonic() < deadline:
            time.sleep(0.1)
        with self._counter.connect() as connection:
            still_open = [
                f"{name} ({state}, since {started:%H:%M:%S}): {query}"
                for name, state, started, query in connection.execute(
                    text(
                        "SELECT application_name, state, backend_start, left(query, 200) "
                        "FROM pg_stat_activity "
                        "WHERE starts_with(application_name, :prefix) AND pid <> pg_backend_pid()"
                    ),
                    {"prefix": RUN_PREFIX},
                )
            ]
        self._counter.dispose()
        return still_open


_server: _SharedServer | None = None
_left_open_at_end: list[str] = []


def shared_server() -> _SharedServer:
    assert _server is not None, "TEST_DATABASE_URL is not set"
    return _server


def pytest_sessionstart(session: pytest.Session) -> None:
    global _server
    if POSTGRES_URL:
        _server = _SharedServer()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _left_open_at_end
    if _server is None:
        return
    dispose_engines()
    _left_open_at_end = _server.close()
    over_budget = _server.peak > PEAK_BUDGET
    if (_left_open_at_end or _server.drop_errors or over_budget) and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _server is None:
        return
    terminalreporter.write_line(
        f"PostgreSQL: this run held at most {_server.peak} connections at once "
        f"(application_name {RUN_PREFIX}*); {len(_left_open_at_end)} still open at the end"
    )
    if _left_open_at_end:
        terminalreporter.write_line("FAILED: connections of this run were still open at the end:", red=True)
        for described in _left_open_at_end:
            terminalreporter.write_line(f"  {described}", red=True)
    if _server.peak > PEAK_BUDGET:
        terminalreporter.write_line(f"FAILED: more than {PEAK_BUDGET} connections at once", red=True)
    for error in _server.drop_errors:
        terminalreporter.write_line(f"FAILED to drop a test schema: {error}", red=True)


def _postgres_schema_url(schema: str) -> str:
    """The test's schema first on the search path; every connection named after the schema, so the
    test's end can count and close the ones still open."""
    assert POSTGRES_URL is not None
    return _with_options(
        POSTGRES_URL,
        options=f"-csearch_path%3D{schema}%20-csynchronous_commit%3Doff",
        application_name=schema,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the PostgreSQL of TEST_DATABASE_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'playbook.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it to the machine's PostgreSQL)")
    server = shared_server()
    schema = f"{RUN_PREFIX}{uuid.uuid4().hex[:12]}"
    server.create_schema(schema)
    left_open = 0
    try:
        yield _postgres_schema_url(schema)
        dispose_engines()
        left_open = server.wait_closed(schema)
    finally:
        server.drop_later(schema)
    if left_open:
        pytest.fail(
            f"{left_open} PostgreSQL connection(s) of this test were still open {CLOSE_WITHIN_SECONDS:.0f} s "
            "after it ended: stop the threads and processes it started"
        )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'playbook.db'}"


# ------------------------------------------------------------------------- the migrations, run once

_sqlite_template: Path | None = None
# (statement, parameters, executemany, without parameters) as the migrations executed them.
_Statement = tuple[str, Any, bool, bool]
_postgres_statements: list[_Statement] | None = None


def _migrated_sqlite_file(factory: pytest.TempPathFactory) -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        path = factory.mktemp("migrated") / "playbook.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url, poolclass=NullPool)
        _own.add(engine)
        upgrade(url, engine)
        checkpoint(engine)  # everything in the one file (the write-ahead log emptied): a copy is all of it
        engine.dispose()
        _sqlite_template = path
    return _sqlite_template


def postgres_migration_statements() -> list[_Statement]:
    """What the migrations execute on an empty PostgreSQL schema, recorded once (in a schema of this
    run's, dropped afterwards)."""
    global _postgres_statements
    if _postgres_statements is None:
        server = shared_server()
        schema = f"{RUN_PREFIX}migrations"
        server.create_schema(schema)
        url = _postgres_schema_url(schema)
        engine = make_engine(url, pool_size=1, max_overflow=0)
        _own.add(engine)
        recorded: list[_Statement] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _record(
            _connection: Connection, _cursor: Any, statement: str, parameters: Any, context: Any, many: bool
        ) -> None:
            bare = not parameters and context is not None and context.no_parameters
            recorded.append((statement, parameters, many, bare))

        try:
            upgrade(url, engine)
        finally:
            engine.dispose()
            server.drop_later(schema)
        _postgres_statements = recorded
    return _postgres_statements


def replay_migrations(url: str) -> None:
    """Execute the recorded migration statements on the PostgreSQL schema of ``url`` (its search path
    names it, so the unqualified statements create everything there), in one transaction."""
    engine = make_engine(url, pool_size=1, max_overflow=0)
    _own.add(engine)
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            for statement, parameters, many, bare in postgres_migration_statements():
                if many:
                    cursor.executemany(statement, parameters)
                elif bare:
                    cursor.execute(statement)
                else:
                    cursor.execute(statement, parameters)
            cursor.close()
            connection.commit()
        finally:
            connection.close()
    finally:
        engine.dispose()


@pytest.fixture
def migrated_database_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test's database (the same as ``database_url``) with every migration applied."""
    if database_url.startswith("sqlite:///"):
        shutil.copyfile(_migrated_sqlite_file(tmp_path_factory), database_url.removeprefix("sqlite:///"))
    else:
        replay_migrations(database_url)
    return database_url

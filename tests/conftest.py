"""Shared fixtures: databases (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), the local Slack
stand-in, and the real Bolt app served over HTTP in a thread; and the Hypothesis profiles.

Hypothesis runs derandomized by default (profile ``ci``): the same examples on every run, so the suite
passes or fails the same way each time, and no deadline (a loaded 2-core machine is slow, never
wrong). ``HYPOTHESIS_PROFILE=explore`` runs randomized, to look for new failing examples; pin each one
it finds with ``@example`` on the test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from storage.db import make_engine, normalise_url

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")

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


def _postgres_schema_url(base: str, schema: str) -> str:
    """The test's schema first on the search path; every connection named after the schema, so the
    test's end can close the ones still open."""
    separator = "&" if "?" in base else "?"
    return f"{normalise_url(base)}{separator}options=-csearch_path%3D{schema}&application_name={schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema in the PostgreSQL of TEST_DATABASE_URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'playbook.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("TEST_DATABASE_URL is not set (CI sets it to the machine's PostgreSQL)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _postgres_schema_url(POSTGRES_URL, schema)
    finally:
        with admin.begin() as connection:
            # Connections the test's engines still hold (pools nobody disposed, a killed process's)
            # count against the server's max_connections, which every test run on the machine shares:
            # close them, so that a busy machine never sees "too many clients".
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": schema},
            )
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'playbook.db'}"

"""The suite's own care for the shared PostgreSQL server (see ``tests/conftest.py``): a connection a test
leaves open is seen, disposing the test's engines closes it, this run's names never meet another run's,
and a database filled from the migrations' recording is the one the migrations make."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, text

from storage.db import make_engine, upgrade
from tests.conftest import RUN_PREFIX, dispose_engines, run_connections, shared_server

ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _name(database_url: str) -> str:
    (name,) = parse_qs(urlsplit(database_url).query)["application_name"]
    return name


@ON_POSTGRESQL
def test_a_connection_left_open_is_seen_and_disposing_the_engines_closes_it(database_url: str) -> None:
    name = _name(database_url)
    assert name.startswith(RUN_PREFIX)
    admin = shared_server().admin
    engine = make_engine(database_url)
    with engine.connect():
        assert run_connections(admin, name) == 1
    # Back in the pool, but still open: what the end of a test closes.
    assert run_connections(admin, name) == 1
    assert run_connections(admin) >= 1  # the whole run's count includes it
    dispose_engines()
    # Closed by the client at once; the server's backend exits a moment later (longer on a loaded
    # machine), as the end of every test allows. ``engine`` is still referred to here, so only the
    # disposal can close it.
    assert shared_server().wait_closed(name) == 0


def test_each_run_names_its_schemas_apart_from_other_runs() -> None:
    # ``t_`` and eight hex digits, then ``_``: two runs at once (or one's leftovers) never share a name.
    assert RUN_PREFIX.startswith("t_") and RUN_PREFIX.endswith("_") and len(RUN_PREFIX) == 11
    int(RUN_PREFIX[2:10], 16)


def _shape(engine: Engine) -> list[tuple[str, ...]]:
    """Tables, columns, indexes, constraints and the migration version, as PostgreSQL describes them
    (the schema's own name left out)."""
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        rows = connection.execute(
            text(
                "SELECT 'column', table_name, column_name, data_type, coalesce(column_default, ''), "
                "is_nullable "
                "FROM information_schema.columns WHERE table_schema = :s "
                "UNION ALL SELECT 'index', tablename, indexname, indexdef, '', '' "
                "FROM pg_indexes WHERE schemaname = :s "
                "UNION ALL SELECT 'constraint', conrelid::regclass::text, conname, "
                "pg_get_constraintdef(oid), '', '' FROM pg_constraint "
                "WHERE connamespace = (SELECT oid FROM pg_namespace WHERE nspname = :s) "
                "UNION ALL SELECT 'version', version_num, '', '', '', '' FROM alembic_version"
            ),
            {"s": schema},
        ).all()
    return sorted(tuple(str(value).replace(schema, "S") for value in row) for row in rows)


@ON_POSTGRESQL
def test_the_replayed_migrations_make_the_same_schema_as_migrating(migrated_database_url: str) -> None:
    replayed = make_engine(migrated_database_url)
    other = f"{RUN_PREFIX}compare"
    server = shared_server()
    server.create_schema(other)
    try:
        url = migrated_database_url.replace(_name(migrated_database_url), other)
        migrated = make_engine(url)
        upgrade(url, migrated)
        assert _shape(replayed) == _shape(migrated)
        assert len(_shape(migrated)) > 100  # tables, columns and indexes were compared, not nothing
    finally:
        dispose_engines()
        server.drop_later(other)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_copied_sqlite_database_is_the_migrated_one(migrated_database_url: str) -> None:
    engine = make_engine(migrated_database_url)
    with engine.connect() as connection:
        listed = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
        tables = {row[0] for row in listed}
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert {"sessions", "answers", "alembic_version"} <= tables and version

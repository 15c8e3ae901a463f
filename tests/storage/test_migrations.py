"""The migrations and the models agree: after `upgrade heads` Alembic finds nothing to autogenerate.
Catches a model change that forgot its migration (or the reverse), on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import ensure_schema, make_engine
from storage.models import Base

# Tables owned by libraries (slack_sdk's OAuth stores, prefixed slack_) are created by our migrations but
# not mapped by our models.
LIBRARY_TABLE_PREFIXES = ("slack_", "alembic_version")


def _relevant(diff: object) -> bool:
    text = repr(diff)
    return not any(f"'{prefix}" in text or f"<{prefix}" in text for prefix in LIBRARY_TABLE_PREFIXES)


def test_models_match_migrations(database_url: str) -> None:
    engine = make_engine(database_url)
    ensure_schema(database_url, engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = [d for d in compare_metadata(context, Base.metadata) if _relevant(d)]
    assert differences == []

"""Proposals stored before the similar cases were kept by id lose the line that quoted other sessions'
root causes when the database is upgraded; everything else in them, and every other answer, stays."""

from __future__ import annotations

from alembic import command
from sqlalchemy import column, insert, select, table

from storage.db import alembic_config, make_engine, make_session_factory, upgrade
from storage.models import AnswerVersion, Session

QUOTING = (
    'Most similar: "Fernhill Systems won\'t change the portal" (confirmed in this workspace: x; 40% alike).'
)
REASONS = [
    "Root cause: the answer the team confirmed (why 3).",
    "Scope product: …",
    QUOTING,
    "Confidence 40%.",
]


def test_the_upgrade_removes_the_quoting_line_and_keeps_the_rest(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(database_url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
        command.upgrade(config, "0009")
    proposed = {"scope": "product", "category": "data", "confidence": 0.4, "reasons": REASONS}
    legacy = {
        "scope": "product",
        "category": "data",
        "status": "confirmed",
        "text": "x",
        "proposed": proposed,
    }
    with make_session_factory(engine)() as orm:
        # The workspace as its table stood at this revision (the model has columns added since).
        workspaces = table("workspaces", column("id"), column("settings"), column("created_at"))
        orm.execute(insert(workspaces).values(id="T1", settings="{}", created_at="2026-11-01 00:00:00"))
        session = Session(workspace_id="T1", template_id="five-whys", facilitator_id="U1", channel_id="C1")
        orm.add(session)
        orm.flush()
        for key, value in (("classification", legacy), ("whys.1.answer", QUOTING)):
            orm.add(AnswerVersion(session_id=session.id, key=key, version=1, value=value, author_id="U1"))
        orm.commit()

    upgrade(database_url, engine)

    with make_session_factory(engine)() as orm:
        stored = {row.key: row.value for row in orm.scalars(select(AnswerVersion))}
    assert stored["classification"]["proposed"]["reasons"] == [r for r in REASONS if r != QUOTING]
    assert {k: v for k, v in stored["classification"].items() if k != "proposed"} == {
        k: v for k, v in legacy.items() if k != "proposed"
    }
    assert stored["whys.1.answer"] == QUOTING  # a person's own answer is never touched
    engine.dispose()

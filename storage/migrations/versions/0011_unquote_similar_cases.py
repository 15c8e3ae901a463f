"""Stored classification proposals no longer quote other sessions' root causes

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

A proposal stored with a decided classification (``answers.value["proposed"]``) used to keep its
reasons as shown, including the line quoting the most similar known cases: other sessions' root
causes, some from private channels, copied into this session's answer (and so into its exports and
the decider's data). The proposal now keeps the cases by id and the reader's view quotes only what
they may see; this removes the quoting line from proposals stored before. Nothing is put back on
downgrade: the words were copies, and the sessions they came from still hold them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# How the quoting line began (flows.classification.SIMILAR_CASES_PREFIX, as it was written then).
QUOTING_LINE = "Most similar: "

answers = sa.table(
    "answers",
    sa.column("id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("value", sa.JSON),
)


def without_quoted_cases(value: Any) -> Any:
    """``value`` with its proposal's quoting line removed (the same value when it has none)."""
    if not isinstance(value, dict) or not isinstance(value.get("proposed"), dict):
        return value
    reasons = value["proposed"].get("reasons")
    if not isinstance(reasons, list):
        return value
    kept = [r for r in reasons if not (isinstance(r, str) and r.startswith(QUOTING_LINE))]
    if len(kept) == len(reasons):
        return value
    return {**value, "proposed": {**value["proposed"], "reasons": kept}}


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(answers.c.id, answers.c.value).where(answers.c.key.like("%classification%"))
    ).all()
    for answer_id, value in rows:
        cleaned = without_quoted_cases(value)
        if cleaned is not value:
            bind.execute(answers.update().where(answers.c.id == answer_id).values(value=cleaned))


def downgrade() -> None:
    pass

"""Answers found newest first by their key through an index

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

Learning from decided classifications (the newest 200) and "seen elsewhere" (the newest 500 confirmed
root causes) grouped every answer of every session of the workspace to find each one's latest
version before taking the newest few: the work of every classification proposal and confirmed root
cause grew with the workspace's history. ``(key, created_at, id)`` lets them walk one key's answers
newest first and stop once they have enough.
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_answers_key_newest", "answers", ["key", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_answers_key_newest", table_name="answers")

"""answer_allowances: the per-person answer limit counted in the database, shared by every process;
and an index on outbox.thread_of (each sent message updates the messages waiting for its thread)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_allowances",
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "user_id"),
    )
    op.create_index("ix_outbox_thread_of", "outbox", ["thread_of"])


def downgrade() -> None:
    op.drop_index("ix_outbox_thread_of", table_name="outbox")
    op.drop_table("answer_allowances")

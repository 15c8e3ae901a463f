"""Each person's chosen language

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30

One row per person who has chosen a language in a workspace; the workspace's default language is a
key of ``workspaces.settings`` (JSON) and needs no column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_settings",
        sa.Column(
            "workspace_id",
            sa.String(length=32),
            sa.ForeignKey("workspaces.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.String(length=32), primary_key=True),
        sa.Column("locale", sa.String(length=8)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("person_settings")

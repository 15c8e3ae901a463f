"""A count of a workspace's erasures and purges

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

Learning from a workspace's decided classifications reads up to 200 sessions' answers; a session's
proposal is built more than once (when its question is asked, when a reply is checked against it), and
the examples it learns from are the same each time (decisions made before the session began), unless
something was erased or purged meanwhile. ``erasures`` counts those, bumped in the transaction that
erases or purges, so that what a process keeps is kept against the count it was read with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("erasures", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("erasures")

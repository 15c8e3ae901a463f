"""Check-ins found by their intervention and status through an index

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

Marking a check-in sent reads its intervention's sent check-ins (is it the third unanswered?) and its
pending one (is the next already queued?). With only ``intervention_id`` and ``(status, due_at)``
indexed, the second read walked every pending check-in of every workspace, once per check-in sent:
the dispatcher slowed as check-ins piled up. ``(intervention_id, status, due_at)`` answers both.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_checkins_intervention_status", "checkins", ["intervention_id", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_checkins_intervention_status", table_name="checkins")

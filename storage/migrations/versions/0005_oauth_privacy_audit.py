"""OAuth installation and state stores, audit log, answers pending a redact-or-keep choice

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-27

The three ``slack_*`` tables are the ones slack_sdk's ``SQLAlchemyInstallationStore`` and
``SQLAlchemyOAuthStateStore`` use (same names and columns), with two deliberate differences: token
columns are wider, because they hold Fernet ciphertext (about 1.4 x the token plus 80 characters; a
rotating token is already ~150), and the datetimes stay naive UTC because slack_sdk writes them so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

TOKEN = sa.String(length=1000)


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32)),
        sa.Column("enterprise_name", sa.String(length=200)),
        sa.Column("enterprise_url", sa.String(length=200)),
        sa.Column("team_id", sa.String(length=32)),
        sa.Column("team_name", sa.String(length=200)),
        sa.Column("bot_token", TOKEN),
        sa.Column("bot_id", sa.String(length=32)),
        sa.Column("bot_user_id", sa.String(length=32)),
        sa.Column("bot_scopes", sa.String(length=1000)),
        sa.Column("bot_refresh_token", TOKEN),
        sa.Column("bot_token_expires_at", sa.DateTime()),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("user_token", TOKEN),
        sa.Column("user_scopes", sa.String(length=1000)),
        sa.Column("user_refresh_token", TOKEN),
        sa.Column("user_token_expires_at", sa.DateTime()),
        sa.Column("incoming_webhook_url", sa.String(length=1000)),
        sa.Column("incoming_webhook_channel", sa.String(length=200)),
        sa.Column("incoming_webhook_channel_id", sa.String(length=200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(length=200)),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("token_type", sa.String(length=32)),
        sa.Column("installed_at", sa.DateTime(), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32)),
        sa.Column("enterprise_name", sa.String(length=200)),
        sa.Column("team_id", sa.String(length=32)),
        sa.Column("team_name", sa.String(length=200)),
        sa.Column("bot_token", TOKEN),
        sa.Column("bot_id", sa.String(length=32)),
        sa.Column("bot_user_id", sa.String(length=32)),
        sa.Column("bot_scopes", sa.String(length=1000)),
        sa.Column("bot_refresh_token", TOKEN),
        sa.Column("bot_token_expires_at", sa.DateTime()),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("installed_at", sa.DateTime(), nullable=False, server_default=sa.func.now()),
    )
    op.create_index(
        "slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"]
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(length=200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_audit_log_workspace", "audit_log", ["workspace_id", "created_at"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])
    op.create_table(
        "pending_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "session_id", sa.Integer(), sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("prompt_key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("session_id", "user_id", name="uq_pending_answer"),
    )


def downgrade() -> None:
    op.drop_table("pending_answers")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_index("ix_audit_log_workspace", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")

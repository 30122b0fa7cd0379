"""Browser sessions kept on the server, so logout, a password change or deactivation can end
them everywhere (the cookie only names a session).

Revision ID: 0007_browser_sessions
Revises: 0006_saved_views
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_browser_sessions"
down_revision = "0006_saved_views"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plinth_browser_session",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_browser_session_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("stamp", sa.String(16), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.String(32)),
    )
    op.create_index("ix_plinth_browser_session_user", "plinth_browser_session", ["user_id"])


def downgrade() -> None:
    op.drop_table("plinth_browser_session")

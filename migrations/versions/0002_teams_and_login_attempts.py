"""Teams (for the "team" permission scope) and login attempts (for rate limiting).

Revision ID: 0002_teams_and_login_attempts
Revises: 0001_system_tables
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_teams_and_login_attempts"
down_revision = "0001_system_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plinth_team",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "plinth_team_member",
        sa.Column(
            "team_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_team.id", name="fk_team_member_team", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_team_member_user", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_plinth_team_member_user", "plinth_team_member", ["user_id"])
    op.create_table(
        "plinth_login_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index("ix_plinth_login_attempt_email", "plinth_login_attempt", ["email", "at"])
    op.create_index("ix_plinth_login_attempt_ip", "plinth_login_attempt", ["ip", "at"])


def downgrade() -> None:
    op.drop_table("plinth_login_attempt")
    op.drop_table("plinth_team_member")
    op.drop_table("plinth_team")

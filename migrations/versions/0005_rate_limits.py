"""Request counters for rate-limited public endpoints (e.g. a pack's public web form).

Revision ID: 0005_rate_limits
Revises: 0004_workflow_sla_assignment
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_rate_limits"
down_revision = "0004_workflow_sla_assignment"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plinth_rate_limit",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer, nullable=False),
    )
    op.create_index("ix_plinth_rate_limit_window_end", "plinth_rate_limit", ["window_end"])


def downgrade() -> None:
    op.drop_table("plinth_rate_limit")

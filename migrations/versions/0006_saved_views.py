"""Saved list views: a user's named filters and sort for an object's list page.

Revision ID: 0006_saved_views
Revises: 0005_rate_limits
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_saved_views"
down_revision = "0005_rate_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plinth_saved_view",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_saved_view_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("object", sa.String(63), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("query", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "object", "name", name="uq_saved_view_name"),
    )


def downgrade() -> None:
    op.drop_table("plinth_saved_view")

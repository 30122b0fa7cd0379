"""Idempotency keys: what an unsafe API request sent with an ``Idempotency-Key`` header
answered, per user and key, so a retry gets the first answer instead of doing the work again.

Revision ID: 0009_idempotency_keys
Revises: 0008_email_outbox
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_idempotency_keys"
down_revision = "0008_email_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plinth_idempotency_key",
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_idempotency_key_user", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("headers", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
        sa.Column("body", sa.LargeBinary),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_plinth_idempotency_key_created_at", "plinth_idempotency_key", ["created_at"]
    )


def downgrade() -> None:
    op.drop_table("plinth_idempotency_key")

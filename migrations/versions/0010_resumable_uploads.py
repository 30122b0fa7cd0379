"""Resumable uploads: a file sent in chunks, per user, that becomes a file once its last
byte arrives (``plinth.runtime.uploads``).

Revision ID: 0010_resumable_uploads
Revises: 0009_idempotency_keys
Create Date: 2026-12-17
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_resumable_uploads"
down_revision = "0009_idempotency_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plinth_upload",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_upload_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("received", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("file_id", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_plinth_upload_user_id", "plinth_upload", ["user_id"])
    op.create_index("ix_plinth_upload_expires_at", "plinth_upload", ["expires_at"])


def downgrade() -> None:
    op.drop_table("plinth_upload")

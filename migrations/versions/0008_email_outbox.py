"""The local e-mail outbox: without an SMTP server, e-mails are kept here for admins to read
(``/admin/emails``) instead of failing and being retried.

Revision ID: 0008_email_outbox
Revises: 0007_browser_sessions
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_email_outbox"
down_revision = "0007_browser_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plinth_email_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("job_key", sa.String(255), nullable=False, unique=True),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("plinth_email_outbox")

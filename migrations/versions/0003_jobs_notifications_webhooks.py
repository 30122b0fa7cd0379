"""Jobs (a transactional outbox), in-app notifications and webhook deliveries.

Revision ID: 0003_jobs_notifications_webhooks
Revises: 0002_teams_and_login_attempts
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_jobs_notifications_webhooks"
down_revision = "0002_teams_and_login_attempts"
branch_labels = None
depends_on = None


def _pk():
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)


def _json(name, nullable=True):
    return sa.Column(
        name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "plinth_job",
        _pk(),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        _json("payload"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="5"),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_plinth_job_due", "plinth_job", ["status", "run_after"])
    op.create_table(
        "plinth_notification",
        _pk(),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_notification_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("object", sa.String(63)),
        sa.Column("record_id", sa.BigInteger),
        sa.Column("source", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_plinth_notification_inbox", "plinth_notification", ["user_id", "read_at", "id"]
    )
    op.create_table(
        "plinth_webhook_delivery",
        _pk(),
        sa.Column("job_key", sa.String(255), nullable=False),
        sa.Column("automation", sa.String(63), nullable=False, server_default=""),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_plinth_webhook_delivery_job", "plinth_webhook_delivery", ["job_key", "id"])


def downgrade() -> None:
    op.drop_table("plinth_webhook_delivery")
    op.drop_table("plinth_notification")
    op.drop_table("plinth_job")

"""Notification queues: what kind of notification each one is (the notify action's
``queue``, else the automation that wrote it, ``approval`` for approvals), for the inbox's
queue filter, and its title and body in each language the action's labels have.

Revision ID: 0012_notification_queues
Revises: 0011_transition_occurred_at
Create Date: 2026-12-18
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_notification_queues"
down_revision = "0011_transition_occurred_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plinth_notification", sa.Column("queue", sa.String(127), nullable=True))
    op.add_column(
        "plinth_notification",
        sa.Column("texts", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
    )
    op.create_index(
        "ix_plinth_notification_queue", "plinth_notification", ["user_id", "queue", "id"]
    )
    # The queue of what is already there, from its source ("automation:<name>", "approval:<id>")
    op.execute(
        "UPDATE plinth_notification SET queue = substr(source, 12) WHERE source LIKE 'automation:%'"
    )
    op.execute("UPDATE plinth_notification SET queue = 'approval' WHERE source LIKE 'approval:%'")


def downgrade() -> None:
    op.drop_index("ix_plinth_notification_queue", table_name="plinth_notification")
    with op.batch_alter_table("plinth_notification") as batch:  # SQLite rebuilds the table
        batch.drop_column("texts")
        batch.drop_column("queue")

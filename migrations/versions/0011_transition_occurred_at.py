"""When a workflow step happened, beside when the server recorded it: a phone that did the
step offline sends its own time (``occurred_at``) when it replays the step later.

Revision ID: 0011_transition_occurred_at
Revises: 0010_resumable_uploads
Create Date: 2026-12-17
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_transition_occurred_at"
down_revision = "0010_resumable_uploads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "plinth_transition", sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("plinth_transition") as batch:  # SQLite rebuilds the table
        batch.drop_column("occurred_at")

"""Workflow transitions and approvals, SLA clocks, assignment decisions and claim pools.

Revision ID: 0004_workflow_sla_assignment
Revises: 0003_jobs_notifications_webhooks
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_workflow_sla_assignment"
down_revision = "0003_jobs_notifications_webhooks"
branch_labels = None
depends_on = None


def _pk():
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)


def _at(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _name(name, length=63, nullable=False):
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plinth_transition",
        _pk(),
        _name("object"),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        _name("workflow"),
        _name("transition", nullable=True),
        _name("from_state", 64, nullable=True),
        _name("to_state", 64),
        sa.Column("actor_id", sa.BigInteger),
        _at("at", nullable=False),
        sa.Column("comment", sa.Text),
        _at("left_at"),
        _at("dwell_due_at"),
        _at("dwell_fired_at"),
    )
    op.create_index(
        "ix_plinth_transition_record", "plinth_transition", ["object", "record_id", "id"]
    )
    op.create_index("ix_plinth_transition_dwell", "plinth_transition", ["dwell_due_at"])

    op.create_table(
        "plinth_approval",
        _pk(),
        _name("object"),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        _name("workflow"),
        _name("transition"),
        _name("from_state", 64),
        _name("pending_state", 64),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("levels", sa.Integer, nullable=False),
        _name("approver_role", nullable=True),
        sa.Column("approver_user_id", sa.BigInteger),
        _name("status", 16),
        sa.Column("submitted_by", sa.BigInteger),
        _at("submitted_at", nullable=False),
        _at("decided_at"),
        sa.Column("comment", sa.Text),
    )
    op.create_index("ix_plinth_approval_record", "plinth_approval", ["object", "record_id"])
    op.create_index("ix_plinth_approval_user", "plinth_approval", ["status", "approver_user_id"])
    op.create_index("ix_plinth_approval_role", "plinth_approval", ["status", "approver_role"])

    op.create_table(
        "plinth_approval_step",
        _pk(),
        sa.Column(
            "approval_id",
            sa.BigInteger,
            sa.ForeignKey(
                "plinth_approval.id", name="fk_approval_step_approval", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("level", sa.Integer, nullable=False),
        _name("decision", 16),
        sa.Column("actor_id", sa.BigInteger),
        sa.Column("comment", sa.Text),
        _at("at", nullable=False),
    )
    op.create_index("ix_plinth_approval_step_approval", "plinth_approval_step", ["approval_id"])

    op.create_table(
        "plinth_sla_clock",
        _pk(),
        _name("object"),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        _name("policy"),
        _name("target"),
        _name("priority", 64, nullable=True),
        _name("status", 16),
        sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("duration_seconds", sa.Integer, nullable=False),
        _at("started_at", nullable=False),
        _at("due_at"),
        _at("warn_at"),
        sa.Column("elapsed_seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("paused_seconds", sa.Float, nullable=False, server_default="0"),
        _at("last_change_at", nullable=False),
        _at("paused_since"),
        _at("stopped_at"),
        _at("breached_at"),
        _at("warning_fired_at"),
        _at("breach_fired_at"),
        _at("next_event_at"),
        sa.UniqueConstraint(
            "object", "record_id", "policy", "target", name="uq_plinth_sla_clock_target"
        ),
    )
    op.create_index("ix_plinth_sla_clock_next_event", "plinth_sla_clock", ["next_event_at"])
    op.create_index("ix_plinth_sla_clock_breached", "plinth_sla_clock", ["object", "breached_at"])

    op.create_table(
        "plinth_assignment",
        _pk(),
        _name("object"),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        _name("field"),
        _name("rule", nullable=True),
        _name("method", 32),
        sa.Column("assignee_id", sa.BigInteger),
        sa.Column("actor_id", sa.BigInteger),
        _at("at", nullable=False),
        sa.Column("detail", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    )
    op.create_index(
        "ix_plinth_assignment_record", "plinth_assignment", ["object", "record_id", "id"]
    )

    op.create_table(
        "plinth_pool",
        _pk(),
        _name("object"),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        _name("rule"),
        _name("field"),
        _at("created_at", nullable=False),
        sa.UniqueConstraint("object", "record_id", name="uq_plinth_pool_record"),
    )
    op.create_table(
        "plinth_pool_member",
        sa.Column(
            "pool_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_pool.id", name="fk_pool_member_pool", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("candidate_id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.BigInteger),
    )
    op.create_index("ix_plinth_pool_member_user", "plinth_pool_member", ["user_id"])


def downgrade() -> None:
    for table in (
        "plinth_pool_member",
        "plinth_pool",
        "plinth_assignment",
        "plinth_sla_clock",
        "plinth_approval_step",
        "plinth_approval",
        "plinth_transition",
    ):
        op.drop_table(table)

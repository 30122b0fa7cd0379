"""Engine system tables: users, roles, tokens, audit, files, metadata, revisions, history.

Revision ID: 0001_system_tables
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_system_tables"
down_revision = None
branch_labels = None
depends_on = None


def _pk():
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)


def _ts(name, nullable=False):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name, nullable=True):
    return sa.Column(
        name, sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "plinth_user",
        _pk(),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column(
            "manager_id", sa.BigInteger, sa.ForeignKey("plinth_user.id", name="fk_user_manager")
        ),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("last_login_at", nullable=True),
    )
    op.create_table(
        "plinth_user_role",
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_user_role_user", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("role", sa.String(63), primary_key=True),
    )
    op.create_table(
        "plinth_api_token",
        _pk(),
        sa.Column(
            "user_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_user.id", name="fk_api_token_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False, server_default=""),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        _ts("created_at"),
        _ts("expires_at", nullable=True),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
    )
    op.create_index("ix_plinth_api_token_user_id", "plinth_api_token", ["user_id"])
    op.create_table(
        "plinth_audit",
        _pk(),
        _ts("at"),
        sa.Column("actor_id", sa.BigInteger),
        sa.Column("actor_label", sa.String(254), nullable=False, server_default=""),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("target", sa.String(255), nullable=False, server_default=""),
        _json("detail"),
        sa.Column("ip", sa.String(64)),
    )
    op.create_index("ix_plinth_audit_at", "plinth_audit", ["at"])
    op.create_index("ix_plinth_audit_event", "plinth_audit", ["event", "at"])
    op.create_table(
        "plinth_file",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        _ts("created_at"),
        sa.Column("created_by", sa.BigInteger),
    )
    op.create_index("ix_plinth_file_sha256", "plinth_file", ["sha256"])
    op.create_table(
        "plinth_revision",
        _pk(),
        _ts("created_at"),
        sa.Column("author_id", sa.BigInteger),
        sa.Column("author_label", sa.String(254), nullable=False, server_default=""),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("pack", sa.String(63)),
        _json("changes", nullable=False),
    )
    op.create_table(
        "plinth_metadata",
        _pk(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("pack", sa.String(63)),
        _json("document", nullable=False),
        sa.Column(
            "revision_id",
            sa.BigInteger,
            sa.ForeignKey("plinth_revision.id", name="fk_metadata_revision"),
            nullable=False,
        ),
        _ts("updated_at"),
        sa.UniqueConstraint("kind", "name", name="uq_plinth_metadata_kind_name"),
    )
    op.create_table(
        "plinth_history",
        _pk(),
        sa.Column("object", sa.String(63), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("field", sa.String(63)),
        _json("old_value"),
        _json("new_value"),
        sa.Column("changed_by", sa.BigInteger),
        _ts("changed_at"),
    )
    op.create_index("ix_plinth_history_record", "plinth_history", ["object", "record_id", "id"])
    op.create_table(
        "plinth_sequence",
        sa.Column("object", sa.String(63), primary_key=True),
        sa.Column("field", sa.String(63), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "plinth_archive",
        _pk(),
        sa.Column("revision_id", sa.BigInteger),
        sa.Column("object", sa.String(63), nullable=False),
        sa.Column("column_name", sa.String(63), nullable=False),
        sa.Column("record_id", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Text),
        _ts("archived_at"),
    )
    op.create_index(
        "ix_plinth_archive_object", "plinth_archive", ["object", "column_name", "record_id"]
    )
    op.create_table(
        "plinth_archived_table",
        _pk(),
        sa.Column("revision_id", sa.BigInteger),
        sa.Column("object", sa.String(63), nullable=False),
        sa.Column("table_name", sa.String(63), nullable=False, unique=True),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        _ts("archived_at"),
    )
    op.create_table(
        "plinth_pack",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        _json("manifest", nullable=False),
        _ts("installed_at"),
        _ts("updated_at"),
    )
    op.create_table(
        "plinth_setting",
        sa.Column("key", sa.String(128), primary_key=True),
        _json("value"),
        _ts("updated_at"),
    )


def downgrade() -> None:
    for table in (
        "plinth_setting",
        "plinth_pack",
        "plinth_archived_table",
        "plinth_archive",
        "plinth_sequence",
        "plinth_history",
        "plinth_metadata",
        "plinth_revision",
        "plinth_file",
        "plinth_audit",
        "plinth_api_token",
        "plinth_user_role",
        "plinth_user",
    ):
        op.drop_table(table)

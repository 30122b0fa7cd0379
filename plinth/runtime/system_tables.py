"""The engine's own tables (``plinth_*``), as SQLAlchemy Core.

Their DDL is owned by the alembic revisions in ``migrations/``; a test checks that the
migrated database and these definitions agree.
"""

from __future__ import annotations

import sqlalchemy as sa

from plinth.runtime.sqltypes import UTCDateTime, json_type

metadata = sa.MetaData()

user = sa.Table(
    "plinth_user",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("locale", sa.String(16), nullable=False, server_default="en"),
    sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("manager_id", sa.BigInteger, sa.ForeignKey("plinth_user.id", name="fk_user_manager")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("last_login_at", UTCDateTime),
)

user_role = sa.Table(
    "plinth_user_role",
    metadata,
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_user.id", name="fk_user_role_user", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("role", sa.String(63), primary_key=True),
)

api_token = sa.Table(
    "plinth_api_token",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_user.id", name="fk_api_token_user", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked_at", UTCDateTime),
    sa.Index("ix_plinth_api_token_user_id", "user_id"),
)

audit = sa.Table(
    "plinth_audit",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor_id", sa.BigInteger),
    sa.Column("actor_label", sa.String(254), nullable=False, server_default=""),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255), nullable=False, server_default=""),
    sa.Column("detail", json_type()),
    sa.Column("ip", sa.String(64)),
    sa.Index("ix_plinth_audit_at", "at"),
    sa.Index("ix_plinth_audit_event", "event", "at"),
)

file = sa.Table(
    "plinth_file",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content_type", sa.String(127), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.BigInteger),
    sa.Index("ix_plinth_file_sha256", "sha256"),
)

revision = sa.Table(
    "plinth_revision",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("author_id", sa.BigInteger),
    sa.Column("author_label", sa.String(254), nullable=False, server_default=""),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("pack", sa.String(63)),
    sa.Column("changes", json_type(), nullable=False),
)

metadata_document = sa.Table(
    "plinth_metadata",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("name", sa.String(63), nullable=False),
    sa.Column("pack", sa.String(63)),
    sa.Column("document", json_type(), nullable=False),
    sa.Column(
        "revision_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_revision.id", name="fk_metadata_revision"),
        nullable=False,
    ),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("kind", "name", name="uq_plinth_metadata_kind_name"),
)

history = sa.Table(
    "plinth_history",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("field", sa.String(63)),
    sa.Column("old_value", json_type()),
    sa.Column("new_value", json_type()),
    sa.Column("changed_by", sa.BigInteger),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Index("ix_plinth_history_record", "object", "record_id", "id"),
)

sequence = sa.Table(
    "plinth_sequence",
    metadata,
    sa.Column("object", sa.String(63), primary_key=True),
    sa.Column("field", sa.String(63), primary_key=True),
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

archive = sa.Table(
    "plinth_archive",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("revision_id", sa.BigInteger),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("column_name", sa.String(63), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("archived_at", UTCDateTime, nullable=False),
    sa.Index("ix_plinth_archive_object", "object", "column_name", "record_id"),
)

archived_table = sa.Table(
    "plinth_archived_table",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("revision_id", sa.BigInteger),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("table_name", sa.String(63), nullable=False, unique=True),
    sa.Column("row_count", sa.BigInteger, nullable=False),
    sa.Column("archived_at", UTCDateTime, nullable=False),
)

pack = sa.Table(
    "plinth_pack",
    metadata,
    sa.Column("name", sa.String(63), primary_key=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Column("manifest", json_type(), nullable=False),
    sa.Column("installed_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

setting = sa.Table(
    "plinth_setting",
    metadata,
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("value", json_type()),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

team = sa.Table(
    "plinth_team",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("name", sa.String(63), nullable=False, unique=True),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

team_member = sa.Table(
    "plinth_team_member",
    metadata,
    sa.Column(
        "team_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_team.id", name="fk_team_member_team", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_user.id", name="fk_team_member_user", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Index("ix_plinth_team_member_user", "user_id"),
)

login_attempt = sa.Table(
    "plinth_login_attempt",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Index("ix_plinth_login_attempt_email", "email", "at"),
    sa.Index("ix_plinth_login_attempt_ip", "ip", "at"),
)

rate_limit = sa.Table(
    "plinth_rate_limit",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("window_end", UTCDateTime, nullable=False),
    sa.Column("hits", sa.Integer, nullable=False),
    sa.Index("ix_plinth_rate_limit_window_end", "window_end"),
)

saved_view = sa.Table(
    "plinth_saved_view",
    metadata,
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
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "object", "name", name="uq_saved_view_name"),
)

browser_session = sa.Table(
    "plinth_browser_session",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_user.id", name="fk_browser_session_user", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("stamp", sa.String(16), nullable=False),  # of the password hash at login
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_agent", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime),
    sa.Column("end_reason", sa.String(32)),
    sa.Index("ix_plinth_browser_session_user", "user_id"),
)

job = sa.Table(
    "plinth_job",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("payload", json_type()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="5"),
    sa.Column("run_after", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Index("ix_plinth_job_due", "status", "run_after"),
)

notification = sa.Table(
    "plinth_notification",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
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
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("read_at", UTCDateTime),
    # What kind of notification this is, for the inbox's queues: a notify action's `queue`,
    # else the automation (or workflow step) that wrote it, `approval` for approvals.
    sa.Column("queue", sa.String(127)),
    # The title and body in each language the action's labels have: {locale: {title, body}}
    # (title and body above hold the English, or the only, text).
    sa.Column("texts", json_type()),
    sa.Index("ix_plinth_notification_inbox", "user_id", "read_at", "id"),
    sa.Index("ix_plinth_notification_queue", "user_id", "queue", "id"),
)

webhook_delivery = sa.Table(
    "plinth_webhook_delivery",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("job_key", sa.String(255), nullable=False),
    sa.Column("automation", sa.String(63), nullable=False, server_default=""),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("duration_ms", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_plinth_webhook_delivery_job", "job_key", "id"),
)

# E-mails kept instead of sent while no SMTP server is configured (PLINTH_SMTP_HOST), for
# admins to read at /admin/emails; one row per e-mail job.
email_outbox = sa.Table(
    "plinth_email_outbox",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("job_key", sa.String(255), nullable=False, unique=True),
    sa.Column("recipient", sa.String(254), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# What an unsafe API request sent with an ``Idempotency-Key`` header answered, per user and
# key (``plinth.runtime.idempotency``): the row is written in the request's own transaction,
# the answer once the response exists; ``status`` is NULL until then.
idempotency_key = sa.Table(
    "plinth_idempotency_key",
    metadata,
    sa.Column(
        "user_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_user.id", name="fk_idempotency_key_user", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),  # sha256 of method, path, body
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.Integer),
    sa.Column("headers", json_type()),
    sa.Column("body", sa.LargeBinary),
    sa.Column("answered_at", UTCDateTime),
    sa.Index("ix_plinth_idempotency_key_created_at", "created_at"),
)

# A resumable upload (``plinth.runtime.uploads``): its bytes arrive in chunks into a part
# file beside the file store; ``received`` counts them, and the finished upload names the
# file it became. Rows (and part files) go when ``expires_at`` passes.
upload = sa.Table(
    "plinth_upload",
    metadata,
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
    sa.Column("sha256", sa.String(64)),  # what the client said the bytes hash to
    sa.Column("file_id", sa.String(32)),  # the file it became, once complete
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Index("ix_plinth_upload_user_id", "user_id"),
    sa.Index("ix_plinth_upload_expires_at", "expires_at"),
)


def _id_column() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)


transition = sa.Table(
    "plinth_transition",
    metadata,
    _id_column(),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("workflow", sa.String(63), nullable=False),
    sa.Column("transition", sa.String(63)),  # None: the record was created in to_state
    sa.Column("from_state", sa.String(64)),
    sa.Column("to_state", sa.String(64), nullable=False),
    sa.Column("actor_id", sa.BigInteger),
    sa.Column("at", UTCDateTime, nullable=False),  # when the server recorded the step
    sa.Column("occurred_at", UTCDateTime),  # when it happened (None before 0011: at)
    sa.Column("comment", sa.Text),
    sa.Column("left_at", UTCDateTime),
    sa.Column("dwell_due_at", UTCDateTime),
    sa.Column("dwell_fired_at", UTCDateTime),
    sa.Index("ix_plinth_transition_record", "object", "record_id", "id"),
    sa.Index("ix_plinth_transition_dwell", "dwell_due_at"),
)

approval = sa.Table(
    "plinth_approval",
    metadata,
    _id_column(),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("workflow", sa.String(63), nullable=False),
    sa.Column("transition", sa.String(63), nullable=False),
    sa.Column("from_state", sa.String(64), nullable=False),
    sa.Column("pending_state", sa.String(64), nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("levels", sa.Integer, nullable=False),
    sa.Column("approver_role", sa.String(63)),
    sa.Column("approver_user_id", sa.BigInteger),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("submitted_by", sa.BigInteger),
    sa.Column("submitted_at", UTCDateTime, nullable=False),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("comment", sa.Text),
    sa.Index("ix_plinth_approval_record", "object", "record_id"),
    sa.Index("ix_plinth_approval_user", "status", "approver_user_id"),
    sa.Index("ix_plinth_approval_role", "status", "approver_role"),
)

approval_step = sa.Table(
    "plinth_approval_step",
    metadata,
    _id_column(),
    sa.Column(
        "approval_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_approval.id", name="fk_approval_step_approval", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.BigInteger),
    sa.Column("comment", sa.Text),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_plinth_approval_step_approval", "approval_id"),
)

sla_clock = sa.Table(
    "plinth_sla_clock",
    metadata,
    _id_column(),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("policy", sa.String(63), nullable=False),
    sa.Column("target", sa.String(63), nullable=False),
    sa.Column("priority", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("duration_seconds", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("due_at", UTCDateTime),
    sa.Column("warn_at", UTCDateTime),
    sa.Column("elapsed_seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("paused_seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("last_change_at", UTCDateTime, nullable=False),
    sa.Column("paused_since", UTCDateTime),
    sa.Column("stopped_at", UTCDateTime),
    sa.Column("breached_at", UTCDateTime),
    sa.Column("warning_fired_at", UTCDateTime),
    sa.Column("breach_fired_at", UTCDateTime),
    sa.Column("next_event_at", UTCDateTime),
    sa.UniqueConstraint(
        "object", "record_id", "policy", "target", name="uq_plinth_sla_clock_target"
    ),
    sa.Index("ix_plinth_sla_clock_next_event", "next_event_at"),
    sa.Index("ix_plinth_sla_clock_breached", "object", "breached_at"),
)

assignment = sa.Table(
    "plinth_assignment",
    metadata,
    _id_column(),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("field", sa.String(63), nullable=False),
    sa.Column("rule", sa.String(63)),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("assignee_id", sa.BigInteger),
    sa.Column("actor_id", sa.BigInteger),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("detail", json_type()),
    sa.Index("ix_plinth_assignment_record", "object", "record_id", "id"),
)

pool = sa.Table(
    "plinth_pool",
    metadata,
    _id_column(),
    sa.Column("object", sa.String(63), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("rule", sa.String(63), nullable=False),
    sa.Column("field", sa.String(63), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("object", "record_id", name="uq_plinth_pool_record"),
)

pool_member = sa.Table(
    "plinth_pool_member",
    metadata,
    sa.Column(
        "pool_id",
        sa.BigInteger,
        sa.ForeignKey("plinth_pool.id", name="fk_pool_member_pool", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("candidate_id", sa.BigInteger, primary_key=True),
    sa.Column("user_id", sa.BigInteger),
    sa.Index("ix_plinth_pool_member_user", "user_id"),
)

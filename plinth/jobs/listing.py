"""What administrators see of the outbox: pages of jobs and of webhook deliveries (each
newest first), and one job."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound
from plinth.jobs.outbox import STATUSES
from plinth.runtime import system_tables as st
from plinth.schemas import Answer, Anything, Choice, Instant, Text, Whole
from plinth.services.id_paging import IdPage, id_page


def _page(
    conn: Connection, table: sa.Table, limit: int, cursor: int | None, **equal: Any
) -> IdPage[dict[str, Any]]:
    query = sa.select(table)
    for column, value in equal.items():
        if value:
            query = query.where(table.c[column] == value)
    return id_page(conn, query, table.c.id, limit, cursor)


def jobs_page(
    conn: Connection,
    limit: int,
    cursor: int | None,
    status: str | None = None,
    name: str | None = None,
) -> IdPage[dict[str, Any]]:
    """Jobs, newest first; of one status or name when given."""
    return _page(conn, st.job, limit, cursor, status=status, name=name)


def deliveries_page(
    conn: Connection,
    limit: int,
    cursor: int | None,
    job_key: str | None = None,
    automation: str | None = None,
) -> IdPage[dict[str, Any]]:
    """Webhook delivery attempts, newest first; of one job or automation when given."""
    return _page(conn, st.webhook_delivery, limit, cursor, job_key=job_key, automation=automation)


def get_job(conn: Connection, job_id: int) -> dict[str, Any]:
    """One job (404 when there is none)."""
    row = conn.execute(sa.select(st.job).where(st.job.c.id == job_id)).mappings().first()
    if row is None:
        raise NotFound(f"no job {job_id}")
    return dict(row)


class Job(Answer):
    """A job of the outbox."""

    id = Whole(required=True)
    key = Text(required=True, metadata={"description": "the idempotency key"})
    name = Text(required=True)
    payload = Anything(allow_none=True)
    status = Choice(STATUSES, required=True)
    attempts = Whole(required=True)
    max_attempts = Whole(required=True)
    run_after = Instant(required=True)
    lease_until = Instant(allow_none=True)
    last_error = Text(allow_none=True)
    created_at = Instant(required=True)
    updated_at = Instant(required=True)
    finished_at = Instant(allow_none=True)


class WebhookDelivery(Answer):
    """One attempt to deliver a webhook."""

    id = Whole(required=True)
    job_key = Text(required=True)
    automation = Text(required=True)
    url = Text(required=True)
    attempt = Whole(required=True)
    status_code = Whole(allow_none=True)
    error = Text(allow_none=True)
    duration_ms = Whole(allow_none=True)
    created_at = Instant(required=True)

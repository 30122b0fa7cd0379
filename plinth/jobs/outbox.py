"""The job table: jobs are written in the transaction that causes them (nothing is lost if
the process dies after committing), claimed with a lease, and finished or retried."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st
from plinth.runtime.jsonable import to_jsonable

QUEUED, RUNNING, RETRY, DONE, FAILED = "queued", "running", "retry", "done", "failed"
STATUSES = (QUEUED, RUNNING, RETRY, DONE, FAILED)
MAX_KEY = 255


def job_key(name: str, key: str | None, payload: Any) -> str:
    """The idempotency key of a job: given, or one per call."""
    if key is None:
        return f"{name}:{uuid.uuid4().hex}"
    key = f"{name}:{key}"
    if len(key) > MAX_KEY:
        key = key[:200] + ":" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return key


def add(
    conn: Connection,
    name: str,
    payload: Any,
    key: str,
    max_attempts: int,
    run_after: dt.datetime,
    now: dt.datetime,
) -> bool:
    """Record a job; False when a job with this key already exists (enqueued before)."""
    dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    payload = json.loads(json.dumps(to_jsonable(payload)))
    statement = (
        dialect_insert(st.job)
        .values(
            key=key,
            name=name,
            payload=payload,
            status=QUEUED,
            attempts=0,
            max_attempts=max_attempts,
            run_after=run_after,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[st.job.c.key])
        .returning(st.job.c.id)
    )
    # RETURNING, not rowcount: rowcount is not dependable for ON CONFLICT on every driver.
    return conn.execute(statement).first() is not None


def claim(
    conn: Connection, key: str, now: dt.datetime, lease_seconds: int
) -> dict[str, Any] | None:
    """Take a due job for running (queued, retry whose time came, or running with an expired
    lease: its worker died); None when it is not ours to run."""
    j = st.job
    claimable = sa.or_(
        sa.and_(j.c.status.in_([QUEUED, RETRY]), j.c.run_after <= now),
        sa.and_(j.c.status == RUNNING, j.c.lease_until < now),
    )
    updated = (
        conn.execute(
            j.update()
            .where(j.c.key == key, claimable)
            .values(
                status=RUNNING,
                attempts=j.c.attempts + 1,
                lease_until=now + dt.timedelta(seconds=lease_seconds),
                updated_at=now,
            )
            .returning(*j.c)
        )
        .mappings()
        .first()
    )
    return dict(updated) if updated else None


def finish(conn: Connection, job_id: int, now: dt.datetime) -> None:
    conn.execute(
        st.job.update()
        .where(st.job.c.id == job_id)
        .values(status=DONE, finished_at=now, updated_at=now, lease_until=None, last_error=None)
    )


def fail(
    conn: Connection, job: dict[str, Any], error: str, retry_in: int | None, now: dt.datetime
) -> str:
    """Record a failed attempt: retry later, or give up (visible in the failed list)."""
    final = retry_in is None
    conn.execute(
        st.job.update()
        .where(st.job.c.id == job["id"])
        .values(
            status=FAILED if final else RETRY,
            run_after=now if retry_in is None else now + dt.timedelta(seconds=retry_in),
            lease_until=None,
            last_error=error[:4000],
            updated_at=now,
            finished_at=now if final else None,
        )
    )
    return FAILED if final else RETRY


def due(conn: Connection, now: dt.datetime, limit: int = 500) -> list[str]:
    """Keys of jobs that should be running now and may not be: new, retrying, or lost."""
    j = st.job
    rows = conn.execute(
        sa.select(j.c.key)
        .where(
            sa.or_(
                sa.and_(j.c.status.in_([QUEUED, RETRY]), j.c.run_after <= now),
                sa.and_(j.c.status == RUNNING, j.c.lease_until < now),
            )
        )
        .order_by(j.c.run_after)
        .limit(limit)
    )
    return [r[0] for r in rows]


def requeue(conn: Connection, job_id: int, now: dt.datetime) -> dict[str, Any] | None:
    """Put a failed job back (an admin's retry)."""
    row = (
        conn.execute(
            st.job.update()
            .where(st.job.c.id == job_id, st.job.c.status == FAILED)
            .values(
                status=QUEUED,
                run_after=now,
                finished_at=None,
                updated_at=now,
                max_attempts=st.job.c.attempts + 1,
            )
            .returning(*st.job.c)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None

"""The local e-mail outbox: where e-mails go while no SMTP server is configured.

Without ``PLINTH_SMTP_HOST`` (as in ``make demo``) an e-mail job keeps its message in
``plinth_email_outbox``, in the job's own transaction, instead of failing and being retried;
admins read the messages at ``/admin/emails``. That e-mail is not configured is logged once
per process, not once per message.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st

log = logging.getLogger(__name__)
PAGE_SIZE = 50
_announce = threading.Lock()
_announced = False


def announce_once() -> None:
    """Log, the first time in this process only, that e-mails are kept rather than sent."""
    global _announced
    with _announce:
        if _announced:
            return
        _announced = True
    log.warning(
        "e-mail is not configured (PLINTH_SMTP_HOST): e-mails are kept in the local outbox, "
        "where admins read them at /admin/emails"
    )


def keep(conn: Connection, key: str, to: str, subject: str, body: str, now: dt.datetime) -> None:
    """Keep one e-mail (once per job key: a replayed job adds nothing)."""
    announce_once()
    table = st.email_outbox
    if conn.scalar(sa.select(table.c.id).where(table.c.job_key == key)) is not None:
        return
    conn.execute(
        table.insert(),
        {"job_key": key, "recipient": to, "subject": subject, "body": body, "created_at": now},
    )


def newest(
    conn: Connection, limit: int = PAGE_SIZE, before: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of kept e-mails, newest first (those with an id below ``before``), and the
    cursor of the next older page (None on the last page)."""
    table = st.email_outbox
    query = sa.select(table).order_by(table.c.id.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(table.c.id < before)
    rows = [dict(row) for row in conn.execute(query).mappings()]
    older = rows[limit - 1]["id"] if len(rows) > limit else None
    return rows[:limit], older


def count(conn: Connection) -> int:
    return conn.scalar(sa.select(sa.func.count()).select_from(st.email_outbox)) or 0

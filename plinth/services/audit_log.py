"""Reading the audit log (authentication events and metadata changes), newest first.
Entries are written by ``plinth.runtime.audit.audit``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st
from plinth.schemas import Answer, Instant, Object, Text, Whole
from plinth.services.id_paging import IdPage, id_page


def audit_page(
    conn: Connection, limit: int, cursor: int | None, event: str | None = None
) -> IdPage[dict[str, Any]]:
    """A page of audit entries, newest first; only those of ``event`` when given."""
    query = sa.select(st.audit)
    if event:
        query = query.where(st.audit.c.event == event)
    return id_page(conn, query, st.audit.c.id, limit, cursor)


class AuditEntry(Answer):
    """One audit entry: who (id and label at the time), what event, on what, from where."""

    id = Whole(required=True)
    at = Instant(required=True)
    actor_id = Whole(allow_none=True)
    actor_label = Text(required=True)
    event = Text(required=True, metadata={"example": "auth.login"})
    target = Text(required=True)
    detail = Object(allow_none=True)
    ip = Text(allow_none=True)

"""The assignment log: which rule (or claim, or person) decided each assignment, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from plinth.runtime import system_tables as st

if TYPE_CHECKING:
    from plinth.runtime.session import Session

A = st.assignment


def write(
    session: Session,
    object_name: str,
    record_id: int,
    field: str,
    rule: str | None,
    method: str,
    assignee: Any,
    detail: dict[str, Any],
) -> None:
    session.conn.execute(
        A.insert(),
        {
            "object": object_name,
            "record_id": record_id,
            "field": field,
            "rule": rule,
            "method": method,
            "assignee_id": assignee,
            "actor_id": session.actor.id,
            "at": session.tenant.clock(),
            "detail": detail,
        },
    )


def for_record(session: Session, object_name: str, record_id: Any) -> list[dict[str, Any]]:
    """The record's assignments, newest first, for a caller who may read it."""
    record = session.records.get(object_name, record_id, fields=["id"])
    rows = session.conn.execute(
        sa.select(A)
        .where(A.c.object == object_name, A.c.record_id == record["id"])
        .order_by(A.c.id.desc())
    ).mappings()
    return [
        {k: row[k] for k in ("id", "field", "rule", "method", "actor_id", "at", "detail")}
        | {"assignee": row["assignee_id"]}
        for row in rows
    ]

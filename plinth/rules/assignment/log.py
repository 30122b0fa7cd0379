"""The assignment log: which rule (or claim, or person) decided each assignment, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plinth.runtime import system_tables as st
from plinth.services.record_rows import for_record as rows_for_record

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
    return [
        {k: row[k] for k in ("id", "field", "rule", "method", "actor_id", "at", "detail")}
        | {"assignee": row["assignee_id"]}
        for row in rows_for_record(session, A, object_name, record_id)
    ]

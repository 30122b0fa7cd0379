"""The rows a system table keeps about one record (its approvals, its assignments), for a
caller who may read the record: the one ``for_record`` both those lists use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from plinth.runtime.session import Session


def for_record(
    session: Session, table: sa.Table, object_name: str, record_id: Any
) -> list[dict[str, Any]]:
    """The rows of ``table`` about the record, newest first; 404 (as ``records.get``) when
    the caller may not read it. ``table`` has ``object`` and ``record_id`` columns."""
    record = session.records.get(object_name, record_id, fields=["id"])
    query = (
        sa.select(table)
        .where(table.c.object == object_name, table.c.record_id == record["id"])
        .order_by(table.c.id.desc())
    )
    return [dict(row) for row in session.conn.execute(query).mappings()]

"""Field-level history of records: who changed which field from what to what, and when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st
from plinth.runtime.jsonable import to_jsonable


def record_history(
    conn: Connection,
    object_name: str,
    record_id: int,
    version: int,
    action: str,
    changes: Sequence[tuple[str | None, Any, Any]],
    actor_id: int | None,
    at: dt.datetime,
) -> None:
    """Write one history row per (field, old, new); ``field`` None marks create/delete."""
    rows = [
        {
            "object": object_name,
            "record_id": record_id,
            "version": version,
            "action": action,
            "field": field,
            "old_value": to_jsonable(old),
            "new_value": to_jsonable(new),
            "changed_by": actor_id,
            "changed_at": at,
        }
        for field, old, new in changes
    ]
    if rows:
        conn.execute(st.history.insert(), rows)


def read_history(
    conn: Connection,
    object_name: str,
    record_id: int,
    fields: Collection[str] | None = None,
    limit: int = 100,
    before: int | None = None,
) -> list[dict[str, Any]]:
    """Newest first; ``fields`` limits entries to fields the reader may see."""
    h = st.history
    query = (
        sa.select(h)
        .where(h.c.object == object_name, h.c.record_id == record_id)
        .order_by(h.c.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(h.c.id < before)
    entries = []
    for row in conn.execute(query).mappings():
        if fields is not None and row["field"] is not None and row["field"] not in fields:
            continue
        old, new = row["old_value"], row["new_value"]
        if row["field"] is None and fields is not None:
            old = _visible(old, fields)
            new = _visible(new, fields)
        entries.append(
            {
                "id": row["id"],
                "version": row["version"],
                "action": row["action"],
                "field": row["field"],
                "old": old,
                "new": new,
                "by": row["changed_by"],
                "at": row["changed_at"],
            }
        )
    return entries


def _visible(snapshot: Any, fields: Collection[str]) -> Any:
    if isinstance(snapshot, dict):
        return {k: v for k, v in snapshot.items() if k in fields}
    return snapshot


def latest_change_id(conn: Connection, object_names: Collection[str]) -> int:
    """The id of the newest history row of these objects (0 when none): it grows with every
    change of a record whose object keeps history, in any process, so comparing two reads
    tells whether anything changed between them."""
    query = sa.select(sa.func.max(st.history.c.id)).where(
        st.history.c.object.in_(sorted(object_names))
    )
    found = conn.scalar(query)
    return int(found or 0)

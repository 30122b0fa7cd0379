"""Reading every matching record, page by page (the record service pages at 1,000)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from plinth.toolkit import MAX_LIMIT, Filter, ListQuery


def all_records(
    session,
    object_name: str,
    filters: list[Filter] | None = None,
    sort: list[str] | None = None,
    fields: list[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every record of ``object_name`` matching ``filters``, in ``sort`` order (default id)."""
    cursor = None
    while True:
        query = ListQuery(filters or [], sort or ["id"], MAX_LIMIT, cursor=cursor, fields=fields)
        page = session.records.list(object_name, query)
        yield from page.data
        cursor = page.next_cursor
        if not cursor:
            return

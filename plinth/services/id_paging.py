"""Id-cursor paging: the one helper every list of system-table rows pages with.

A page is fetched with one row more than asked for; when that row exists there is a next
page, and its cursor is the id of the page's last row (as text, like record cursors are).
Newest-first lists go on with ``id < cursor``, oldest-first ones with ``id > cursor``.
Records page differently (an opaque keyset cursor bound to the sort, decision 0007).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

T = TypeVar("T")
U = TypeVar("U")


class IdPage(NamedTuple, Generic[T]):
    """A page of rows and the cursor of the next one (None on the last page); unpacks as
    ``data, next_cursor``."""

    data: list[T]
    next_cursor: str | None

    def map(self, convert: Callable[[T], U]) -> IdPage[U]:
        """The same page (and cursor) with each row converted."""
        return IdPage([convert(row) for row in self.data], self.next_cursor)


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], Any] | None = None) -> IdPage[T]:
    """The page of ``rows`` fetched with ``limit + 1``: the first ``limit`` of them and, when
    there were more, the id (``key(row)``, by default ``row["id"]``) of the last one kept."""
    more = len(rows) > limit
    kept = list(rows[:limit])
    if not (more and kept):
        return IdPage(kept, None)
    last = kept[-1]
    return IdPage(kept, str(key(last) if key is not None else last["id"]))  # type: ignore[index]


def id_page(
    conn: Connection,
    query: sa.Select[Any],
    id_column: sa.ColumnElement[Any],
    limit: int,
    cursor: int | None,
    newest_first: bool = True,
) -> IdPage[dict[str, Any]]:
    """Run ``query`` for one page ordered by ``id_column`` (newest first unless told
    otherwise), after ``cursor``; rows as dicts."""
    if cursor is not None:
        query = query.where(id_column < cursor if newest_first else id_column > cursor)
    order = id_column.desc() if newest_first else id_column.asc()
    rows = [dict(row) for row in conn.execute(query.order_by(order).limit(limit + 1)).mappings()]
    return page_of(rows, limit)

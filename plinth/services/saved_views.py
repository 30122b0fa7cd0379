"""Saved list views: a user's names for a list's filters and sort, per object. What a
view keeps (the query string) is checked by the page that saves it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound, ValidationError
from plinth.runtime import system_tables as st

MAX_NAME = 100
MAX_VIEWS = 50  # per user and object
V = st.saved_view


def views_of(conn: Connection, user_id: int, object_name: str) -> list[dict[str, Any]]:
    """The user's views of an object's list (id, name, query), by name."""
    query = (
        sa.select(V.c.id, V.c.name, V.c.query)
        .where(V.c.user_id == user_id, V.c.object == object_name)
        .order_by(V.c.name)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def store_view(conn: Connection, user_id: int, object_name: str, name: str, query: str) -> None:
    """Save the view ``name`` (replacing the user's view of that name); at most MAX_VIEWS
    per user and object."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError.single("name", f"must be 1 to {MAX_NAME} characters")
    mine = (V.c.user_id == user_id, V.c.object == object_name)
    existing = conn.scalar(sa.select(V.c.id).where(*mine, V.c.name == name))
    if existing is not None:
        conn.execute(V.update().where(V.c.id == existing).values(query=query))
        return
    if conn.execute(sa.select(sa.func.count()).where(*mine)).scalar_one() >= MAX_VIEWS:
        raise ValidationError.single("name", f"you have {MAX_VIEWS} views here; delete one first")
    values = {"user_id": user_id, "object": object_name, "name": name, "query": query,
              "created_at": dt.datetime.now(dt.UTC)}  # fmt: skip
    conn.execute(V.insert().values(values))


def delete_view(conn: Connection, user_id: int, view_id: int) -> None:
    """Delete one of the user's views (404 when they have no such view)."""
    gone = conn.execute(V.delete().where(V.c.id == view_id, V.c.user_id == user_id))
    if gone.rowcount == 0:
        raise NotFound(f"no saved view {view_id}")

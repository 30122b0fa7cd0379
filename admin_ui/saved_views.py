"""A user's saved list views: a name for a list's filters and sort, per object."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from admin_ui.list_args import NOT_KEPT, list_args
from plinth.errors import NotFound, ValidationError
from plinth.runtime import system_tables as st
from plinth.runtime.model import ObjectModel
from plinth.runtime.query import QueryCompiler, parse_list_args
from plinth.runtime.session import Session

MAX_NAME = 100
MAX_QUERY = 2000
MAX_VIEWS = 50  # per user and object


def views_of(conn: Connection, user_id: int, object_name: str) -> list[dict]:
    v = st.saved_view
    query = (
        sa.select(v.c.id, v.c.name, v.c.query)
        .where(v.c.user_id == user_id, v.c.object == object_name)
        .order_by(v.c.name)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def clean_query(raw: str, session: Session | None = None, model: ObjectModel | None = None) -> str:
    """The list arguments worth keeping (no cursor, no export), checked like a list request
    (with ``session`` and ``model``: every field name, operator and value too)."""
    args = list_args(parse_qsl(raw or ""), NOT_KEPT)
    query = parse_list_args(args)  # ValidationError on a bad argument
    if session is not None and model is not None:
        compiler = QueryCompiler(model, session.coercion, session.guard.readable(model))
        compiler.filters(query.filters)  # ValidationError on a bad field or value
        compiler.sort_keys(query.sort)  # ValidationError on a bad sort key
    text = urlencode([(k, v) for k, vs in args.items() for v in vs])
    if len(text) > MAX_QUERY:
        raise ValidationError.single("query", f"is longer than {MAX_QUERY} characters")
    return text


def save_view(session: Session, model: ObjectModel, name: str, raw: str) -> str:
    """Save (or replace) the actor's view ``name`` of ``model``'s list; returns the query
    string it keeps."""
    conn, user_id, object_name = session.conn, session.actor.id, model.name
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError.single("name", f"must be 1 to {MAX_NAME} characters")
    query = clean_query(raw, session, model)
    v = st.saved_view
    existing = conn.scalar(
        sa.select(v.c.id).where(v.c.user_id == user_id, v.c.object == object_name, v.c.name == name)
    )
    if existing is not None:
        conn.execute(v.update().where(v.c.id == existing).values(query=query))
        return query
    count = conn.scalar(
        sa.select(sa.func.count()).where(v.c.user_id == user_id, v.c.object == object_name)
    )
    if count >= MAX_VIEWS:
        raise ValidationError.single("name", f"you have {MAX_VIEWS} views here; delete one first")
    values = {"user_id": user_id, "object": object_name, "name": name, "query": query,
              "created_at": dt.datetime.now(dt.UTC)}  # fmt: skip
    conn.execute(v.insert().values(values))
    return query


def delete_view(conn: Connection, user_id: int, view_id: int) -> None:
    v = st.saved_view
    gone = conn.execute(v.delete().where(v.c.id == view_id, v.c.user_id == user_id))
    if gone.rowcount == 0:
        raise NotFound(f"no saved view {view_id}")

"""A user's saved list views: a name for a list's filters and sort, per object. The views
are kept by ``plinth.services.saved_views``; this module checks what a view keeps."""

from __future__ import annotations

from typing import cast
from urllib.parse import parse_qsl, urlencode

from admin_ui.list_args import NOT_KEPT, list_args
from plinth.errors import ValidationError
from plinth.runtime.model import ObjectModel
from plinth.runtime.query import QueryCompiler, parse_list_args
from plinth.runtime.session import Session
from plinth.services.saved_views import delete_view, store_view, views_of

MAX_QUERY = 2000
__all__ = ["clean_query", "delete_view", "save_view", "views_of"]


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
    query = clean_query(raw, session, model)
    user_id = cast(int, session.actor.id)  # a page session has a logged-in user
    store_view(session.conn, user_id, model.name, name, query)
    return query

"""Small helpers shared by the route modules."""

from __future__ import annotations

import datetime as dt
from typing import Any, overload

from flask import Response, jsonify, request

from plinth.api.jsonio import QueryInvalid
from plinth.json_props import MAX_ID, date_from_text, id_from_text, int_from_text

_UNPAGED = object()


def listing(data: list[Any], next_cursor: Any = _UNPAGED, **extra: Any) -> Response:
    """The envelope of every list: ``{"data": [...]}``, with ``next_cursor`` (null on the last
    page) when the list is paged."""
    body: dict[str, Any] = {"data": data}
    if next_cursor is not _UNPAGED:
        body["next_cursor"] = next_cursor
    body.update(extra)
    return jsonify(body)


@overload
def int_arg(name: str, default: int, low: int = 1, high: int = 1000) -> int: ...
@overload
def int_arg(name: str, default: None = None, low: int = 1, high: int = 1000) -> int | None: ...
def int_arg(name: str, default: int | None = None, low: int = 1, high: int = 1000) -> int | None:
    """A whole-number query argument from ``low`` to ``high`` (ASCII digits); 400 otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    number = int_from_text(raw, low, high)
    if number is None:
        raise QueryInvalid({name: [f"must be a whole number from {low} to {high}"]})
    return number


def id_arg(name: str) -> int | None:
    """An id query argument (1 to 2^63-1); 400 naming it otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return None
    number = id_from_text(raw)
    if number is None:
        raise QueryInvalid({name: [f"must be an id (a whole number from 1 to {MAX_ID})"]})
    return number


def date_arg(name: str) -> dt.date | None:
    """A date query argument (YYYY-MM-DD); 400 naming it otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return None
    day = date_from_text(raw)
    if day is None:
        raise QueryInvalid({name: ["must be a date (YYYY-MM-DD) from 0001-01-02 to 9999-12-30"]})
    return day


def bool_arg(name: str) -> bool:
    """The query argument ``name`` as a boolean (true/false/1/0; absent: false), else 400."""
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise QueryInvalid({name: ["must be true or false"]})
    return raw in ("true", "1")

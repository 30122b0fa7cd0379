"""Query-string schemas the fixed endpoints share: a page of an id-cursor list."""

from __future__ import annotations

from typing import Any, cast

from marshmallow import fields

from plinth.schemas import Query, QueryInt

MAX_CURSOR = 2**62


def page_query(default: int, high: int, **more: fields.Field[Any]) -> type[Query]:
    """``limit`` (1 to ``high``, ``default`` when absent), ``cursor`` (the ``next_cursor``
    of the previous page) and the ``more`` arguments of one list."""
    declared: dict[str, Any] = {
        "limit": QueryInt(1, high, load_default=default, metadata={"description": "page size"}),
        "cursor": QueryInt(
            1, MAX_CURSOR, metadata={"description": "next_cursor of the previous page"}
        ),
        **more,
    }
    # from_dict is typed to make a Schema; it makes a subclass of the class it is called on
    return cast(type[Query], Query.from_dict(declared, name="PageQuery"))

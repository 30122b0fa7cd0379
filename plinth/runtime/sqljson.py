"""JSON column tests that differ between PostgreSQL (JSONB) and SQLite (JSON text)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


def array_contains(
    column: sa.ColumnElement[Any], value: str, dialect: str
) -> sa.ColumnElement[bool]:
    """The JSON array in ``column`` has ``value`` as an element."""
    if dialect == "postgresql":
        return sa.type_coerce(column, JSONB).contains(sa.func.jsonb_build_array(value))
    elements = sa.func.json_each(column).table_valued("value")
    return sa.exists().where(elements.c.value == value)


def member_equals(
    column: sa.ColumnElement[Any], key: str, value: str, dialect: str
) -> sa.ColumnElement[bool]:
    """The JSON object in ``column`` has ``key`` equal to the text ``value``; a dotted
    ``key`` (``strokes.file``) reaches into nested objects."""
    path = tuple(key.split("."))
    if dialect == "postgresql":
        coerced = sa.type_coerce(column, JSONB)
        member: sa.ColumnElement[str] = (coerced[path] if len(path) > 1 else coerced[key]).astext
        return member == value
    return sa.func.json_extract(column, f"$.{key}") == value

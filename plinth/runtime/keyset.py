"""Keyset pagination: opaque cursors holding the last row's sort values."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth import json_input
from plinth.errors import ValidationError
from plinth.runtime.field_types.base import CoercionContext, FieldError, column_of
from plinth.runtime.model import Field
from plinth.runtime.query import NOT_NULL_SYSTEM


def _signature(keys: list[tuple[Field, bool]]) -> str:
    spec = ",".join(("-" if d else "") + f.name for f, d in keys)
    return hashlib.sha1(spec.encode()).hexdigest()[:8]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def encode_cursor(keys: list[tuple[Field, bool]], row: Mapping[Any, Any]) -> str:
    """A cursor pointing just after ``row`` (a mapping of column name to stored value)."""
    values = [_plain(row[column_of(field)]) for field, _ in keys]
    payload = json.dumps({"s": _signature(keys), "v": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, keys: list[tuple[Field, bool]], ctx: CoercionContext) -> list[Any]:
    invalid = ValidationError.single("cursor", "is not a valid cursor for this query")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json_input.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError):  # JsonInputError is one (deep nesting included)
        raise invalid from None
    if (
        not isinstance(payload, dict)
        or payload.get("s") != _signature(keys)
        or not isinstance(payload.get("v"), list)
        or len(payload["v"]) != len(keys)
    ):
        raise invalid
    values: list[Any] = []
    for (field, _), raw in zip(keys, payload["v"], strict=True):
        if raw is None:
            values.append(None)
            continue
        try:
            values.append(field.type.coerce(field, raw, ctx))
        except (FieldError, TypeError, ValueError):
            raise invalid from None
    return values


def after_clause(
    keys: list[tuple[Field, bool]], values: list[Any], table: sa.Table
) -> sa.ColumnElement[bool]:
    """Rows strictly after the cursor in the ORDER BY of ``query.order_by``.

    NULLs sort as the largest value. A redundant range bound on the first key is added
    when it is exact, so an index on that key can serve the page.
    """
    alternatives = []
    equal_so_far: list[sa.ColumnElement[bool]] = []
    for (field, descending), value in zip(keys, values, strict=True):
        column = table.c[column_of(field)]
        nullable = field.name not in NOT_NULL_SYSTEM
        after = _after(column, value, descending, nullable)
        if after is not None:
            alternatives.append(sa.and_(*equal_so_far, after))
        equal_so_far.append(column.is_(None) if value is None else column == value)
    clause = sa.or_(*alternatives) if alternatives else sa.false()
    first_field, first_desc = keys[0]
    first_value = values[0]
    if first_value is not None:
        column = table.c[column_of(first_field)]
        if first_desc:
            clause = sa.and_(column <= first_value, clause)
        elif first_field.name in NOT_NULL_SYSTEM:
            clause = sa.and_(column >= first_value, clause)
    return clause


def _after(
    column: sa.Column[Any], value: Any, descending: bool, nullable: bool
) -> sa.ColumnElement[bool] | None:
    if descending:
        if value is None:
            return column.is_not(None)
        below: sa.ColumnElement[bool] = column < value
        return below
    if value is None:
        return None
    above: sa.ColumnElement[bool] = column > value
    if nullable:
        return sa.or_(above, column.is_(None))
    return above

"""Boolean, select (one option) and multiselect (a list of options)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth.i18n import Named
from plinth.runtime.field_types.base import (
    EQUALITY_OPS,
    INCOMPATIBLE,
    NARROW,
    SAME,
    WIDEN,
    CoercionContext,
    Field,
    FieldError,
    FieldType,
    column_of,
    escape_like,
    json_type_name,
)
from plinth.runtime.sqljson import array_contains
from plinth.runtime.sqltypes import json_type

OPTION_LENGTH = 64


class BooleanType(FieldType):
    name = "boolean"
    filter_ops = EQUALITY_OPS
    supports_unique = False

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.Boolean(create_constraint=False)

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in {"true", "false", "1", "0"}:
            return value.strip().lower() in {"true", "1"}
        raise FieldError("must be true or false")

    def is_empty(self, value: Any) -> bool:
        return value is None


class SelectType(FieldType):
    name = "select"
    filter_ops = EQUALITY_OPS

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.String(OPTION_LENGTH)

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> str:
        if not isinstance(value, str):
            raise FieldError("must be one of the field's options")
        if value not in field.option_values:
            raise FieldError(
                "{value} is not an option (allowed: {allowed})",
                value=repr(value[:80]),
                allowed=[
                    Named(o["value"], o.get("label")) for o in field.spec.get("options", ())[:20]
                ],
            )
        return value

    def storage_change(self, old: Field, new: Field) -> str:
        if old.type is not new.type:
            return INCOMPATIBLE
        removed = set(old.option_values) - set(new.option_values)
        if removed:
            return NARROW
        return SAME if old.option_values == new.option_values else WIDEN

    def loss_clause(self, old: Field, new: Field, table: sa.Table) -> sa.ColumnElement[bool]:
        return table.c[column_of(old)].not_in(list(new.option_values))

    def check_definition(self, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        return _option_problems(spec)


class MultiSelectType(FieldType):
    name = "multiselect"
    filter_ops = frozenset({"contains", "isnull"})
    sortable = False
    supports_unique = False

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return json_type()

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> list[str]:
        if not isinstance(value, list):
            raise FieldError("must be a list of options")
        # Item types first: set() of [{}] raises TypeError (unhashable).
        for item in value:
            if not isinstance(item, str):
                raise FieldError(f"must list options (text), not {json_type_name(item)}")
            if item not in field.option_values:
                raise FieldError("{value} is not an option", value=repr(item[:80]))
        if len(set(value)) != len(value):
            raise FieldError("lists an option more than once")
        limit = field.spec.get("max_items")
        if limit is not None and len(value) > limit:
            raise FieldError("allows at most {limit} options", limit=limit)
        return value

    def is_empty(self, value: Any) -> bool:
        return value is None or value == []

    def to_row(self, field: Field, value: Any) -> dict[str, Any]:
        # An empty selection is stored as NULL so that ``isnull`` is one index-friendly test.
        return {column_of(field): value or None}

    def from_row(self, field: Field, row: Mapping[str, Any]) -> Any:
        return row[column_of(field)] or []

    def coerce_filter_value(self, field: Field, op: str, value: Any, ctx: CoercionContext) -> str:
        if not isinstance(value, str):
            raise FieldError(f"must be an option (text), not {json_type_name(value)}")
        if value not in field.option_values:
            raise FieldError("{value} is not an option", value=repr(value[:80]))
        return value

    def filter_clause(
        self, field: Field, op: str, value: Any, table: sa.Table, ctx: CoercionContext
    ) -> sa.ColumnElement[bool]:
        column = table.c[column_of(field)]
        if op == "isnull":
            return column.is_(None) if value else column.is_not(None)
        option = self.coerce_filter_value(field, op, value, ctx)
        return array_contains(column, option, ctx.dialect)

    def storage_change(self, old: Field, new: Field) -> str:
        if old.type is not new.type:
            return INCOMPATIBLE
        if set(old.option_values) - set(new.option_values):
            return NARROW
        return SAME if old.option_values == new.option_values else WIDEN

    def loss_clause(self, old: Field, new: Field, table: sa.Table) -> sa.ColumnElement[bool]:
        # Option values are [A-Za-z0-9_.-]: matching '"value"' in the JSON text is exact.
        removed = sorted(set(old.option_values) - set(new.option_values))
        text = sa.cast(table.c[column_of(old)], sa.Text)
        return sa.or_(*(text.like(f'%"{escape_like(v)}"%', escape="\\") for v in removed))

    def narrow_value(self, old: Field, new: Field, value: list[str]) -> tuple[list[str], bool]:
        """The value without the removed options, and whether anything was removed."""
        kept = [v for v in value if v in new.option_values]
        return kept, len(kept) != len(value)

    def check_definition(self, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        return _option_problems(spec)


def _option_problems(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    problems = []
    for index, option in enumerate(spec.get("options", ())):
        value = option.get("value")
        if value in seen:
            problems.append((f"options/{index}/value", f"duplicate option {value!r}"))
        seen.add(value)
    return problems

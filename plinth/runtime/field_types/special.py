"""JSON documents, autonumbers and formulas."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth.runtime.field_types.base import (
    COMPARISON_OPS,
    INCOMPATIBLE,
    SAME,
    CoercionContext,
    Field,
    FieldError,
    FieldType,
    column_of,
)
from plinth.runtime.sqltypes import json_type

MAX_JSON_BYTES = 256 * 1024


class JsonType(FieldType):
    name = "json"
    filter_ops = frozenset({"isnull"})
    sortable = False
    supports_unique = False

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return json_type()

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> Any:
        try:
            encoded = json.dumps(value, allow_nan=False, separators=(",", ":"))
        except (TypeError, ValueError):
            raise FieldError("must be a JSON value") from None
        if len(encoded.encode()) > MAX_JSON_BYTES:
            raise FieldError("is larger than 256 KiB")
        return value

    def is_empty(self, value: Any) -> bool:
        return value is None


AUTONUMBER_TOKEN = re.compile(r"\{(YYYY|YY|MM|DD|seq(?::0?([1-9]|1\d|20))?)\}")


class AutonumberType(FieldType):
    """A generated, unique number like ``WO-202611-00042``; see ``runtime.autonumber``."""

    name = "autonumber"
    filter_ops = COMPARISON_OPS | {"contains"}
    writable = False
    supports_default = False

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.String(64)

    def extra_indexes(self, field: Field) -> list[list[str]]:
        return []

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> str:
        if not isinstance(value, str):
            raise FieldError("expected text")
        return value

    def check_definition(self, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        pattern = spec.get("pattern", "")
        tokens = AUTONUMBER_TOKEN.findall(pattern)
        seqs = [t for t in tokens if t[0].startswith("seq")]
        if len(seqs) != 1:
            return [("pattern", "must contain exactly one {seq} or {seq:05} token")]
        if "{" in AUTONUMBER_TOKEN.sub("", pattern) or "}" in AUTONUMBER_TOKEN.sub("", pattern):
            return [("pattern", "has an unknown token; use {YYYY}, {YY}, {MM}, {DD}, {seq:05}")]
        return []


class FormulaType(FieldType):
    """Read-only computed value; stored (filterable, sortable) only when ``stored`` is true."""

    name = "formula"
    writable = False
    supports_default = False

    def __init__(self, result_types: dict[str, FieldType]):
        self._result_types = result_types

    def result_type(self, field: Field) -> FieldType:
        return self._result_types[field.spec["result_type"]]

    def column_names(self, field: Field) -> tuple[str, ...]:
        return super().column_names(field) if field.spec.get("stored") else ()

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        result = self.result_type(field)
        return result.sql_type(_ResultField(field, result))

    def columns(self, field: Field) -> list[sa.Column[Any]]:
        return super().columns(field) if field.spec.get("stored") else []

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> Any:
        result = self.result_type(field)
        return result.coerce(_ResultField(field, result), value, ctx)

    def from_row(self, field: Field, row: Mapping[str, Any]) -> Any:
        return row[column_of(field)] if field.columns else None

    def to_row(self, field: Field, value: Any) -> dict[str, Any]:
        return {column_of(field): value} if field.columns else {}

    def storage_change(self, old: Field, new: Field) -> str:
        if old.type is not new.type:
            return INCOMPATIBLE
        if old.spec["result_type"] != new.spec["result_type"]:
            return INCOMPATIBLE
        return SAME


class _ResultField:
    """A formula seen as a plain field of its result type (for storage and coercion)."""

    option_values: tuple[str, ...] = ()

    def __init__(self, field: Field, result_type: FieldType):
        self.name = field.name
        self.type = result_type
        self.columns = field.columns
        self.column = field.column
        self.spec: Mapping[str, Any] = (
            {"scale": field.spec["scale"]} if "scale" in field.spec else {}
        )

"""Fields that point at other rows: lookup (another object), user, attachment (a file)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth.runtime import naming
from plinth.runtime.field_types.base import (
    EQUALITY_OPS,
    INCOMPATIBLE,
    SAME,
    CoercionContext,
    Field,
    FieldError,
    FieldType,
    column_of,
)
from plinth.runtime.field_types.numbers import _to_int
from plinth.runtime.sqltypes import json_type

FILE_ID = re.compile(r"^[0-9a-f]{32}$")


def _to_id(value: Any) -> int:
    try:
        number = _to_int(value)
    except FieldError:
        raise FieldError("must be a record id (a positive whole number)") from None
    if number < 1:
        raise FieldError("must be a record id (a positive whole number)")
    return number


class LookupType(FieldType):
    name = "lookup"
    filter_ops = EQUALITY_OPS

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()

    def target_table(self, field: Field) -> str:
        return naming.table_name(field.spec["target"])

    def foreign_key(self, field: Field) -> str | None:
        return f"{self.target_table(field)}.id"

    def extra_indexes(self, field: Field) -> list[list[str]]:
        return [[column_of(field)]]

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> int:
        if isinstance(value, dict) and "id" in value:  # an expanded record sent back
            value = value["id"]
        return _to_id(value)

    def storage_change(self, old: Field, new: Field) -> str:
        if old.type is not new.type:
            return INCOMPATIBLE
        return SAME if old.spec["target"] == new.spec["target"] else INCOMPATIBLE


class UserType(LookupType):
    """A platform user; users are deactivated, never deleted, so there is no on_delete."""

    name = "user"

    def foreign_key(self, field: Field) -> str | None:
        return None  # checked by the record service; see compiler._system_columns

    def target_table(self, field: Field) -> str:
        return "plinth_user"

    def storage_change(self, old: Field, new: Field) -> str:
        return SAME if old.type is new.type else INCOMPATIBLE


class AttachmentType(FieldType):
    """A file id from the file store, or a list of them when ``multiple`` is set."""

    name = "attachment"
    filter_ops = frozenset({"isnull"})
    sortable = False
    supports_unique = False
    supports_default = False

    def multiple(self, field: Field) -> bool:
        return bool(field.spec.get("multiple"))

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return json_type() if self.multiple(field) else sa.String(32)

    def foreign_key(self, field: Field) -> str | None:
        return None  # files are never deleted; the record service checks file ids

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> str | list[str]:
        if self.multiple(field):
            if not isinstance(value, list):
                raise FieldError("must be a list of file ids")
            if len(value) > 100:
                raise FieldError("holds at most 100 files")
            ids = [self._file_id(item) for item in value]
            if len(set(ids)) != len(ids):
                raise FieldError("lists a file more than once")
            return ids
        return self._file_id(value)

    @staticmethod
    def _file_id(value: Any) -> str:
        if isinstance(value, dict) and "id" in value:
            value = value["id"]
        if not isinstance(value, str) or not FILE_ID.match(value):
            raise FieldError("must be a file id from the file upload")
        return value

    def file_ids(self, field: Field, value: Any) -> list[str]:
        """The file ids of a value: one id, or a list of them when ``multiple``."""
        if value is None:
            return []
        return list(value) if self.multiple(field) else [value]

    def to_row(self, field: Field, value: Any) -> dict[str, Any]:
        return {column_of(field): value or None}

    def from_row(self, field: Field, row: Mapping[str, Any]) -> Any:
        value = row[column_of(field)]
        if self.multiple(field):
            return value or []
        return value

    def storage_change(self, old: Field, new: Field) -> str:
        if old.type is not new.type or self.multiple(old) != self.multiple(new):
            return INCOMPATIBLE
        return SAME

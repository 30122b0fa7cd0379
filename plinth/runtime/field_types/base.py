"""The field-type interface: storage columns, coercion, filters and change classification."""

from __future__ import annotations

import contextlib
import dataclasses
import decimal
import logging
import operator
from collections.abc import Iterator, Mapping
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from plinth.i18n import Message
from plinth.runtime import naming


class Field(Protocol):
    """What a field type reads of a field (``plinth.runtime.model.Field`` is one); a
    protocol, so field types need not import the model that is built from them."""

    name: str
    spec: Mapping[str, Any]
    columns: tuple[str, ...]
    column: str | None

    @property
    def type(self) -> FieldType: ...

    @property
    def option_values(self) -> tuple[str, ...]: ...


# How a storage change affects existing data.
SAME = "same"
WIDEN = "widen"
NARROW = "narrow"
INCOMPATIBLE = "incompatible"

log = logging.getLogger(__name__)
COMPARISON_OPS = frozenset({"eq", "in", "gt", "gte", "lt", "lte", "isnull"})
EQUALITY_OPS = frozenset({"eq", "in", "isnull"})


_COMPARE = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class FieldError(ValueError):
    """A value is not acceptable for a field; the message is shown to the user. Give the
    message's template and arguments (``FieldError("must be at least {low}", low=5)``), so
    a page can say it in the user's language."""

    def __init__(self, message: str, **args: Any):
        self.message = Message(message, **args) if args else message
        super().__init__(self.message)


@dataclasses.dataclass(frozen=True)
class CoercionContext:
    """What coercion and filters depend on: the actor's time zone (for naive input), dialect."""

    time_zone: ZoneInfo = ZoneInfo("UTC")
    dialect: str = "sqlite"


class FieldType:
    """Base class; one subclass per field type, registered in ``field_types.REGISTRY``."""

    name: str = ""
    #: Operators accepted in list filters.
    filter_ops: frozenset[str] = COMPARISON_OPS
    sortable: bool = True
    supports_unique: bool = True
    supports_default: bool = True
    #: Value may be given on create/update (false for autonumber and formula).
    writable: bool = True

    # ---- storage -------------------------------------------------------------------
    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        raise NotImplementedError

    def columns(self, field: Field) -> list[sa.Column[Any]]:
        """The columns storing this field; user columns are always nullable (see README)."""
        return [sa.Column(field.column, self.sql_type(field), nullable=True)]

    def column_names(self, field: Field) -> tuple[str, ...]:
        return (naming.column_name(field.name),)

    def foreign_key(self, field: Field) -> str | None:
        """``table.column`` this field references, if any."""
        return None

    def extra_indexes(self, field: Field) -> list[list[str]]:
        """Column lists to index regardless of ``indexed`` (lookups, geo)."""
        return []

    # ---- values --------------------------------------------------------------------
    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> Any:
        """Turn input (JSON-ish) into the field's Python value or raise FieldError."""
        raise NotImplementedError

    def to_row(self, field: Field, value: Any) -> dict[str, Any]:
        return {column_of(field): value}

    def from_row(self, field: Field, row: Mapping[str, Any]) -> Any:
        return row[column_of(field)]

    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == []

    # ---- queries -------------------------------------------------------------------
    def sort_expression(self, field: Field, table: sa.Table) -> sa.ColumnElement[Any]:
        return table.c[column_of(field)]

    def coerce_filter_value(self, field: Field, op: str, value: Any, ctx: CoercionContext) -> Any:
        return self.coerce(field, value, ctx)

    def filter_clause(
        self, field: Field, op: str, value: Any, table: sa.Table, ctx: CoercionContext
    ) -> sa.ColumnElement[bool]:
        column = table.c[column_of(field)]
        if op == "isnull":
            return column.is_(None) if value else column.is_not(None)
        if op == "in":
            values = [self.coerce_filter_value(field, "eq", v, ctx) for v in value]
            return column.in_(values)
        value = self.coerce_filter_value(field, op, value, ctx)
        if op == "contains":
            return self.contains_clause(column, value)
        clause: sa.ColumnElement[bool] = _COMPARE[op](column, value)
        return clause

    def contains_clause(self, column: sa.ColumnElement[Any], value: Any) -> sa.ColumnElement[bool]:
        pattern = "%" + escape_like(str(value).lower()) + "%"
        return sa.func.lower(column).like(pattern, escape="\\")

    # ---- schema evolution ----------------------------------------------------------
    def storage_change(self, old: Field, new: Field) -> str:
        """How changing ``old`` into ``new`` (same field, new definition) affects stored data."""
        if old.type is not new.type:
            return INCOMPATIBLE
        return SAME

    def loss_clause(self, old: Field, new: Field, table: sa.Table) -> sa.ColumnElement[bool] | None:
        """Rows whose stored value would not survive a narrowing change; None = all non-null."""
        return None

    def check_definition(self, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Type-specific consistency checks: (pointer suffix, message) pairs."""
        return []


def column_of(field: Field) -> str:
    """The column of a field stored in one column. A field that is not stored (a computed
    formula) has none; field types are never asked to store, read or filter such a field."""
    column = field.column
    if column is None:
        raise KeyError(f"{field.type.name} field {field.name!r} is not stored")
    return column


@contextlib.contextmanager
def unforeseen_input(field: Field) -> Iterator[None]:
    """Around a field type's handling of a client's value (coercion, a filter).

    Types check what they are given, but a TypeError/ValueError/ArithmeticError that one
    did not foresee is still the input's fault: it becomes a FieldError naming the field
    (a 4xx, not a 500), logged as a warning without a traceback so the type gets fixed.
    """
    try:
        yield
    except FieldError:
        raise
    except (TypeError, ValueError, ArithmeticError) as exc:
        log.warning(
            "%s field %s did not foresee its input: %s: %s",
            field.type.name,
            field.name,
            type(exc).__name__,
            str(exc)[:200],
        )
        raise FieldError("is not a valid {type} value", type=field.type.name) from None


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def require_type(value: Any, kinds: type | tuple[type, ...], what: str) -> None:
    if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
        raise FieldError(f"expected {what}, got a boolean")
    if not isinstance(value, kinds):
        raise FieldError(f"expected {what}, got {json_type_name(value)}")


def json_type_name(value: Any) -> str:
    """What a client sent, in JSON's words (a huge integer arrives as a Decimal)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, decimal.Decimal)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__

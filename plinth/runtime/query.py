"""List queries: parsing ``field__op=value`` arguments and compiling filters and sorts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from plinth.errors import ValidationError
from plinth.json_props import int_from_text
from plinth.runtime.field_types.base import (
    CoercionContext,
    FieldError,
    column_of,
    escape_like,
    unforeseen_input,
)
from plinth.runtime.model import Field, ObjectModel

OPERATORS = ("eq", "gt", "gte", "lt", "lte", "in", "contains", "isnull", "within")
RESERVED_ARGS = frozenset({"fields", "sort", "limit", "cursor", "q", "expand"})
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
MAX_IN_VALUES = 500
MAX_SEARCH_LENGTH = 200
NOT_NULL_SYSTEM = frozenset({"id", "created_at", "updated_at", "version"})


@dataclasses.dataclass(frozen=True)
class Filter:
    field: str
    op: str
    value: Any


@dataclasses.dataclass
class ListQuery:
    """A list request: filters, sort keys (``-name`` for descending), page size and cursor."""

    filters: list[Filter] = dataclasses.field(default_factory=list)
    sort: list[str] = dataclasses.field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    search: str | None = None
    fields: list[str] | None = None
    expand: list[str] = dataclasses.field(default_factory=list)


def parse_list_args(args: Mapping[str, Any]) -> ListQuery:
    """Build a ListQuery from query-string style arguments (values: str or list of str)."""
    errors: dict[str, list[str]] = {}
    query = ListQuery()

    def one(key: str) -> str:
        value = args[key]
        if isinstance(value, (list, tuple)):
            if len(value) != 1:
                errors.setdefault(key, []).append("may be given only once")
            value = value[0] if value else ""
        text: str = value
        return text

    for key in args:
        if key in RESERVED_ARGS:
            continue
        field, _, op = key.partition("__")
        op = op or "eq"
        if op not in OPERATORS:
            errors.setdefault(key, []).append(f"unknown operator {op!r}")
            continue
        raw = one(key)
        if op == "in":
            value: Any = [v for v in str(raw).split(",")]
            if len(value) > MAX_IN_VALUES:
                errors.setdefault(key, []).append(f"takes at most {MAX_IN_VALUES} values")
                continue
        elif op == "isnull":
            if str(raw).lower() not in ("true", "false"):
                errors.setdefault(key, []).append("must be true or false")
                continue
            value = str(raw).lower() == "true"
        else:
            value = raw
        query.filters.append(Filter(field, op, value))
    if "sort" in args:
        query.sort = [s.strip() for s in one("sort").split(",") if s.strip()]
    if "limit" in args:
        limit = int_from_text(str(one("limit")), 1, MAX_LIMIT)
        if limit is None:
            errors.setdefault("limit", []).append(f"must be a whole number from 1 to {MAX_LIMIT}")
        else:
            query.limit = limit
    if "cursor" in args:
        query.cursor = one("cursor") or None
    if "q" in args:
        query.search = one("q")
    if "fields" in args:
        query.fields = [f.strip() for f in one("fields").split(",") if f.strip()]
    if "expand" in args:
        query.expand = [f.strip() for f in one("expand").split(",") if f.strip()]
    if errors:
        raise ValidationError(errors)
    return query


class QueryCompiler:
    """Turns a ListQuery into SQL clauses for one object, checking every name and value."""

    def __init__(self, model: ObjectModel, ctx: CoercionContext, readable: frozenset[str] | None):
        self.model = model
        self.ctx = ctx
        self.readable = readable

    def _field(self, name: str, key: str, errors: dict[str, list[str]]) -> Field | None:
        field = self.model.fields.get(name)
        if field is None or (self.readable is not None and name not in self.readable):
            errors.setdefault(key, []).append(f"unknown field {name!r}")
            return None
        if not field.columns:
            errors.setdefault(key, []).append(f"{name} is computed and not stored")
            return None
        return field

    def filters(self, filters: list[Filter]) -> list[sa.ColumnElement[bool]]:
        errors: dict[str, list[str]] = {}
        clauses = []
        table = self.model.table
        for flt in filters:
            key = flt.field if flt.op == "eq" else f"{flt.field}__{flt.op}"
            field = self._field(flt.field, key, errors)
            if field is None:
                continue
            if flt.op not in field.type.filter_ops:
                allowed = ", ".join(sorted(field.type.filter_ops))
                errors.setdefault(key, []).append(
                    f"operator {flt.op!r} does not apply to a {field.type.name} field "
                    f"(allowed: {allowed})"
                )
                continue
            try:
                with unforeseen_input(field):
                    clause = field.type.filter_clause(field, flt.op, flt.value, table, self.ctx)
                clauses.append(clause)
            except FieldError as exc:
                errors.setdefault(key, []).append(str(exc))
        if errors:
            raise ValidationError(errors)
        return clauses

    def sort_keys(self, sort: list[str]) -> list[tuple[Field, bool]]:
        """(field, descending) pairs, always ending with id as the tie-breaker."""
        errors: dict[str, list[str]] = {}
        keys: list[tuple[Field, bool]] = []
        seen = set()
        for item in sort:
            descending = item.startswith("-")
            name = item.lstrip("-+")
            field = self._field(name, "sort", errors)
            if field is None:
                continue
            if not field.type.sortable or len(field.columns) != 1:
                errors.setdefault("sort", []).append(f"cannot sort on {name} ({field.type.name})")
                continue
            if name in seen:
                errors.setdefault("sort", []).append(f"{name} is given twice")
                continue
            seen.add(name)
            keys.append((field, descending))
        if errors:
            raise ValidationError(errors)
        if "id" not in seen:
            # Ties are broken by id, in the direction of the last key (index-friendly).
            keys.append((self.model.fields["id"], keys[-1][1] if keys else False))
        return keys

    def search(self, text: str | None) -> sa.ColumnElement[bool] | None:
        if text is None or not text.strip():
            return None
        if len(text) > MAX_SEARCH_LENGTH:
            raise ValidationError.single("q", f"is longer than {MAX_SEARCH_LENGTH} characters")
        names = [n for n in self.model.search_fields if self.readable is None or n in self.readable]
        if not names:
            title = self.model.title_field
            names = [title] if title and (self.readable is None or title in self.readable) else []
        if not names:
            raise ValidationError.single("q", f"{self.model.name} has no searchable fields")
        pattern = "%" + escape_like(text.strip().lower()) + "%"
        table = self.model.table
        return sa.or_(
            *(
                sa.func.lower(table.c[column_of(self.model.fields[n])]).like(pattern, escape="\\")
                for n in names
            )
        )


def order_by(keys: list[tuple[Field, bool]], table: sa.Table) -> list[sa.UnaryExpression[Any]]:
    """ORDER BY with NULLs sorted as the largest value (PostgreSQL's default) on both dialects."""
    clauses = []
    for field, descending in keys:
        column = table.c[column_of(field)]
        if field.name in NOT_NULL_SYSTEM:
            clauses.append(column.desc() if descending else column.asc())
        else:
            clauses.append(column.desc().nulls_first() if descending else column.asc().nulls_last())
    return clauses


class ColumnReader(Protocol):
    """What a list plan needs of a record reader (``record_reads.RecordReader``, which is
    above this module): the columns to select, with some more for the sort keys."""

    def columns(self, extra: Iterable[sa.Column[Any]] = ...) -> list[sa.Column[Any]]: ...


if TYPE_CHECKING:
    # sort keys, the SELECT, the ORDER BY
    ListPlan = tuple[
        list[tuple[Field, bool]], sa.Select[*tuple[Any, ...]], list[sa.UnaryExpression[Any]]
    ]


def list_plan(
    model: ObjectModel, reader: ColumnReader, compiler: QueryCompiler, sort: list[str]
) -> ListPlan:
    """Sort keys, the SELECT of the reader's columns and the ORDER BY, for a sort order.

    None of it depends on filter values, so it is built once per compiled model, visible
    field set and sort order (building SQLAlchemy constructs costs more than running them).
    """
    cache: dict[tuple[int, frozenset[str] | None, tuple[str, ...]], ListPlan]
    cache = model.__dict__.setdefault("_list_plans", {})
    key = (id(reader), compiler.readable, tuple(sort))
    plan = cache.get(key)
    if plan is None:
        keys = compiler.sort_keys(sort)
        table = model.table
        select = sa.select(*reader.columns([table.c[column_of(f)] for f, _ in keys]))
        plan = cache[key] = (keys, select, order_by(keys, table))
    return plan

"""Reading rows into records: field visibility, column choice and lookup expansion."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from plinth.errors import PermissionDenied, ValidationError
from plinth.runtime import system_tables as st
from plinth.runtime.field_types.base import FieldType
from plinth.runtime.model import Field, ObjectModel

if TYPE_CHECKING:
    from plinth.runtime.session import Session


class RecordReader:
    """Turns rows of one object into records holding only the fields the reader may see."""

    def __init__(
        self,
        model: ObjectModel,
        readable: frozenset[str] | None,
        names: Sequence[str] | None = None,
    ):
        self.model = model
        if names is not None:
            errors: dict[str, list[str]] = {}
            for name in names:
                field = model.fields.get(name)
                if field is None or (readable is not None and name not in readable):
                    errors.setdefault("fields", []).append(f"unknown field {name!r}")
            if errors:
                raise ValidationError(errors)
            wanted = ["id", *[n for n in names if n != "id"]]
        else:
            wanted = [n for n in model.fields if readable is None or n in readable or n == "id"]
        self.fields: list[Field] = [model.fields[n] for n in wanted]
        # Single-column fields whose stored value is the record value: copied directly.
        self._plain: list[tuple[str, str]] = [
            (f.name, f.columns[0])  # its one column: f.column
            for f in self.fields
            if len(f.columns) == 1 and type(f.type).from_row is FieldType.from_row
        ]
        self._special = [f for f in self.fields if (f.name, f.column) not in self._plain]
        self._pickers: dict[
            tuple[str, ...], tuple[tuple[str, ...], Callable[[sa.Row[Any]], tuple[Any, ...]]]
        ] = {}

    @classmethod
    def full(cls, model: ObjectModel) -> RecordReader:
        """The reader of every field, built once per compiled model."""
        return cls.cached(model, None, None)

    @classmethod
    def cached(
        cls, model: ObjectModel, readable: frozenset[str] | None, names: Sequence[str] | None
    ) -> RecordReader:
        """A reader kept on the compiled model, per visible-field set and field list."""
        cache: dict[tuple[frozenset[str] | None, tuple[str, ...] | None], RecordReader]
        cache = model.__dict__.setdefault("_readers", {})
        key = (readable, tuple(names) if names is not None else None)
        reader = cache.get(key)
        if reader is None:
            reader = cache[key] = cls(model, readable, names)
        return reader

    @functools.cached_property
    def base_columns(self) -> tuple[sa.Column[Any], ...]:
        return tuple(self.columns())

    def columns(self, extra: Iterable[sa.Column[Any]] = ()) -> list[sa.Column[Any]]:
        table = self.model.table
        names = {c for f in self.fields for c in f.columns}
        names.update(c.name for c in extra)
        return [table.c[n] for n in table.c.keys() if n in names]

    def to_record(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        """The record of a row (a ``RowMapping``: values by column name, or Column)."""
        record = {name: row[column] for name, column in self._plain}
        for field in self._special:
            record[field.name] = field.type.from_row(field, row)
        return record

    def to_records(self, rows: Sequence[sa.Row[Any]]) -> list[dict[str, Any]]:
        """The records of rows of one result (``Row`` tuples): the plain fields are picked
        by position, which costs far less per value than a lookup by name."""
        if not rows:
            return []
        names, pick = self._picker(rows[0]._fields)
        records = [dict(zip(names, pick(row), strict=True)) for row in rows]
        if self._special:
            for record, row in zip(records, rows, strict=True):
                mapping: Mapping[Any, Any] = row._mapping
                for field in self._special:
                    record[field.name] = field.type.from_row(field, mapping)
        return records

    def _picker(
        self, columns: tuple[str, ...]
    ) -> tuple[tuple[str, ...], Callable[[sa.Row[Any]], tuple[Any, ...]]]:
        """The plain fields' names and a function taking their values from a row whose
        columns are ``columns`` (kept per column list)."""
        picker = self._pickers.get(columns)
        if picker is None:
            position = {column: index for index, column in enumerate(columns)}
            names = tuple(name for name, _ in self._plain)
            indexes = [position[column] for _, column in self._plain]
            if not indexes:
                picker = names, lambda row: ()
            elif len(indexes) == 1:
                only = indexes[0]
                picker = names, lambda row: (row[only],)
            else:
                picker = names, operator.itemgetter(*indexes)
            self._pickers[columns] = picker
        return picker


def expand(
    session: Session,
    model: ObjectModel,
    records: list[dict[str, Any]],
    names: list[str],
    readable: frozenset[str] | None,
) -> None:
    """Replace lookup and user ids by the target records, one query per field (no N+1)."""
    errors: dict[str, list[str]] = {}
    for name in names:
        field = model.fields.get(name)
        if field is None or (readable is not None and name not in readable):
            errors.setdefault("expand", []).append(f"unknown field {name!r}")
        elif field.type.name not in ("lookup", "user"):
            errors.setdefault("expand", []).append(f"{name} is not a lookup or user field")
    if errors:
        raise ValidationError(errors)
    for name in names:
        field = model.fields[name]
        ids = {r[name] for r in records if isinstance(r.get(name), int)}
        if not ids:
            continue
        if field.type.name == "user":
            targets = _users(session, ids)
        else:
            target = session.compiled.object(field.spec["target"])
            try:
                found = session.records.get_many(target.name, ids)
            except PermissionDenied:
                continue  # the target object is not readable: the ids stay ids
            targets = {r["id"]: r for r in found}
        for record in records:
            value = record.get(name)
            if value in targets:
                record[name] = targets[value]


def _users(session: Session, ids: set[int]) -> dict[int, dict[str, Any]]:
    u = st.user
    rows = session.conn.execute(
        sa.select(u.c.id, u.c.name, u.c.email).where(u.c.id.in_(ids))
    ).mappings()
    return {row["id"]: dict(row) for row in rows}

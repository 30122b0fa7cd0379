"""Compiled object models: fields bound to their types, tables, and per-object lookups."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth.i18n import localize
from plinth.runtime import naming
from plinth.runtime.field_types.base import FieldType

SYSTEM_COLUMNS = (
    "id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "owner_id",
    "version",
)


class Field:
    """One field of an object: its definition (``spec``) bound to its field type."""

    def __init__(self, name: str, ftype: FieldType, spec: Mapping[str, Any], system: bool = False):
        self.name = name
        self.type = ftype
        self.spec = spec
        self.system = system
        self.columns = ftype.column_names(self)
        self.column = self.columns[0] if self.columns else None

    def __repr__(self) -> str:
        return f"<Field {self.name}:{self.type.name}>"

    @property
    def required(self) -> bool:
        return bool(self.spec.get("required"))

    @property
    def unique(self) -> bool:
        return bool(self.spec.get("unique"))

    @property
    def indexed(self) -> bool:
        return bool(self.spec.get("indexed"))

    @property
    def read_only(self) -> bool:
        return self.system or bool(self.spec.get("read_only")) or not self.type.writable

    @property
    def stored(self) -> bool:
        return bool(self.columns)

    def label(self, locale: str = "en") -> str:
        return localize(self.spec.get("label"), locale) or self.name.replace("_", " ").capitalize()

    @functools.cached_property
    def option_values(self) -> tuple[str, ...]:
        return tuple(o["value"] for o in self.spec.get("options", ()))


class ObjectModel:
    """An object compiled from its definition: fields, table and derived facts."""

    def __init__(self, spec: Mapping[str, Any], fields: dict[str, Field], table: sa.Table):
        self.spec = spec
        self.name: str = spec["name"]
        self.fields = fields
        self.table = table
        self.track_history = bool(spec.get("track_history"))
        self.title_field: str | None = spec.get("title_field")
        self.search_fields: tuple[str, ...] = tuple(spec.get("search_fields", ()))
        self.user_fields = [f for f in fields.values() if not f.system]
        self.stored_fields = [f for f in fields.values() if f.stored]
        self.signature_fields = [f for f in self.user_fields if f.type.name == "signature"]
        self.autonumber_fields = [f for f in self.user_fields if f.type.name == "autonumber"]
        # Formulas that are not stored are computed whenever a record is read.
        self.computed_fields = frozenset(
            f.name for f in self.user_fields if f.type.name == "formula" and not f.columns
        )
        self.unique_groups: list[list[Field]] = [[f] for f in self.user_fields if f.unique]
        for declared in spec.get("indexes", ()):
            if declared.get("unique"):
                self.unique_groups.append([fields[k.lstrip("-")] for k in declared["fields"]])

    def __repr__(self) -> str:
        return f"<ObjectModel {self.name}>"

    @property
    def table_name(self) -> str:
        return naming.table_name(self.name)

    def label(self, locale: str = "en", plural: bool = False) -> str:
        key = "label_plural" if plural else "label"
        return localize(self.spec.get(key), locale) or self.name.replace("_", " ").capitalize()

    def field(self, name: str) -> Field | None:
        return self.fields.get(name)

    # Statements built once per compiled revision: building SQLAlchemy constructs per call
    # costs more than running them. Parameters named _id/_version cannot clash with fields.
    @functools.cached_property
    def insert_statement(self) -> sa.Insert:
        return self.table.insert().returning(*self.table.c)

    @functools.cached_property
    def lock_statement(self) -> sa.Select[*tuple[Any, ...]]:
        return sa.select(self.table).where(self.table.c.id == sa.bindparam("_id")).with_for_update()

    @functools.cached_property
    def update_statement(self) -> sa.Update:
        """UPDATE by id and version; the SET clause comes from the parameters given."""
        table = self.table
        return (
            table.update()
            .where(table.c.id == sa.bindparam("_id"), table.c.version == sa.bindparam("_version"))
            .returning(*table.c)
        )

    @functools.cached_property
    def ids_in_statement(self) -> sa.Select[int]:
        """Which of the ids given as ``ids`` exist (lookup integrity checks)."""
        return sa.select(self.table.c.id).where(
            self.table.c.id.in_(sa.bindparam("ids", expanding=True))
        )

    def select_by_id(self, columns: tuple[sa.Column[Any], ...]) -> sa.Select[*tuple[Any, ...]]:
        cache: dict[tuple[sa.Column[Any], ...], sa.Select[*tuple[Any, ...]]]
        cache = self.__dict__.setdefault("_select_by_id", {})
        statement = cache.get(columns)
        if statement is None:
            statement = sa.select(*columns).where(self.table.c.id == sa.bindparam("_id"))
            cache[columns] = statement
        return statement

"""Compile object definitions into models and SQLAlchemy tables (once per revision)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import SchemaItem

from plinth.errors import NotFound
from plinth.runtime import naming
from plinth.runtime.field_types import REGISTRY
from plinth.runtime.field_types.base import column_of
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.sqltypes import UTCDateTime

SYSTEM_FIELD_SPECS: tuple[dict[str, Any], ...] = (
    {"name": "id", "type": "integer", "label": {"en": "ID", "zh-CN": "编号"}},
    {"name": "created_at", "type": "datetime", "label": {"en": "Created at", "zh-CN": "创建时间"}},
    {"name": "created_by", "type": "user", "label": {"en": "Created by", "zh-CN": "创建人"}},
    {"name": "updated_at", "type": "datetime", "label": {"en": "Updated at", "zh-CN": "更新时间"}},
    {"name": "updated_by", "type": "user", "label": {"en": "Updated by", "zh-CN": "更新人"}},
    {"name": "owner_id", "type": "user", "label": {"en": "Owner", "zh-CN": "负责人"}},
    {"name": "version", "type": "integer", "label": {"en": "Version", "zh-CN": "版本"}},
)


def _system_columns(table_name: str) -> list[SchemaItem]:
    # No database foreign keys to plinth_user: users are deactivated, never deleted, and a
    # foreign key would make every DROP of an object table take an exclusive lock on the
    # table that each authenticated request reads. The record service checks user ids.
    def user_column(column: str) -> sa.Column[int]:
        return sa.Column(column, sa.BigInteger, nullable=True)

    return [
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("created_at", UTCDateTime, nullable=False),
        user_column("created_by"),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        user_column("updated_by"),
        user_column("owner_id"),
        sa.Column("version", sa.Integer, nullable=False),
    ]


def new_sa_metadata() -> sa.MetaData:
    return sa.MetaData()


def compile_objects(
    object_docs: Mapping[str, Mapping[str, Any]], state_fields: Set[tuple[str, str]] = frozenset()
) -> tuple[dict[str, ObjectModel], sa.MetaData]:
    """Models and tables for all objects; ``state_fields`` (object, field) get an index."""
    metadata = new_sa_metadata()
    models = {}
    for name in sorted(object_docs):
        models[name] = _compile_object(object_docs[name], metadata, state_fields)
    return models, metadata


def _compile_object(
    spec: Mapping[str, Any], metadata: sa.MetaData, state_fields: Set[tuple[str, str]]
) -> ObjectModel:
    table_name = naming.table_name(spec["name"])
    fields: dict[str, Field] = {}
    for system_spec in SYSTEM_FIELD_SPECS:
        fields[system_spec["name"]] = Field(
            system_spec["name"], REGISTRY[system_spec["type"]], system_spec, system=True
        )
    items: list[SchemaItem] = _system_columns(table_name)
    for field_spec in spec.get("fields", ()):
        field = Field(field_spec["name"], REGISTRY[field_spec["type"]], field_spec)
        fields[field.name] = field
        items.extend(field.type.columns(field))
        target = field.type.foreign_key(field)
        if target and field.columns:
            column = column_of(field)
            items.append(
                sa.ForeignKeyConstraint(
                    [column], [target], name=naming.foreign_key_name(table_name, column)
                )
            )
    table = sa.Table(table_name, metadata, *items)
    for columns, unique in _index_plan(spec, fields, state_fields):
        _add_index(table, columns, unique)
    return ObjectModel(spec, fields, table)


def _index_plan(
    spec: Mapping[str, Any], fields: dict[str, Field], state_fields: Set[tuple[str, str]]
) -> list[tuple[list[str], bool]]:
    """Which column lists to index: defaults, lookups/geo, unique, indexed, state, declared."""
    plan: list[tuple[list[str], bool]] = [(["created_at"], False), (["owner_id"], False)]
    for field in fields.values():
        if field.system or not field.columns:
            continue
        for columns in field.type.extra_indexes(field):
            plan.append((columns, False))
        if field.unique or field.type.name == "autonumber":
            plan.append(([column_of(field)], True))
        elif field.indexed or (spec["name"], field.name) in state_fields:
            plan.append(([column_of(field)], False))
    for declared in spec.get("indexes", ()):
        columns = []
        for key in declared["fields"]:
            column = column_of(fields[key.lstrip("-")])
            columns.append(f"-{column}" if key.startswith("-") else column)
        plan.append((columns, bool(declared.get("unique"))))
    seen: dict[tuple[str, ...], int] = {}
    result: list[tuple[list[str], bool]] = []
    for columns, unique in plan:
        key = tuple(columns)
        if key in seen:  # keep one index per column list; unique wins
            index = seen[key]
            result[index] = (columns, result[index][1] or unique)
            continue
        seen[key] = len(result)
        result.append((columns, unique))
    return result


def _add_index(table: sa.Table, columns: list[str], unique: bool) -> None:
    expressions = [table.c[c[1:]].desc() if c.startswith("-") else table.c[c] for c in columns]
    plain = [c.lstrip("-") + ("_desc" if c.startswith("-") else "") for c in columns]
    sa.Index(naming.index_name(table.name, plain, unique), *expressions, unique=unique)


class CompiledMetadata:
    """All metadata of one revision, with objects compiled into models and tables."""

    def __init__(
        self,
        revision_id: int,
        documents: Mapping[str, Mapping[str, Any]],
        packs: Mapping[tuple[str, str], str | None] | None = None,
    ):
        self.revision_id = revision_id
        self.documents = documents
        self.packs = packs or {}
        self.objects, self.sa_metadata = compile_objects(
            documents.get("objects", {}), workflow_state_fields(documents)
        )

    def object(self, name: str) -> ObjectModel:
        """The model of an object, or NotFound."""
        model = self.objects.get(name)
        if model is None:
            raise NotFound(f"unknown object {name!r}")
        return model

    def docs(self, kind: str) -> Mapping[str, Mapping[str, Any]]:
        return self.documents.get(kind, {})


def workflow_state_fields(documents: Mapping[str, Mapping[str, Any]]) -> set[tuple[str, str]]:
    return {(wf["object"], wf["field"]) for wf in documents.get("workflows", {}).values()}

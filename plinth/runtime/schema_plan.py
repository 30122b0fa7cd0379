"""Plan a schema sync: compare object tables with the database and classify each change.

The comparison is alembic autogenerate's; each resulting operation is classified as safe
(new table, new column, new index, widening) or destructive (data would be lost), and
destructive ones carry the number of rows they would affect.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import ops
from sqlalchemy.engine import Connection
from sqlalchemy.schema import SchemaItem

from plinth.runtime.field_types.base import INCOMPATIBLE, NARROW, column_of
from plinth.runtime.model import Field, ObjectModel


@dataclasses.dataclass
class SchemaStep:
    """One change to the database, described for people and classified for safety."""

    action: str
    table: str
    description: str
    object: str | None = None
    field: str | None = None
    column: str | None = None
    change: str | None = None
    destructive: bool = False
    rows: int = 0
    blocking: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, False, 0)}


@dataclasses.dataclass
class SchemaPlan:
    steps: list[SchemaStep]
    tables: frozenset[str]

    @property
    def destructive_steps(self) -> list[SchemaStep]:
        return [s for s in self.steps if s.destructive]

    @property
    def blocking_steps(self) -> list[SchemaStep]:
        return [s for s in self.steps if s.blocking]

    def losses(self) -> list[dict[str, Any]]:
        return [s.as_dict() for s in self.destructive_steps]


def migration_context(conn: Connection, tables: Iterable[str]) -> MigrationContext:
    """An alembic context comparing only the given object tables."""
    wanted = frozenset(tables)

    def include_name(name: str | None, type_: str, _parents: Mapping[str, str | None]) -> bool:
        return name in wanted if type_ == "table" else True

    def include_object(
        obj: SchemaItem,
        name: str | None,
        type_: str,
        _reflected: bool,
        _compare_to: SchemaItem | None,
    ) -> bool:
        # include_name only filters reflected names; this filters the metadata side too.
        if type_ == "table":
            return name in wanted
        table = getattr(obj, "table", None)
        return table is None or table.name in wanted

    return MigrationContext.configure(
        conn,
        opts={"compare_type": True, "include_name": include_name, "include_object": include_object},
    )


def compare(
    conn: Connection, target: sa.MetaData, tables: Iterable[str]
) -> list[ops.MigrateOperation]:
    """Alembic's operations turning the database's ``tables`` into ``target``'s."""
    context = migration_context(conn, tables)
    with warnings.catch_warnings():
        # Mutually-referencing lookups make cycles that alembic warns about; FKs are added
        # after all tables exist (see schema_apply), so the order does not matter.
        warnings.filterwarnings("ignore", message=".*Cannot correctly sort tables.*")
        script = produce_migrations(context, target)
    assert script.upgrade_ops is not None  # produce_migrations always makes one
    return list(script.upgrade_ops.ops)


class Owners:
    """Which object and field own a table or column, before and after the change."""

    def __init__(self, models: Mapping[str, ObjectModel]):
        self.by_table = {m.table_name: m for m in models.values()}

    def model(self, table: str) -> ObjectModel | None:
        return self.by_table.get(table)

    def field(self, table: str, column: str) -> Field | None:
        model = self.by_table.get(table)
        if model is None:
            return None
        for field in model.stored_fields:
            if column in field.columns:
                return field
        return None


def plan_schema(
    conn: Connection,
    old_models: Mapping[str, ObjectModel],
    new_models: Mapping[str, ObjectModel],
    target: sa.MetaData,
    tables: Iterable[str],
) -> SchemaPlan:
    """Compare ``tables`` with ``target`` and classify every operation."""
    tables = frozenset(tables)
    old, new = Owners(old_models), Owners(new_models)
    steps: list[SchemaStep] = []
    created: set[str] = set()
    operations = compare(conn, target, tables)
    dropped = {op.table_name for op in operations if isinstance(op, ops.DropTableOp)}
    for op in operations:
        if isinstance(op, ops.CreateTableOp):
            created.add(op.table_name)
            model = new.model(op.table_name)
            steps.append(
                SchemaStep(
                    "create_table",
                    op.table_name,
                    f"create table {op.table_name}",
                    object=model.name if model else None,
                )
            )
        elif isinstance(op, ops.DropTableOp):
            steps.append(_drop_table_step(conn, op.table_name, old))
        elif isinstance(op, ops.ModifyTableOps):
            if op.table_name in dropped:
                continue  # the indexes of a table being dropped go with it
            for sub in op.ops:
                if op.table_name in created:  # indexes of a new, empty table
                    steps.append(SchemaStep("create_index", op.table_name, _describe(sub)))
                else:
                    steps.append(_column_step(conn, op.table_name, sub, old, new))
        else:
            steps.append(SchemaStep("other", "", type(op).__name__))
    steps.extend(_definition_narrowing(conn, old, new, tables, steps))
    return SchemaPlan(steps, tables)


def _definition_narrowing(
    conn: Connection, old: Owners, new: Owners, tables: Iterable[str], steps: list[SchemaStep]
) -> list[SchemaStep]:
    """Narrowing that changes no DDL (a select option removed) still loses data: find it."""
    altered = {(s.table, s.column) for s in steps if s.action in ("alter_column", "convert_column")}
    extra = []
    for table in sorted(tables):
        old_model, new_model = old.model(table), new.model(table)
        if old_model is None or new_model is None:
            continue
        for new_field in new_model.stored_fields:
            old_field = old_model.fields.get(new_field.name)
            if old_field is None or old_field.system or old_field.columns != new_field.columns:
                continue
            if (table, new_field.column) in altered:
                continue
            if old_field.type.storage_change(old_field, new_field) != NARROW:
                continue
            clause = old_field.type.loss_clause(old_field, new_field, old_model.table)
            rows = _non_null(conn, old_model.table, column_of(new_field), clause)
            extra.append(
                SchemaStep(
                    "alter_column",
                    table,
                    f"narrow {new_model.name}.{new_field.name}: {rows} values would not fit",
                    object=new_model.name,
                    field=new_field.name,
                    column=new_field.column,
                    change=NARROW,
                    destructive=rows > 0,
                    rows=rows,
                )
            )
    return extra


def _drop_table_step(conn: Connection, table: str, old: Owners) -> SchemaStep:
    rows = conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one()
    model = old.model(table)
    step = SchemaStep(
        "drop_table",
        table,
        f"drop table {table}",
        object=model.name if model else None,
        destructive=rows > 0,
        rows=rows,
    )
    if rows:
        step.description = f"remove object {step.object or table}: {rows} records would be archived"
    return step


def _column_step(
    conn: Connection, table: str, op: ops.MigrateOperation, old: Owners, new: Owners
) -> SchemaStep:
    model = new.model(table) or old.model(table)
    obj = model.name if model else None
    if isinstance(op, ops.AddColumnOp):
        field = new.field(table, op.column.name)
        return SchemaStep(
            "add_column",
            table,
            f"add column {table}.{op.column.name}",
            object=obj,
            field=field.name if field else None,
            column=op.column.name,
        )
    if isinstance(op, ops.DropColumnOp):
        return _drop_column_step(conn, table, op.column_name, obj, old)
    if isinstance(op, ops.AlterColumnOp):
        return _alter_column_step(conn, table, op, obj, old, new)
    if isinstance(op, ops.CreateIndexOp):
        return _create_index_step(conn, table, op, obj)
    if isinstance(op, ops.DropIndexOp):
        return SchemaStep("drop_index", table, f"drop index {op.index_name}", object=obj)
    if isinstance(op, ops.CreateForeignKeyOp):
        return SchemaStep(
            "add_foreign_key", table, f"add foreign key {op.constraint_name}", object=obj
        )
    if isinstance(op, ops.DropConstraintOp):
        return SchemaStep(
            "drop_constraint", table, f"drop constraint {op.constraint_name}", object=obj
        )
    return SchemaStep("other", table, f"{type(op).__name__} on {table}", object=obj)


def _non_null(
    conn: Connection,
    table: str | sa.Table,
    column: str,
    clause: sa.ColumnElement[bool] | None = None,
) -> int:
    """Rows holding a value in ``column`` (and matching ``clause``, built on ``table``)."""
    source = sa.table(table, sa.column(column)) if isinstance(table, str) else table
    query = sa.select(sa.func.count()).select_from(source).where(source.c[column].is_not(None))
    if clause is not None:
        query = query.where(clause)
    return conn.execute(query).scalar_one()


def _drop_column_step(
    conn: Connection, table: str, column: str, obj: str | None, old: Owners
) -> SchemaStep:
    field = old.field(table, column)
    derived = field is not None and field.type.name == "formula"
    rows = 0 if derived else _non_null(conn, table, column)
    step = SchemaStep(
        "drop_column",
        table,
        f"drop column {table}.{column}",
        object=obj,
        field=field.name if field else None,
        column=column,
        destructive=rows > 0,
        rows=rows,
    )
    if rows:
        step.description = (
            f"remove field {step.field or column} of {obj}: {rows} values would be archived"
        )
    return step


def _alter_column_step(
    conn: Connection,
    table: str,
    op: ops.AlterColumnOp,
    obj: str | None,
    old: Owners,
    new: Owners,
) -> SchemaStep:
    column = op.column_name
    old_field, new_field = old.field(table, column), new.field(table, column)
    step = SchemaStep(
        "alter_column",
        table,
        f"alter column {table}.{column}",
        object=obj,
        field=new_field.name if new_field else column,
        column=column,
    )
    if op.modify_type is None:
        return step
    if old_field is None or new_field is None:
        change = INCOMPATIBLE
    else:
        change = old_field.type.storage_change(old_field, new_field)
    step.change = change
    derived = old_field is not None and old_field.type.name == "formula"
    if change == NARROW and old_field is not None and new_field is not None:
        model = old.model(table)
        assert model is not None  # old_field is one of its fields
        clause = old_field.type.loss_clause(old_field, new_field, model.table)
        step.rows = 0 if derived else _non_null(conn, model.table, column, clause)
        step.description = f"narrow {obj}.{step.field}: {step.rows} values would not fit"
    elif change == INCOMPATIBLE:
        step.action = "convert_column"
        step.rows = 0 if derived else _non_null(conn, table, column)
        new_type = new_field.type.name if new_field else "?"
        step.description = (
            f"change the type of {obj}.{step.field} to {new_type}: {step.rows} values would be "
            "converted where possible and archived"
        )
    else:
        step.description = f"widen {obj}.{step.field}"
    step.destructive = step.rows > 0
    return step


def _create_index_step(
    conn: Connection, table: str, op: ops.CreateIndexOp, obj: str | None
) -> SchemaStep:
    step = SchemaStep("create_index", table, f"create index {op.index_name}", object=obj)
    names = [_column_name(c) for c in op.columns]
    if op.unique and _existing_columns(conn, table).issuperset(names):
        # (a column this change adds holds no values yet, so it cannot hold duplicates)
        columns: list[sa.ColumnClause[Any]] = [sa.column(name) for name in names]
        duplicates = conn.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(*columns)
                .select_from(sa.table(table, *columns))
                .where(*(c.is_not(None) for c in columns))
                .group_by(*columns)
                .having(sa.func.count() > 1)
                .subquery()
            )
        )
        if duplicates:
            shown = ", ".join(c.name for c in columns)
            step.blocking = f"{duplicates} values of {shown} appear more than once"
    return step


def _existing_columns(conn: Connection, table: str) -> set[str]:
    inspector = sa.inspect(conn)
    if not inspector.has_table(table):
        return set()
    return {column["name"] for column in inspector.get_columns(table)}


def _column_name(expression: Any) -> str:
    if isinstance(expression, str):
        return expression
    name: str = getattr(expression, "name", None) or expression.element.name
    return name


def _describe(op: ops.MigrateOperation) -> str:
    name = getattr(op, "index_name", None) or getattr(op, "constraint_name", None) or ""
    words = "".join(" " + c.lower() if c.isupper() else c for c in type(op).__name__[:-2])
    return f"{words.strip()} {name}".strip()

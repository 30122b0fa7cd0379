"""Apply a schema plan: archive what would be lost, convert changed columns, run alembic ops.

Order matters: values that a change would lose are copied to ``plinth_archive`` first;
incompatible type changes go through a temporary column filled value by value with the
new field type's coercion; removed objects' tables are copied to ``arc_*`` tables; then
alembic's comparison is run again and its operations applied (batch mode on SQLite); a
final comparison must come out empty, or the whole transaction rolls back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations, ops
from sqlalchemy.engine import Connection

from plinth.runtime import naming
from plinth.runtime import system_tables as st
from plinth.runtime.field_types.base import NARROW, CoercionContext, FieldError
from plinth.runtime.jsonable import to_jsonable
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.schema_plan import (
    Owners,
    SchemaPlan,
    SchemaStep,
    compare,
    migration_context,
)

log = logging.getLogger(__name__)
CONVERT_BATCH = 1000


class SchemaApplier:
    """Applies one plan inside the caller's DDL transaction."""

    def __init__(
        self,
        conn: Connection,
        old_models: dict[str, ObjectModel],
        new_models: dict[str, ObjectModel],
        target: sa.MetaData,
        revision_id: int | None,
    ):
        self.conn = conn
        self.old = Owners(old_models)
        self.new = Owners(new_models)
        self.target = target
        self.revision_id = revision_id
        self.now = dt.datetime.now(dt.UTC)
        self.sqlite = conn.dialect.name == "sqlite"

    def apply(self, plan: SchemaPlan) -> None:
        for step in plan.steps:
            if step.action == "drop_column" and step.rows:
                self._archive_column(step.table, _column(step))
            elif step.action == "alter_column" and step.change == NARROW and step.rows:
                self._archive_and_clear_narrowed(step.table, _column(step))
            elif step.action == "convert_column":
                self._convert_column(step.table, _column(step))
            elif step.action == "drop_table" and step.rows:
                self._archive_table(step.table, step.object)
        self._run_alembic(compare(self.conn, self.target, plan.tables), plan.tables)
        leftover = compare(self.conn, self.target, plan.tables)
        if leftover:
            raise RuntimeError(f"schema sync left differences: {leftover!r}")

    # ---- data preservation ----------------------------------------------------------
    def _archive_rows(
        self, table: str, column: str, clause: sa.ColumnElement[bool] | None = None
    ) -> None:
        model = self.old.model(table)
        source = (
            model.table
            if model is not None
            else sa.table(table, sa.column("id"), sa.column(column))
        )
        col = source.c[column]
        query = sa.select(
            sa.literal(self.revision_id, sa.BigInteger),
            sa.literal(model.name if model else table),
            sa.literal(column),
            source.c.id,
            sa.cast(col, sa.Text),
            sa.literal(self.now, st.archive.c.archived_at.type),
        ).where(col.is_not(None))
        if clause is not None:
            query = query.where(clause)
        self.conn.execute(
            st.archive.insert().from_select(
                ["revision_id", "object", "column_name", "record_id", "value", "archived_at"],
                query,
            )
        )

    def _archive_column(self, table: str, column: str) -> None:
        self._archive_rows(table, column)

    def _archive_and_clear_narrowed(self, table: str, column: str) -> None:
        old_field, new_field = self.old.field(table, column), self.new.field(table, column)
        old_model = self.old.model(table)
        # A narrowing step is planned for a field that is in both definitions.
        assert old_model is not None and old_field is not None and new_field is not None
        old_table = old_model.table
        clause = old_field.type.loss_clause(old_field, new_field, old_table)
        self._archive_rows(table, column, clause)
        col = old_table.c[column]
        # No loss clause means every value is lost (as _archive_rows reads it); where(x, None)
        # would instead match no row at all.
        lost = col.is_not(None) if clause is None else sa.and_(col.is_not(None), clause)
        narrow = getattr(new_field.type, "narrow_value", None)
        if narrow is None:
            self.conn.execute(sa.update(old_table).where(lost).values({column: None}))
            return
        # Keep what still fits (e.g. the remaining options of a multiselect).
        rows = self.conn.execute(sa.select(old_table.c.id, col).where(lost))
        for record_id, value in rows.all():
            kept, _ = narrow(old_field, new_field, value)
            stored = new_field.type.to_row(new_field, kept)[column]
            self.conn.execute(
                sa.update(old_table).where(old_table.c.id == record_id).values({column: stored})
            )

    def _archive_table(self, table: str, object_name: str | None) -> None:
        archive_name = naming.archived_table_name(object_name or table, self.revision_id or 0)
        quote = self.conn.dialect.identifier_preparer.quote
        self.conn.exec_driver_sql(
            f"CREATE TABLE {quote(archive_name)} AS SELECT * FROM {quote(table)}"
        )
        rows = self.conn.scalar(sa.select(sa.func.count()).select_from(sa.table(archive_name)))
        self.conn.execute(
            st.archived_table.insert(),
            {
                "revision_id": self.revision_id,
                "object": object_name or table,
                "table_name": archive_name,
                "row_count": rows,
                "archived_at": self.now,
            },
        )
        log.info("archived %s rows of %s into %s", rows, table, archive_name)

    # ---- incompatible type changes ----------------------------------------------------
    def _convert_column(self, table: str, column: str) -> None:
        old_field, new_field = self.old.field(table, column), self.new.field(table, column)
        self._archive_rows(table, column)
        temp = naming.column_name(column, "conv")
        op = Operations(migration_context(self.conn, [table]))
        new_column = self.target.tables[table].c[column]
        op.add_column(table, sa.Column(temp, new_column.type, nullable=True))
        if old_field is not None and new_field is not None:
            self._copy_converted(table, column, temp, old_field, new_field, new_column.type)
        self._drop_indexes_on(table, column)
        if self.sqlite:
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.drop_column(column)
                batch.alter_column(temp, new_column_name=column)
        else:
            op.drop_column(table, column)
            op.alter_column(table, temp, new_column_name=column)

    def _copy_converted(
        self,
        table: str,
        column: str,
        temp: str,
        old_field: Field,
        new_field: Field,
        new_type: sa.types.TypeEngine[Any],
    ) -> None:
        old_model = self.old.model(table)
        assert old_model is not None  # old_field is one of its fields
        source = old_model.table
        target = sa.table(table, sa.column("id"), sa.column(temp, new_type))
        ctx = CoercionContext(dialect=self.conn.dialect.name)
        last_id = 0
        converted = failed = 0
        while True:
            rows = self.conn.execute(
                sa.select(source.c.id, source.c[column])
                .where(source.c.id > last_id, source.c[column].is_not(None))
                .order_by(source.c.id)
                .limit(CONVERT_BATCH)
            ).all()
            if not rows:
                break
            updates = []
            for record_id, raw in rows:
                value = old_field.type.from_row(old_field, {column: raw})
                try:
                    new_value = new_field.type.coerce(new_field, to_jsonable(value), ctx)
                except FieldError:
                    failed += 1
                    continue
                stored = new_field.type.to_row(new_field, new_value)[column]
                updates.append({"rid": record_id, "v": stored})
            if updates:
                self.conn.execute(
                    target.update()
                    .where(target.c.id == sa.bindparam("rid"))
                    .values({temp: sa.bindparam("v", type_=new_type)}),
                    updates,
                )
                converted += len(updates)
            last_id = rows[-1][0]
        log.info(
            "converted %s.%s: %s values kept, %s archived only", table, column, converted, failed
        )

    def _drop_indexes_on(self, table: str, column: str) -> None:
        inspector = sa.inspect(self.conn)
        op = Operations(migration_context(self.conn, [table]))
        for index in inspector.get_indexes(table):
            if column in (index.get("column_names") or ()):
                name = index["name"]
                assert name is not None  # both databases name every index they report
                op.drop_index(name, table_name=table)

    # ---- structure ------------------------------------------------------------------
    def _run_alembic(self, operations: list[ops.MigrateOperation], tables: Iterable[str]) -> None:
        op = Operations(migration_context(self.conn, tables))
        deferred_fks: list[ops.CreateForeignKeyOp] = []
        for operation in operations:
            if isinstance(operation, ops.CreateTableOp):
                if not self.sqlite:
                    operation, fks = _without_foreign_keys(operation)
                    deferred_fks.extend(fks)
                op.invoke(operation)
            elif isinstance(operation, ops.DropTableOp):
                op.invoke(operation)
            elif isinstance(operation, ops.ModifyTableOps):
                if self.sqlite:
                    with op.batch_alter_table(operation.table_name, recreate="auto") as batch:
                        for sub in operation.ops:
                            batch.invoke(sub)
                else:
                    for sub in operation.ops:
                        op.invoke(sub)
            else:
                op.invoke(operation)
        for fk in deferred_fks:
            op.invoke(fk)


def _column(step: SchemaStep) -> str:
    """The column of a drop, alter or convert step (each is planned for one)."""
    assert step.column is not None, step
    return step.column


def _without_foreign_keys(
    operation: ops.CreateTableOp,
) -> tuple[ops.CreateTableOp, list[ops.CreateForeignKeyOp]]:
    """Split a CREATE TABLE so its foreign keys can be added once every table exists."""
    table = operation.to_table()
    fks = [c for c in table.constraints if isinstance(c, sa.ForeignKeyConstraint)]
    for fk in fks:
        table.constraints.discard(fk)
    for column in table.columns:
        column.foreign_keys.clear()
    return ops.CreateTableOp.from_table(table), [
        ops.CreateForeignKeyOp.from_constraint(f) for f in fks
    ]

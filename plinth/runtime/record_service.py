"""The record service: the single path for creating, reading, updating and deleting records.

API, UI, workflows, rules and packs all come through here, so defaults, coercion,
validation, permissions, optimistic locking, history and hooks apply the same everywhere.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from plinth.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationError
from plinth.i18n import Message, Named
from plinth.runtime.autonumber import next_number
from plinth.runtime.events import FormulasRead, RecordEvent
from plinth.runtime.field_types.base import FieldError, column_of
from plinth.runtime.field_types.signature import PendingSignature, SignatureType
from plinth.runtime.field_types.signature_strokes import CONTENT_TYPE as STROKES
from plinth.runtime.history import read_history, record_history
from plinth.runtime.keyset import after_clause, decode_cursor, encode_cursor
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.query import ListQuery, QueryCompiler, list_plan
from plinth.runtime.record_integrity import check_references, check_unique, referencing_fields
from plinth.runtime.record_reads import RecordReader, expand
from plinth.runtime.record_values import coerce_input, defaults_for, missing_required

if TYPE_CHECKING:
    from plinth.runtime.session import Session


class Page(NamedTuple):
    data: list[dict[str, Any]]
    next_cursor: str | None


def _record_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise NotFound("no such record")
    try:
        number = int(value)
    except ValueError:
        raise NotFound(f"no record with id {value!r}") from None
    if not 0 < number < 2**63:
        raise NotFound(f"no record with id {value!r}")
    return number


class RecordService:
    """CRUD and queries for every object, bound to one session (transaction + actor)."""

    def __init__(self, session: Session):
        self.session = session

    # ---- reading ----------------------------------------------------------------------
    def get(
        self,
        object_name: str,
        record_id: Any,
        fields: list[str] | None = None,
        expand_fields: Iterable[str] = (),
    ) -> dict[str, Any]:
        """One record with the fields the actor may read; NotFound if absent or hidden."""
        model = self._model(object_name)
        guard = self.session.guard
        guard.check(model, "read")
        readable = guard.readable(model)
        reader = RecordReader.cached(model, readable, fields)
        record_id = _record_id(record_id)
        query = model.select_by_id(reader.base_columns)
        visible = guard.row_filter(model, "read")
        if visible is not None:
            query = query.where(visible)
        row = self.session.conn.execute(query, {"_id": record_id}).mappings().first()
        if row is None:
            raise NotFound(f"no {model.name} with id {record_id}")
        record = reader.to_record(row)
        self._computed(model, [record], reader)
        if expand_fields:
            expand(self.session, model, [record], list(expand_fields), readable)
        return record

    def get_many(self, object_name: str, ids: Iterable[int]) -> list[dict[str, Any]]:
        """The visible records among ``ids`` (in no particular order)."""
        model = self._model(object_name)
        guard = self.session.guard
        guard.check(model, "read")
        reader = RecordReader.cached(model, guard.readable(model), None)
        query = sa.select(*reader.base_columns).where(model.table.c.id.in_(set(ids)))
        visible = guard.row_filter(model, "read")
        if visible is not None:
            query = query.where(visible)
        records = reader.to_records(self.session.conn.execute(query).all())
        self._computed(model, records, reader)
        return records

    def list(self, object_name: str, query: ListQuery | None = None) -> Page:
        """A page of records matching filters and search, sorted, with a keyset cursor."""
        query = query or ListQuery()
        model = self._model(object_name)
        guard = self.session.guard
        guard.check(model, "read")
        readable = guard.readable(model)
        compiler = QueryCompiler(model, self.session.coercion, readable)
        clauses = compiler.filters(query.filters)
        search = compiler.search(query.search)
        reader = RecordReader.cached(model, readable, query.fields)
        keys, base, ordering = list_plan(model, reader, compiler, query.sort)
        table = model.table
        stmt = base.where(*clauses)
        if search is not None:
            stmt = stmt.where(search)
        visible = guard.row_filter(model, "read")
        if visible is not None:
            stmt = stmt.where(visible)
        if query.cursor:
            values = decode_cursor(query.cursor, keys, self.session.coercion)
            stmt = stmt.where(after_clause(keys, values, table))
        stmt = stmt.order_by(*ordering).limit(query.limit + 1)
        rows = self.session.conn.execute(stmt).all()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        data = reader.to_records(rows)
        self._computed(model, data, reader)
        if query.expand:
            expand(self.session, model, data, query.expand, readable)
        return Page(data, encode_cursor(keys, rows[-1]._mapping) if more and rows else None)

    def count(self, object_name: str, query: ListQuery | None = None) -> int:
        """How many visible records match the query's filters and search."""
        query = query or ListQuery()
        model = self._model(object_name)
        guard = self.session.guard
        guard.check(model, "read")
        compiler = QueryCompiler(model, self.session.coercion, guard.readable(model))
        stmt = sa.select(sa.func.count()).select_from(model.table)
        stmt = stmt.where(*compiler.filters(query.filters))
        search = compiler.search(query.search)
        if search is not None:
            stmt = stmt.where(search)
        visible = guard.row_filter(model, "read")
        if visible is not None:
            stmt = stmt.where(visible)
        return self.session.conn.execute(stmt).scalar_one()

    # (``builtins.list``: within the class, ``list`` names the method above)
    def history(
        self, object_name: str, record_id: Any, limit: int = 100, before: int | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Field history of a visible record, limited to fields the actor may read."""
        model = self._model(object_name)
        self.get(object_name, record_id, fields=["id"])
        readable = self.session.guard.readable(model)
        return read_history(
            self.session.conn, model.name, _record_id(record_id), readable, limit, before
        )

    # ---- writing ----------------------------------------------------------------------
    def create(self, object_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record; returns it as the actor may see it."""
        model = self._model(object_name)
        session, guard = self.session, self.session.guard
        guard.check(model, "create")
        ctx = session.coercion
        given = coerce_input(
            model,
            values,
            ctx,
            guard.readable(model),
            guard.editable(model),
            session.actor.is_system or session.trusted_writes,
        )
        record = {**defaults_for(model, given, ctx), **given}
        if record.get("owner_id") is None:
            record["owner_id"] = session.actor.id
        if not guard.allows_owner(model, "create", record["owner_id"]):
            raise PermissionDenied(f"you may not create {model.name} records owned by others")
        self._fire("before_save", "create", model, record, None, set(record))
        errors = missing_required(model, record)
        if errors:
            raise ValidationError(errors)
        check_references(session, model, record)
        check_unique(session, model, record, set(record))
        now = self.session.tenant.clock()
        self._store_signatures(model, record, now)
        self._number(model, record, now)
        row = self._row_values(model, record, record.keys())
        row.update(
            created_at=now,
            created_by=session.actor.id,
            updated_at=now,
            updated_by=session.actor.id,
            owner_id=record["owner_id"],
            version=1,
        )
        inserted = session.conn.execute(model.insert_statement, row).mappings().one()
        full = RecordReader.full(model).to_record(inserted)
        if model.track_history:
            snapshot = {f.name: full[f.name] for f in model.user_fields if f.stored}
            record_history(
                session.conn,
                model.name,
                full["id"],
                1,
                "create",
                [(None, None, snapshot)],
                session.actor.id,
                now,
            )
        self._fire("after_save", "create", model, full, None, set(record))
        return self._visible(model, full)

    def update(
        self,
        object_name: str,
        record_id: Any,
        values: Mapping[str, Any],
        expected_version: int | None = None,
        touch: bool = False,
    ) -> dict[str, Any]:
        """Change some fields; with ``expected_version``, refuse if the record moved on.

        ``touch`` saves (new version, hooks fired) even when no value changes: a workflow
        transition that stays in its state is still an event."""
        model = self._model(object_name)
        session, guard = self.session, self.session.guard
        guard.check(model, "update")
        given = coerce_input(
            model,
            values,
            session.coercion,
            guard.readable(model),
            guard.editable(model),
            session.actor.is_system or session.trusted_writes,
        )
        current = self._lock(model, record_id, "update")
        self._check_version(model, current, expected_version)
        full = self._update_row(model, current, given, touch)
        return self._visible(model, full)

    def lock(
        self,
        object_name: str,
        record_id: Any,
        action: str = "update",
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Lock a record the actor may ``action`` for the rest of the transaction; the full
        record (every field, whatever the actor may read) for engine checks. With
        ``expected_version``, refuse if the record moved on."""
        model = self._model(object_name)
        self.session.guard.check(model, action)
        row = self._lock(model, record_id, action)
        self._check_version(model, row, expected_version)
        return RecordReader.full(model).to_record(row)

    def delete(self, object_name: str, record_id: Any, expected_version: int | None = None) -> None:
        """Delete a record, applying each referencing lookup's on_delete rule."""
        model = self._model(object_name)
        self.session.guard.check(model, "delete")
        current = self._lock(model, record_id, "delete")
        self._check_version(model, current, expected_version)
        self._delete_row(model, current, set())

    # ---- internals ----------------------------------------------------------------------
    def _model(self, object_name: str) -> ObjectModel:
        return self.session.compiled.object(object_name)

    def _computed(
        self,
        model: ObjectModel,
        records: builtins.list[dict[str, Any]],
        reader: RecordReader | None = None,
    ) -> None:
        """Fill in formulas that are not stored (computed on every read)."""
        if not model.computed_fields or not records:
            return
        wanted = model.computed_fields
        if reader is not None:
            wanted = wanted & {f.name for f in reader.fields}
        if wanted:
            self.session.tenant.events.publish(
                FormulasRead(self.session, model, records, frozenset(wanted))
            )

    def _visible(self, model: ObjectModel, full: dict[str, Any]) -> dict[str, Any]:
        self._computed(model, [full])
        readable = self.session.guard.readable(model)
        if readable is None:
            return full
        return {k: v for k, v in full.items() if k in readable or k == "id"}

    def _lock(self, model: ObjectModel, record_id: Any, action: str) -> RowMapping:
        record_id = _record_id(record_id)
        query = model.lock_statement
        visible = self.session.guard.row_filter(model, action)
        if visible is not None:
            query = query.where(visible)
        row = self.session.conn.execute(query, {"_id": record_id}).mappings().first()
        if row is None:
            raise NotFound(f"no {model.name} with id {record_id}")
        return row

    def _check_version(self, model: ObjectModel, row: RowMapping, expected: int | None) -> None:
        if expected is None or row["version"] == expected:
            return
        raise StaleVersion(
            Message(
                "{object} {id} is at version {version}, not {expected}: "
                "it was changed since you read it",
                object=Named(model.name, model.spec.get("label")),
                id=row["id"],
                version=row["version"],
                expected=expected,
            ),
            current_version=row["version"],
            updated_by=row["updated_by"],
            updated_at=row["updated_at"],
        )

    def _update_row(
        self, model: ObjectModel, current: RowMapping, given: dict[str, Any], touch: bool = False
    ) -> dict[str, Any]:
        session = self.session
        reader = RecordReader.full(model)
        old = reader.to_record(current)
        record = dict(old)
        changed = set()
        for name, value in given.items():
            field = model.fields[name]
            before = old.get(name)
            if value == before or (field.type.is_empty(value) and field.type.is_empty(before)):
                continue
            check = getattr(field.type, "check_update", None)
            if check is not None:
                try:
                    check(field, before, value)
                except ValueError as exc:
                    message = exc.message if isinstance(exc, FieldError) else str(exc)
                    raise ValidationError.single(name, message) from None
            record[name] = value
            changed.add(name)
        if not changed and not touch:
            return old
        self._fire("before_save", "update", model, record, old, changed)
        changed = {n for n in record if record[n] != old.get(n)}
        errors = missing_required(model, record, changed)
        if errors:
            raise ValidationError(errors)
        if "owner_id" in changed and not session.guard.allows_owner(
            model, "update", record["owner_id"]
        ):
            raise PermissionDenied(f"you may not give this {model.name} to that owner")
        check_references(session, model, {n: record[n] for n in changed}, old)
        check_unique(session, model, record, changed, exclude_id=old["id"])
        now = self.session.tenant.clock()
        self._store_signatures(model, record, now)
        values = self._row_values(model, record, changed)
        values.update(updated_at=now, updated_by=session.actor.id, version=old["version"] + 1)
        if "owner_id" in changed:
            values["owner_id"] = record["owner_id"]
        values.update(_id=old["id"], _version=old["version"])
        updated = session.conn.execute(model.update_statement, values).mappings().first()
        if updated is None:
            raise StaleVersion(
                Message(
                    "{object} {id} was changed by someone else meanwhile",
                    object=Named(model.name, model.spec.get("label")),
                    id=old["id"],
                )
            )
        full = reader.to_record(updated)
        entries = [(n, old.get(n), full.get(n)) for n in sorted(changed) if n in full]
        if model.track_history and entries:
            record_history(
                session.conn,
                model.name,
                old["id"],
                full["version"],
                "update",
                entries,
                session.actor.id,
                now,
            )
        self._fire("after_save", "update", model, full, old, changed)
        return full

    def _delete_row(
        self, model: ObjectModel, row: RowMapping, visiting: set[tuple[str, int]]
    ) -> None:
        key = (model.name, row["id"])
        if key in visiting:
            return
        visiting.add(key)
        session = self.session
        old = RecordReader.full(model).to_record(row)
        self._fire("before_delete", "delete", model, old, old, set())
        for other, field in referencing_fields(session, model):
            self._apply_on_delete(model, row["id"], other, field, visiting)
        session.conn.execute(model.table.delete().where(model.table.c.id == row["id"]))
        if model.track_history:
            snapshot = {f.name: old[f.name] for f in model.user_fields if f.stored}
            record_history(
                session.conn,
                model.name,
                row["id"],
                row["version"],
                "delete",
                [(None, snapshot, None)],
                session.actor.id,
                self.session.tenant.clock(),
            )
        self._fire("after_delete", "delete", model, old, old, set())

    def _apply_on_delete(
        self,
        model: ObjectModel,
        record_id: int,
        other: ObjectModel,
        field: Field,
        visiting: set[tuple[str, int]],
    ) -> None:
        rule = field.spec.get("on_delete", "restrict")
        column = other.table.c[column_of(field)]
        if rule == "restrict":
            count = self.session.conn.scalar(
                sa.select(sa.func.count()).select_from(other.table).where(column == record_id)
            )
            if count:
                raise Conflict(
                    f"cannot delete {model.name} {record_id}: {count} {other.name} record(s) "
                    f"refer to it through {field.name}",
                    references=[{"object": other.name, "field": field.name, "count": count}],
                )
            return
        rows = (
            self.session.conn.execute(
                sa.select(other.table).where(column == record_id).with_for_update()
            )
            .mappings()
            .all()
        )
        # Done on the deleting user's behalf: their grant on the other object does not apply.
        service = RecordService(self.session.with_full_access())
        for ref in rows:
            if rule == "cascade":
                service._delete_row(other, ref, visiting)
            else:
                service._update_row(other, ref, {field.name: None})

    def _row_values(
        self, model: ObjectModel, record: dict[str, Any], names: Iterable[str]
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in names:
            field = model.fields[name]
            if field.system or not field.columns:
                continue
            values.update(field.type.to_row(field, record.get(name)))
        return values

    def _store_signatures(
        self, model: ObjectModel, record: dict[str, Any], now: dt.datetime
    ) -> None:
        files, conn, actor_id = self.session.tenant.files, self.session.conn, self.session.actor.id
        for field in model.signature_fields:
            pending = record.get(field.name)
            if isinstance(pending, PendingSignature):
                assert isinstance(field.type, SignatureType)  # signature_fields: by type name
                extension = "png" if pending.content_type == "image/png" else "jpg"
                prefix = f"{model.name}-{field.name}"
                image = files.put(
                    conn,
                    pending.image,
                    f"{prefix}-signature.{extension}",
                    pending.content_type,
                    actor_id,
                )
                strokes = None
                if pending.strokes is not None:
                    strokes = files.put(
                        conn, pending.strokes.data, f"{prefix}-strokes.json", STROKES, actor_id
                    )
                record[field.name] = field.type.stored_value(pending, image, now, strokes)

    def _number(self, model: ObjectModel, record: dict[str, Any], now: dt.datetime) -> None:
        tenant = self.session.tenant
        for field in model.autonumber_fields:
            record[field.name] = next_number(
                tenant.database, self.session.conn, model.name, field, now, tenant.zone
            )

    def _fire(
        self,
        event: str,
        action: str,
        model: ObjectModel,
        values: dict[str, Any],
        old: dict[str, Any] | None,
        changed: set[str],
    ) -> None:
        events = self.session.tenant.events
        if events.has(event, model.name):
            events.publish(RecordEvent(event, action, self.session, model, values, old, changed))

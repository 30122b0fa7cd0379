"""Integrity checks around a write: referenced rows exist, unique values stay unique."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from plinth.errors import ValidationError
from plinth.i18n import Message, Named
from plinth.runtime import system_tables as st
from plinth.runtime.field_types.base import column_of
from plinth.runtime.field_types.references import AttachmentType
from plinth.runtime.file_access import may_read_file
from plinth.runtime.model import Field, ObjectModel

if TYPE_CHECKING:
    from plinth.runtime.session import Session


_ACTIVE_USERS = sa.select(st.user.c.id).where(
    st.user.c.id.in_(sa.bindparam("ids", expanding=True)), st.user.c.active.is_(True)
)


def check_references(
    session: Session,
    model: ObjectModel,
    values: dict[str, Any],
    old: dict[str, Any] | None = None,
) -> None:
    """Every lookup, user and attachment value names a row that exists and may be seen.

    A file newly put on the record (not in ``old``) must be one the writer may read:
    whoever can read the record can download its files, so attaching a file id is no way
    to read a file that is someone else's."""
    errors: dict[str, list[str]] = {}
    by_target: dict[str, list[tuple[Field, int]]] = {}
    users: list[tuple[Field, int]] = []
    files: list[tuple[Field, str]] = []
    for name, value in values.items():
        field = model.fields[name]
        if value is None:
            continue
        kind = field.type.name
        if kind == "lookup":
            by_target.setdefault(field.spec["target"], []).append((field, value))
        elif kind == "user":
            if value == session.actor.id:
                continue  # the acting user is active: they were just authenticated
            users.append((field, value))
        elif isinstance(field.type, AttachmentType):
            before = old.get(name) if old else None
            kept = set(field.type.file_ids(field, before)) if before else set()
            files.extend(
                (field, file_id)
                for file_id in field.type.file_ids(field, value)
                if file_id not in kept
            )
    for target, pairs in by_target.items():
        target_model = session.compiled.object(target)
        named = Named(target, target_model.spec.get("label"))
        ids = sorted({value for _, value in pairs})
        query = target_model.ids_in_statement
        visible = session.guard.row_filter(target_model, "read")
        if visible is not None:
            query = query.where(visible)
        found = set(session.conn.scalars(query, {"ids": ids}))
        for field, value in pairs:
            if value not in found:
                errors.setdefault(field.name, []).append(
                    Message("no {object} with id {id}", object=named, id=value)
                )
    if users:
        ids = sorted({value for _, value in users})
        found = set(session.conn.scalars(_ACTIVE_USERS, {"ids": ids}))
        for field, value in users:
            if value not in found:
                errors.setdefault(field.name, []).append(
                    Message("no active user with id {id}", id=value)
                )
    if files:
        readable = _readable_files(session, {f for _, f in files})
        for field, file_id in files:
            if file_id not in readable:
                errors.setdefault(field.name, []).append(
                    Message("no file with id {id}", id=file_id)
                )
    if errors:
        raise ValidationError(errors)


def _readable_files(session: Session, file_ids: set[str]) -> set[str]:
    """The ids among ``file_ids`` of files that exist and the actor may read (a file the
    actor may not read is reported as missing, as a hidden record is)."""
    rows = session.conn.execute(
        sa.select(st.file.c.id, st.file.c.created_by).where(st.file.c.id.in_(sorted(file_ids)))
    ).mappings()
    return {row["id"] for row in rows if may_read_file(session, dict(row))}


def check_unique(
    session: Session,
    model: ObjectModel,
    record: dict[str, Any],
    changed: set[str],
    exclude_id: int | None = None,
) -> None:
    """Unique fields and declared unique indexes touched by this write keep unique values."""
    errors: dict[str, list[str]] = {}
    table = model.table
    for group in model.unique_groups:
        if not any(f.name in changed for f in group):
            continue
        values = [record.get(f.name) for f in group]
        if any(v is None for v in values):
            continue
        query = sa.select(table.c.id).where(
            *(table.c[column_of(f)] == v for f, v in zip(group, values, strict=True))
        )
        if exclude_id is not None:
            query = query.where(table.c.id != exclude_id)
        if session.conn.execute(query.limit(1)).first() is not None:
            message = "must be unique: another record has this value"
            if len(group) > 1:
                others = [Named(f.name, f.spec.get("label")) for f in group[1:]]
                message = Message("must be unique together with {fields}", fields=others)
            errors.setdefault(group[0].name, []).append(message)
    if errors:
        raise ValidationError(errors)


def referencing_fields(session: Session, model: ObjectModel) -> list[tuple[ObjectModel, Field]]:
    """Lookup fields of any object that point at ``model``."""
    result = []
    for other in session.compiled.objects.values():
        for field in other.user_fields:
            if field.type.name == "lookup" and field.spec["target"] == model.name:
                result.append((other, field))
    return result

"""Who may download a file: its uploader, an administrator, or whoever can read a record
that holds it in an attachment or signature field they may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from plinth.errors import PermissionDenied
from plinth.runtime.field_types.base import column_of
from plinth.runtime.field_types.references import AttachmentType
from plinth.runtime.sqljson import array_contains, member_equals

if TYPE_CHECKING:
    from plinth.runtime.session import Session


def may_read_file(session: Session, file_row: dict[str, Any]) -> bool:
    actor = session.actor
    if actor.is_admin or (actor.id is not None and file_row["created_by"] == actor.id):
        return True
    dialect = session.conn.dialect.name
    file_id = file_row["id"]
    for model in session.compiled.objects.values():
        holders = [f for f in model.user_fields if f.type.name in ("attachment", "signature")]
        if not holders:
            continue
        try:
            session.guard.check(model, "read")
        except PermissionDenied:
            continue
        readable = session.guard.readable(model)
        clauses = []
        for field in holders:
            if readable is not None and field.name not in readable:
                continue
            column = model.table.c[column_of(field)]
            if field.type.name == "signature":  # its image, or the JSON of its strokes
                clauses.append(member_equals(column, "file", file_id, dialect))
                clauses.append(member_equals(column, "strokes.file", file_id, dialect))
            elif isinstance(field.type, AttachmentType) and field.type.multiple(field):
                clauses.append(array_contains(column, file_id, dialect))
            else:
                clauses.append(column == file_id)
        if not clauses:
            continue
        query = sa.select(model.table.c.id).where(sa.or_(*clauses)).limit(1)
        visible = session.guard.row_filter(model, "read")
        if visible is not None:
            query = query.where(visible)
        if session.conn.execute(query).first() is not None:
            return True
    return False

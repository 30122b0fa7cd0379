"""Reading and writing metadata documents and their revisions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound
from plinth.metadata.diff import json_diff
from plinth.runtime import system_tables as st
from plinth.schemas import Answer, Instant, ListOf, Nested, Object, Text, Whole
from plinth.services.id_paging import IdPage, id_page


@dataclasses.dataclass(frozen=True)
class Change:
    """One document created (before None), updated, or deleted (after None)."""

    kind: str
    name: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    pack: str | None = None

    @property
    def action(self) -> str:
        if self.before is None:
            return "create"
        return "delete" if self.after is None else "update"


@dataclasses.dataclass(frozen=True)
class StoredDocument:
    kind: str
    name: str
    document: dict[str, Any]
    pack: str | None
    revision_id: int
    updated_at: dt.datetime


_LATEST_REVISION = sa.select(sa.func.max(st.revision.c.id))


def latest_revision_id(conn: Connection) -> int:
    """The newest revision id (0 before any metadata was published): one indexed read."""
    return conn.scalar(_LATEST_REVISION) or 0


def load_documents(conn: Connection) -> dict[str, dict[str, StoredDocument]]:
    """Every stored document, by kind and name."""
    result: dict[str, dict[str, StoredDocument]] = {}
    rows = conn.execute(sa.select(st.metadata_document).order_by(st.metadata_document.c.id))
    for row in rows.mappings():
        result.setdefault(row["kind"], {})[row["name"]] = StoredDocument(
            row["kind"],
            row["name"],
            row["document"],
            row["pack"],
            row["revision_id"],
            row["updated_at"],
        )
    return result


def write_revision(
    conn: Connection,
    changes: list[Change],
    author_id: int | None,
    author_label: str,
    message: str = "",
    pack: str | None = None,
) -> int:
    """Record a revision and apply its changes to the stored documents; returns its id."""
    now = dt.datetime.now(dt.UTC)
    entries = [
        {
            "kind": c.kind,
            "name": c.name,
            "action": c.action,
            "before": c.before,
            "after": c.after,
            "pack": c.pack,
        }
        for c in changes
    ]
    revision_id: int = conn.execute(
        st.revision.insert().returning(st.revision.c.id),
        {
            "created_at": now,
            "author_id": author_id,
            "author_label": author_label,
            "message": message,
            "pack": pack,
            "changes": entries,
        },
    ).scalar_one()
    docs = st.metadata_document
    for change in changes:
        key = sa.and_(docs.c.kind == change.kind, docs.c.name == change.name)
        if change.after is None:
            conn.execute(docs.delete().where(key))
        elif change.before is None:
            conn.execute(
                docs.insert(),
                {
                    "kind": change.kind,
                    "name": change.name,
                    "pack": change.pack,
                    "document": change.after,
                    "revision_id": revision_id,
                    "updated_at": now,
                },
            )
        else:
            conn.execute(
                docs.update()
                .where(key)
                .values(
                    document=change.after,
                    pack=change.pack,
                    revision_id=revision_id,
                    updated_at=now,
                )
            )
    return revision_id


def list_revisions(
    conn: Connection, limit: int = 50, before: int | None = None
) -> list[dict[str, Any]]:
    """Newest first: id, time, author, message, pack and a summary of what changed."""
    return revisions_page(conn, limit, before).data


def revisions_page(conn: Connection, limit: int, cursor: int | None) -> IdPage[dict[str, Any]]:
    """A page of revision summaries (as ``list_revisions``), newest first."""
    page = id_page(conn, sa.select(st.revision), st.revision.c.id, limit, cursor)
    return page.map(_summary)


def changes_between(
    conn: Connection, after: int, before: int | None = None
) -> list[tuple[int, list[dict[str, Any]]]]:
    """(id, changes) of each revision after ``after`` (and before ``before``), oldest first."""
    r = st.revision
    query = sa.select(r.c.id, r.c.changes).where(r.c.id > after).order_by(r.c.id)
    if before is not None:
        query = query.where(r.c.id < before)
    return [(row.id, row.changes) for row in conn.execute(query)]


def get_revision(conn: Connection, revision_id: int) -> dict[str, Any]:
    """One revision with each change's document before, after, and their diff."""
    row = (
        conn.execute(sa.select(st.revision).where(st.revision.c.id == revision_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no revision {revision_id}")
    result = _summary(row)
    result["changes"] = [
        {**change, "diff": json_diff(change["before"] or {}, change["after"] or {})}
        for change in row["changes"]
    ]
    return result


def _summary(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "author_id": row["author_id"],
        "author": row["author_label"],
        "message": row["message"],
        "pack": row["pack"],
        "summary": [
            {"kind": c["kind"], "name": c["name"], "action": c["action"]} for c in row["changes"]
        ],
    }


class ChangeSummary(Answer):
    kind = Text(required=True)
    name = Text(required=True)
    action = Text(required=True, metadata={"enum": ["create", "update", "delete"]})


class RevisionSummary(Answer):
    """A revision as listed: who published what, when, with which message."""

    id = Whole(required=True)
    created_at = Instant(required=True)
    author_id = Whole(allow_none=True)
    author = Text(required=True)
    message = Text(required=True)
    pack = Text(allow_none=True)
    summary = ListOf(Nested(ChangeSummary), required=True)


class Revision(RevisionSummary):
    """One revision with each change's document before and after, and their diff."""

    changes = ListOf(Object(), required=True)

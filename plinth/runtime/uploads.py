"""Resumable uploads: a file sent in chunks, so that a cut connection costs a chunk rather
than the whole file (in the manner of the tus protocol).

An upload is declared first (file name, type, size, and optionally the sha256 of its
bytes); its bytes then arrive in order, each chunk at the offset the server has reached. A
chunk sent at another offset is refused with the server's offset (``OffsetMismatch``), so a
client that lost an answer learns where to go on. The bytes go to a part file in the file
store's ``uploads/`` folder; the row's ``received`` is the truth (after a rolled-back chunk
the part file may hold more: the next chunk overwrites it). When the last byte arrives the
bytes are checked (their type against their first bytes, their sha256 if one was declared)
and become a file of the file store, as ``POST /api/v1/files`` makes one. Bytes that fail
a check make the upload useless: ``Rejected`` (and ``PartMissing``) tell the caller to
``delete`` it.

Uploads are their user's alone. One untouched for ``RETENTION`` expires: it is gone for its
user at once, and ``purge`` (the scheduler's tick) deletes it and its part file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from plinth.errors import Conflict, NotFound, PermissionDenied, PlinthError, ValidationError
from plinth.runtime import system_tables as st
from plinth.runtime.file_types import accepted_type, check_upload

if TYPE_CHECKING:
    from plinth.runtime.files import FileStore
    from plinth.runtime.session import Session

#: How long an upload lives after its last chunk (or its creation).
RETENTION = dt.timedelta(hours=24)
#: The largest chunk one request may carry.
CHUNK_LIMIT = 4 * 1024 * 1024
#: How many unfinished uploads a user may have at once.
MAX_OPEN = 20
HEAD_BYTES = 512  # what the type check looks at, as POST /files does
PURGE_BATCH = 1000


class OffsetMismatch(Conflict):
    """A chunk sent at another offset than the server's: 409 with ``offset``."""

    title = "Upload offset mismatch"

    def __init__(self, offset: int):
        super().__init__(
            f"the server has {offset} bytes of this upload: send the chunk that starts there",
            offset=offset,
        )
        self.offset = offset


class TooLarge(PlinthError):
    status = 413
    title = "Request Entity Too Large"


class Rejected(ValidationError):
    """The bytes failed a check (type, sha256): the upload cannot succeed."""


class PartMissing(NotFound):
    """The bytes received so far are missing from storage: the upload cannot go on."""


#: What makes an upload useless: the caller deletes it and answers the error.
DISCARDING = (Rejected, PartMissing)


def part_path(files: FileStore, upload_id: str) -> Path:
    return files.root / "uploads" / upload_id


def _user(session: Session) -> int:
    if session.actor.id is None:
        raise PermissionDenied("uploads belong to a signed-in user")
    return session.actor.id


def create(
    session: Session,
    filename: str,
    declared_type: str | None,
    size: int,
    sha256: str | None,
    max_bytes: int,
) -> dict[str, Any]:
    """Declare an upload of ``size`` bytes; returns its row."""
    user = _user(session)
    if size > max_bytes:
        raise TooLarge(f"the file is larger than the {max_bytes} bytes accepted")
    content_type = accepted_type(filename, declared_type)
    now = session.tenant.clock()
    _delete_rows(session, st.upload.c.user_id == user, st.upload.c.expires_at <= now)
    u = st.upload
    unfinished = session.conn.scalar(
        sa.select(sa.func.count())
        .select_from(u)
        .where(u.c.user_id == user, u.c.file_id.is_(None), u.c.expires_at > now)
    )
    if (unfinished or 0) >= MAX_OPEN:
        raise Conflict(
            f"you have {MAX_OPEN} unfinished uploads: finish or delete one first "
            f"(unfinished uploads expire {int(RETENTION.total_seconds() // 3600)} hours "
            "after their last chunk)"
        )
    row = {
        "id": uuid.uuid4().hex,
        "user_id": user,
        "filename": _file_name(filename),
        "content_type": content_type,
        "size": size,
        "received": 0,
        "sha256": sha256.lower() if sha256 else None,
        "file_id": None,
        "created_at": now,
        "updated_at": now,
        "expires_at": now + RETENTION,
    }
    session.conn.execute(u.insert(), row)
    return row


def _file_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    return "".join(ch for ch in base if ch.isprintable())[:255] or "file"


def get(session: Session, upload_id: str, lock: bool = False) -> dict[str, Any]:
    """The caller's upload (locked for the transaction with ``lock``); NotFound for an
    unknown, expired or another user's upload."""
    u = st.upload
    query = sa.select(u).where(
        u.c.id == upload_id,
        u.c.user_id == _user(session),
        u.c.expires_at > session.tenant.clock(),
    )
    if lock:
        query = query.with_for_update()
    row = session.conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no upload {upload_id!r}")
    return dict(row)


def append(session: Session, upload_id: str, offset: int, chunk: bytes) -> dict[str, Any]:
    """Add ``chunk`` at ``offset``; returns the row, with ``file_id`` once complete."""
    row = get(session, upload_id, lock=True)
    if offset != row["received"]:
        raise OffsetMismatch(row["received"])
    if len(chunk) > CHUNK_LIMIT:
        raise TooLarge(f"a chunk may have at most {CHUNK_LIMIT} bytes")
    end = offset + len(chunk)
    if end > row["size"]:
        raise ValidationError.single(
            "_body", f"goes past the end of the upload ({row['size']} bytes declared)"
        )
    if not chunk:
        return row
    if offset == 0 and (len(chunk) >= HEAD_BYTES or end == row["size"]):
        _check_type(row, chunk[:HEAD_BYTES])
    path = part_path(session.tenant.files, row["id"])
    _write(path, offset, chunk, upload_id)
    now = session.tenant.clock()
    values: dict[str, Any] = {"received": end, "updated_at": now, "expires_at": now + RETENTION}
    if end == row["size"]:
        values["file_id"] = _finish(session, row, path)["id"]
        session.on_commit(lambda: _remove(path))
    session.conn.execute(st.upload.update().where(st.upload.c.id == row["id"]).values(values))
    row.update(values)
    return row


def _check_type(row: dict[str, Any], head: bytes) -> None:
    try:
        check_upload(row["filename"], row["content_type"], head)
    except ValidationError as exc:
        raise Rejected(exc.errors, f"{exc.detail}; the upload is discarded") from None


def _write(path: Path, offset: int, chunk: bytes, upload_id: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+b") as out:
        if out.seek(0, os.SEEK_END) < offset:
            raise PartMissing(
                f"the bytes received of upload {upload_id!r} are missing from storage; "
                "start a new upload"
            )
        out.seek(offset)
        out.write(chunk)
        out.truncate()
        out.flush()
        os.fsync(out.fileno())


def _finish(session: Session, row: dict[str, Any], path: Path) -> dict[str, Any]:
    """Check the complete bytes and store them as a file; returns the file row."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        digest.update(head)
        while block := handle.read(1024 * 1024):
            digest.update(block)
    if row["sha256"] and digest.hexdigest() != row["sha256"]:
        raise Rejected.single(
            "sha256",
            f"does not match the bytes received (their sha256 is {digest.hexdigest()}); "
            "the upload is discarded",
        )
    _check_type(row, head)
    with path.open("rb") as handle:
        return session.tenant.files.put(
            session.conn, handle, row["filename"], row["content_type"], row["user_id"]
        )


def delete(session: Session, upload_id: str) -> None:
    """Forget the caller's upload and its bytes (a finished upload's file stays)."""
    row = get(session, upload_id, lock=True)
    _delete_rows(session, st.upload.c.id == row["id"])


def purge(session: Session, now: dt.datetime) -> int:
    """Delete expired uploads and their part files (and part files nothing names any
    more); returns how many uploads."""
    count = _delete_rows(session, st.upload.c.expires_at <= now)
    stale = (now - RETENTION).timestamp()
    folder = session.tenant.files.root / "uploads"

    def sweep() -> None:
        for path in folder.glob("*") if folder.is_dir() else ():
            try:
                if path.stat().st_mtime < stale:
                    _remove(path)
            except FileNotFoundError:
                pass  # another scheduler got there first

    session.on_commit(sweep)
    return count


def _delete_rows(session: Session, *where: Any) -> int:
    """Delete uploads (a batch at most); their part files go once the transaction commits."""
    u = st.upload
    ids: list[str] = list(session.conn.scalars(sa.select(u.c.id).where(*where).limit(PURGE_BATCH)))
    if not ids:
        return 0
    session.conn.execute(u.delete().where(u.c.id.in_(ids)))
    paths = [part_path(session.tenant.files, upload_id) for upload_id in ids]
    session.on_commit(lambda: _remove(*paths))
    return len(ids)


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)

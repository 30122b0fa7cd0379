"""Content-addressed file storage: bytes on disk by sha256, one row per upload."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound, ValidationError
from plinth.runtime import system_tables as st

CHUNK = 1024 * 1024


class FileStore:
    """Files under ``root/ab/cd/<sha256>``; an existing blob is never overwritten."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def blob_path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(
        self,
        conn: Connection,
        data: bytes | BinaryIO,
        filename: str,
        content_type: str,
        created_by: int | None,
        max_bytes: int | None = None,
    ) -> dict[str, Any]:
        """Store bytes (or a stream) and record the file; returns the file row."""
        sha256, size = self._write_blob(data, max_bytes)
        row = {
            "id": uuid.uuid4().hex,
            "sha256": sha256,
            "size": size,
            "content_type": content_type[:127] or "application/octet-stream",
            "filename": _safe_filename(filename),
            "created_at": dt.datetime.now(dt.UTC),
            "created_by": created_by,
        }
        conn.execute(st.file.insert(), row)
        return row

    def _write_blob(self, data: bytes | BinaryIO, max_bytes: int | None) -> tuple[str, int]:
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        tmp_name: str | None
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(data):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise ValidationError.single(
                            "file", f"is larger than {max_bytes // (1024 * 1024)} MiB"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            final = self.blob_path(sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            if not final.exists():
                os.replace(tmp_name, final)
                tmp_name = None
            return sha256, size
        finally:
            if tmp_name is not None and os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def get(self, conn: Connection, file_id: str) -> dict[str, Any]:
        row = conn.execute(sa.select(st.file).where(st.file.c.id == file_id)).mappings().first()
        if row is None:
            raise NotFound(f"no file {file_id!r}")
        return dict(row)

    def existing(self, conn: Connection, file_ids: Iterable[str]) -> set[str]:
        ids = list(set(file_ids))
        if not ids:
            return set()
        return set(conn.scalars(sa.select(st.file.c.id).where(st.file.c.id.in_(ids))))

    def open(self, sha256: str) -> BinaryIO:
        return self.blob_path(sha256).open("rb")


def _chunks(data: bytes | BinaryIO) -> Iterator[bytes]:
    if isinstance(data, (bytes, bytearray)):
        yield bytes(data)
        return
    while True:
        chunk = data.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _safe_filename(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned[:255] or "file"

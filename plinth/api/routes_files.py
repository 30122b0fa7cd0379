"""Uploading and downloading files (attachments and signature images)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any, BinaryIO, cast
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from plinth.api.answers import FileInfo
from plinth.api.contract import answer
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.jsonio import BadRequest
from plinth.auth.web_session import request_session
from plinth.errors import NotFound, ValidationError
from plinth.runtime.file_access import may_read_file
from plinth.runtime.file_types import check_upload

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def describe(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "filename": row["filename"],
        "content_type": row["content_type"],
        "size": row["size"],
        "sha256": row["sha256"],
        "created_at": row["created_at"],
        "url": f"/api/v1/files/{row['id']}",
    }


def upload() -> Response:
    """multipart/form-data with a ``file`` part, or the raw bytes with ?filename=."""
    filename: str | None
    with request_session() as s:
        if request.mimetype == "multipart/form-data":
            part = request.files.get("file")
            if part is None:
                raise ValidationError.single("file", "is required (a multipart part named file)")
            filename, stream, declared = part.filename or "file", part.stream, part.mimetype
        else:
            filename = request.args.get("filename")
            if not filename:
                raise BadRequest("send multipart/form-data with a file part, or ?filename=")
            stream, declared = request.stream, request.mimetype
        head = stream.read(512)
        content_type = check_upload(filename, declared, head)
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        data = cast(BinaryIO, _Rejoined(head, stream))  # FileStore.put only reads() it
        row = s.tenant.files.put(s.conn, data, filename, content_type, s.actor.id, max_bytes=limit)
        if row["size"] == 0:
            raise ValidationError.single("file", "is empty")
        return answer(FileInfo, describe(row), 201, {"Location": f"/api/v1/files/{row['id']}"})


class _Rejoined:
    """The sniffed head of a stream put back in front of the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            chunk, self.head = self.head, b""
            return chunk
        return self.rest.read(size)


def download(file_id: str) -> Response:
    with request_session() as s:
        try:
            row = s.tenant.files.get(s.conn, file_id)
        except NotFound:
            raise NotFound(f"no file {file_id!r}") from None
        if not may_read_file(s, row):
            raise NotFound(f"no file {file_id!r}")  # do not reveal that it exists
        path = s.tenant.files.blob_path(row["sha256"])
    if not path.is_file():
        raise NotFound(f"the content of file {file_id} is missing from storage")
    disposition = "inline" if row["content_type"] in INLINE_TYPES else "attachment"
    headers = {
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(row['filename'])}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "ETag": f'"{row["sha256"]}"',
        "Cache-Control": "private, max-age=3600",
    }
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return Response(status=304, headers=headers)

    def stream() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(256 * 1024):
                yield chunk

    return Response(stream(), mimetype=row["content_type"], headers=headers)


UPLOAD = {
    "multipart/form-data": {
        "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
    }
}
DOWNLOAD = {"*/*": {"schema": {"type": "string", "format": "binary"}}}
ENDPOINTS = (
    Endpoint("/files", "POST", upload,
             "Upload a file (multipart part `file`, or raw bytes with ?filename=)", "files",
             body_content=UPLOAD, reply=FileInfo, status=201),
    Endpoint("/files/<file_id>", "GET", download, "Download a file", "files",
             reply_content=DOWNLOAD),
)  # fmt: skip

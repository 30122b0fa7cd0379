"""Resumable uploads (``/api/v1/uploads``): declare a file, send its bytes in chunks from
the offset the server has, go on from there after a cut connection; the last byte makes it
a file, answered as ``POST /api/v1/files`` answers (see ``plinth.runtime.uploads``)."""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, request
from marshmallow import validate

from plinth.api.answers import FileInfo
from plinth.api.contract import answer, load_body
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.idempotency import HeaderInvalid
from plinth.api.problems import from_error
from plinth.api.routes_files import describe
from plinth.auth.web_session import request_session
from plinth.errors import PlinthError
from plinth.json_props import MAX_ID
from plinth.runtime import uploads
from plinth.schemas import Answer, Body, Instant, Nested, Text, Whole

if TYPE_CHECKING:
    from plinth.runtime.session import Session

OFFSET = "Upload-Offset"
LENGTH = "Upload-Length"
CHUNK_TYPES = ("application/offset+octet-stream", "application/octet-stream")
_DIGITS = re.compile(r"[0-9]{1,19}")


class UploadRequest(Body):
    filename = Text(required=True, max_length=255, blank=False)
    content_type = Text(max_length=127, metadata={"description": "else from the file name"})
    size = Whole(required=True, low=1, high=MAX_ID)
    sha256 = Text(
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$", error="must be 64 hexadecimal digits"),
        metadata={"description": "checked when the last byte arrives"},
    )


class UploadInfo(Answer):
    id = Text(required=True)
    filename = Text(required=True)
    content_type = Text(required=True)
    size = Whole(required=True)
    offset = Whole(required=True, metadata={"description": "bytes received so far"})
    sha256 = Text(allow_none=True)
    created_at = Instant()
    expires_at = Instant()
    url = Text(required=True)
    file = Nested(FileInfo, allow_none=True, metadata={"description": "once complete"})


class UnsupportedMediaType(PlinthError):
    status = 415
    title = "Unsupported Media Type"


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def _url(upload_id: str) -> str:
    return f"/api/v1/uploads/{upload_id}"


def _answer(s: Session, row: dict[str, Any], status: int = 200) -> Response:
    shown = {
        **{k: row[k] for k in ("id", "filename", "content_type", "size", "sha256")},
        **{"created_at": row["created_at"], "expires_at": row["expires_at"]},
        "offset": row["received"],
        "url": _url(row["id"]),
        "file": describe(s.tenant.files.get(s.conn, row["file_id"])) if row["file_id"] else None,
    }
    headers = {OFFSET: str(row["received"]), LENGTH: str(row["size"]), "Cache-Control": "no-store"}
    if status == 201:
        headers["Location"] = _url(row["id"])
    return answer(UploadInfo, shown, status, headers)


def create_upload() -> Response:
    body = load_body(UploadRequest)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    with request_session() as s:
        row = uploads.create(
            s, body["filename"], body.get("content_type"), body["size"], body.get("sha256"), limit
        )
        return _answer(s, row, 201)


def show_upload(upload_id: str) -> Response:
    """How far the upload got (HEAD gives the same headers without the body)."""
    with request_session() as s:
        return _answer(s, uploads.get(s, upload_id))


def append_chunk(upload_id: str) -> Response:
    """The next chunk, at the offset the ``Upload-Offset`` header names."""
    sent = request.headers.get(OFFSET, "")
    if not _DIGITS.fullmatch(sent):
        raise HeaderInvalid.single(OFFSET, "is required: the offset of this chunk, in bytes")
    if request.mimetype not in CHUNK_TYPES:
        raise UnsupportedMediaType(f"send the chunk's bytes as {CHUNK_TYPES[0]}")
    chunk = _read_chunk()
    try:
        with request_session() as s:
            try:
                row = uploads.append(s, upload_id, int(sent), chunk)
            except uploads.DISCARDING as exc:  # the upload can never succeed: forget it
                uploads.delete(s, upload_id)
                return from_error(exc)
            return _answer(s, row)
    except uploads.OffsetMismatch as exc:
        response = from_error(exc)
        response.headers[OFFSET] = str(exc.offset)
        return response


def _read_chunk() -> bytes:
    if (request.content_length or 0) > uploads.CHUNK_LIMIT:
        raise uploads.TooLarge(f"a chunk may have at most {uploads.CHUNK_LIMIT} bytes")
    pieces, total = [], 0
    while piece := request.stream.read(64 * 1024):
        total += len(piece)
        if total > uploads.CHUNK_LIMIT:
            raise uploads.TooLarge(f"a chunk may have at most {uploads.CHUNK_LIMIT} bytes")
        pieces.append(piece)
    return b"".join(pieces)


def cancel_upload(upload_id: str) -> Response:
    with request_session() as s:
        uploads.delete(s, upload_id)
    return Response(status=204)


@dataclasses.dataclass(frozen=True)
class _WithHeaders(Endpoint):
    """An endpoint that also takes request headers (documented as parameters)."""

    headers: tuple[dict[str, Any], ...] = ()

    def operation(self) -> dict[str, Any]:
        operation = super().operation()
        operation["parameters"] = [*operation.get("parameters", ()), *self.headers]
        return operation


OFFSET_PARAMETER = {
    "name": OFFSET,
    "in": "header",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
    "description": "where this chunk starts: the upload's offset on the server",
}
CHUNK = {"application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}}
MISMATCH = {
    "409": {
        "description": "The chunk does not start at the server's offset: the problem's "
        f"`offset` (and the `{OFFSET}` header) say where it does",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
}
ENDPOINTS = (
    Endpoint("/uploads", "POST", create_upload,
             "Start a resumable upload (its bytes follow with PATCH)", "files",
             body=UploadRequest, reply=UploadInfo, status=201),
    Endpoint("/uploads/<upload_id>", "GET", show_upload,
             "How far an upload got (HEAD: the Upload-Offset header only)", "files",
             reply=UploadInfo),
    _WithHeaders("/uploads/<upload_id>", "PATCH", append_chunk,
                 f"Send the next chunk of an upload (at most {uploads.CHUNK_LIMIT} bytes); "
                 "the last one makes the file", "files",
                 body_content=CHUNK, reply=UploadInfo, responses=MISMATCH,
                 headers=(OFFSET_PARAMETER,)),
    Endpoint("/uploads/<upload_id>", "DELETE", cancel_upload, "Cancel an upload", "files"),
)  # fmt: skip

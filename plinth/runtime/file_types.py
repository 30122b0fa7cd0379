"""Which uploads are accepted: a list of content types, checked against the bytes."""

from __future__ import annotations

import mimetypes

from plinth.errors import ValidationError

ALLOWED = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
    "image/gif": b"GIF8",
    "image/webp": b"RIFF",
    "application/pdf": b"%PDF-",
    "application/zip": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": b"PK\x03\x04",
    "text/plain": None,
    "text/csv": None,
    "application/json": None,
    "audio/mpeg": None,
    "audio/mp4": None,
    "video/mp4": None,
}
# Text that a browser could run if it were ever shown inline.
ACTIVE_MARKERS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml")


def accepted_type(filename: str, declared: str | None) -> str:
    """The declared content type (else the one the file name suggests), or ValidationError
    when it is not accepted; the bytes are checked by ``check_upload``."""
    content_type = (declared or "").split(";")[0].strip().lower()
    if content_type in ("", "application/octet-stream"):
        content_type = mimetypes.guess_type(filename)[0] or ""
    if content_type not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise ValidationError.single(
            "file", f"type {content_type or 'unknown'} is not accepted (allowed: {allowed})"
        )
    return content_type


def check_upload(filename: str, declared: str | None, head: bytes) -> str:
    """The content type to store, or ValidationError when the type is not accepted."""
    content_type = accepted_type(filename, declared)
    magic = ALLOWED[content_type]
    if magic is not None and not head.startswith(magic):
        raise ValidationError.single("file", f"content is not a {content_type} file")
    if magic is None and any(m in head.lower() for m in ACTIVE_MARKERS):
        raise ValidationError.single("file", "HTML, SVG and XML content is not accepted")
    return content_type

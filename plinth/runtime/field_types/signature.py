"""Signatures: an image data URL + signer + time (+ the pen strokes), stored immutably as
content-addressed files.

A signed value is never edited: a new signature may supersede it (history keeps the old
one, and the old image file stays in the store), but it cannot be altered or removed. The
strokes, when sent, are a JSON file of their own (see ``signature_strokes``): the record
keeps only their file id, sha256 and counts, so its row stays small.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth.runtime.field_types.base import CoercionContext, Field, FieldError, FieldType
from plinth.runtime.field_types.signature_strokes import Strokes, parse_strokes
from plinth.runtime.field_types.temporal import parse_instant
from plinth.runtime.sqltypes import json_type

MAX_IMAGE_BYTES = 2 * 1024 * 1024
_DATA_URL = re.compile(r"^data:(image/(?:png|jpeg));base64,([A-Za-z0-9+/=\s]+)$")
_MAGIC = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}
STORED_KEYS = frozenset({"file", "sha256", "content_type", "signer", "signed_at", "strokes"})
NEW_KEYS = frozenset({"image", "signer", "signed_at", "strokes", "width", "height"})


@dataclasses.dataclass(frozen=True)
class PendingSignature:
    """A new signature, validated but not yet written to the file store."""

    image: bytes
    content_type: str
    signer: str
    signed_at: dt.datetime | None
    strokes: Strokes | None = None


class SignatureType(FieldType):
    name = "signature"
    filter_ops = frozenset({"isnull"})
    sortable = False
    supports_unique = False
    supports_default = False

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return json_type()

    def coerce(
        self, field: Field, value: Any, ctx: CoercionContext
    ) -> dict[str, Any] | PendingSignature:
        if not isinstance(value, dict):
            raise FieldError(
                'must be an object like {"image": "data:image/png;base64,..", "signer": ".."}'
            )
        if "image" not in value:
            if set(value) <= STORED_KEYS and "file" in value:
                return dict(value)  # the stored value sent back; checked in check_update
            raise FieldError("needs an image (a data:image/png;base64 URL)")
        unknown = set(value) - NEW_KEYS
        if unknown:
            raise FieldError(f"unexpected key(s): {', '.join(sorted(unknown))}")
        signer = value.get("signer")
        if not isinstance(signer, str) or not signer.strip() or len(signer) > 200:
            raise FieldError("needs the signer's name (1 to 200 characters)")
        image = value["image"]
        match = _DATA_URL.match(image) if isinstance(image, str) else None
        if not match:
            raise FieldError("image must be a data:image/png;base64 or data:image/jpeg;base64 URL")
        if len(match.group(2)) > MAX_IMAGE_BYTES * 4 // 3 + 8:
            raise FieldError("image is larger than 2 MiB")
        try:
            data = base64.b64decode(re.sub(r"\s", "", match.group(2)), validate=True)
        except (binascii.Error, ValueError):
            raise FieldError("image is not valid base64") from None
        content_type = match.group(1)
        if not data.startswith(_MAGIC[content_type]):
            raise FieldError(f"image is not a {content_type.split('/')[1].upper()} file")
        signed_at = value.get("signed_at")
        when = parse_instant(signed_at, ctx) if signed_at is not None else None
        strokes = parse_strokes(value)
        return PendingSignature(data, content_type, signer.strip(), when, strokes)

    def check_update(self, field: Field, old: Any, new: Any) -> None:
        if old is None:
            if isinstance(new, dict):
                raise FieldError("send a new signature image, not a stored signature")
            return
        if new is None:
            raise FieldError("a signature cannot be removed; supersede it with a new signature")
        if isinstance(new, dict) and new != old:
            raise FieldError("a signature cannot be edited; send a new image to supersede it")

    def stored_value(
        self,
        pending: PendingSignature,
        image: Mapping[str, Any],
        now: dt.datetime,
        strokes: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The value kept on the record: ``image`` and ``strokes`` are their file rows."""
        signed_at = pending.signed_at or now
        stored = {
            "file": image["id"],
            "sha256": image["sha256"],
            "content_type": pending.content_type,
            "signer": pending.signer,
            "signed_at": signed_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        if strokes is not None and pending.strokes is not None:
            stored["strokes"] = {
                "file": strokes["id"],
                "sha256": strokes["sha256"],
                "count": pending.strokes.count,
                "points": pending.strokes.points,
            }
        return stored

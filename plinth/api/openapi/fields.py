"""JSON Schema (OpenAPI 3.0 dialect) of each field type, for reading and for writing."""

from __future__ import annotations

import decimal
from typing import Any

from plinth.runtime.field_types.numbers import DecimalType
from plinth.runtime.field_types.references import AttachmentType
from plinth.runtime.field_types.signature_strokes import (
    MAX_PAD_SIZE,
    MAX_POINTS,
    MAX_STROKES,
    MAX_TIME_MS,
)
from plinth.runtime.field_types.special import FormulaType
from plinth.runtime.field_types.text import TextType
from plinth.runtime.model import Field

INT64 = {"type": "integer", "format": "int64"}
ID = {"type": "integer", "format": "int64", "minimum": 1}
FILE_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$"}
GEO = {
    "type": "object",
    "required": ["lat", "lng"],
    "additionalProperties": False,
    "properties": {
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lng": {"type": "number", "minimum": -180, "maximum": 180},
    },
}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
STORED_STROKES = {
    "type": "object",
    "readOnly": True,
    "description": "the pen strokes, a JSON file: GET /api/v1/files/{file} answers "
    '{"width", "height", "strokes": [[[x, y, t?], ...], ...]}',
    "properties": {
        "file": FILE_ID,
        "sha256": SHA256,
        "count": {"type": "integer", "minimum": 1, "description": "strokes"},
        "points": {"type": "integer", "minimum": 1},
    },
}
STORED_SIGNATURE = {
    "type": "object",
    "properties": {
        "file": FILE_ID,
        "sha256": SHA256,
        "content_type": {"type": "string"},
        "signer": {"type": "string"},
        "signed_at": {"type": "string", "format": "date-time"},
        "strokes": STORED_STROKES,
    },
}
PAD_SIZE = {"type": "number", "minimum": 1, "maximum": MAX_PAD_SIZE}
NEW_SIGNATURE = {
    "type": "object",
    "required": ["image", "signer"],
    "additionalProperties": False,
    "properties": {
        "image": {"type": "string", "pattern": "^data:image/(png|jpeg);base64,[A-Za-z0-9+/=]+$"},
        "signer": {"type": "string", "minLength": 1, "maxLength": 200},
        "signed_at": {"type": "string", "format": "date-time"},
        "strokes": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_STROKES,
            "description": f"the pen strokes (at most {MAX_POINTS} points in all), each a "
            "list of points [x, y] or [x, y, t]: pixels from the pad's top left corner "
            f"(0 to width, 0 to height), t milliseconds since the first point (0 to "
            f"{MAX_TIME_MS}); needs width and height",
            "items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "array",
                    "minItems": 2,
                    "maxItems": 3,
                    "items": {"type": "number", "minimum": 0},
                },
            },
        },
        "width": {**PAD_SIZE, "description": "the pad's width the strokes refer to"},
        "height": {**PAD_SIZE, "description": "the pad's height the strokes refer to"},
    },
}
USER_SUMMARY = {
    "type": "object",
    "properties": {"id": ID, "name": {"type": "string"}, "email": {"type": "string"}},
}


def _numeric(field: Field, ftype: DecimalType) -> dict[str, Any]:
    precision = ftype.precision(field)
    scale = ftype.scale(field)
    bound = float(decimal.Decimal(10) ** (precision - scale) - decimal.Decimal(1).scaleb(-scale))
    schema: dict[str, Any] = {"type": "number", "minimum": -bound, "maximum": bound}
    if "min" in field.spec:
        schema["minimum"] = field.spec["min"]
    if "max" in field.spec:
        schema["maximum"] = field.spec["max"]
    schema["description"] = f"up to {scale} decimal places"
    return schema


def _integer(field: Field, minimum: int | None = None) -> dict[str, Any]:
    schema = dict(INT64)
    low = field.spec.get("min", minimum)
    if low is not None:
        schema["minimum"] = low
    if "max" in field.spec:
        schema["maximum"] = field.spec["max"]
    return schema


def _text(field: Field, ftype: TextType) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    limit = ftype.max_length(field)
    if limit:
        schema["maxLength"] = limit
    if field.spec.get("pattern"):
        schema["pattern"] = field.spec["pattern"]
    return schema


def _base(field: Field, writing: bool) -> dict[str, Any]:
    ftype = field.type
    kind = ftype.name
    if kind in ("text", "textarea", "phone") and isinstance(ftype, TextType):
        return _text(field, ftype)
    if kind == "email":
        return {"type": "string", "format": "email", "maxLength": 254}
    if kind == "url":
        return {"type": "string", "format": "uri", "maxLength": 2048}
    if kind in ("integer",):
        return _integer(field)
    if kind == "duration":
        schema = _integer(field, minimum=0)
        schema["description"] = "minutes (input also takes 1h30m or PT1H30M)"
        return schema
    if kind in ("decimal", "currency", "percent") and isinstance(ftype, DecimalType):
        return _numeric(field, ftype)
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "datetime":
        return {"type": "string", "format": "date-time"}
    if kind == "time":
        return {"type": "string", "format": "time", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"}
    if kind == "select":
        return {"type": "string", "enum": list(field.option_values)}
    if kind == "multiselect":
        schema = {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "enum": list(field.option_values)},
        }
        if field.spec.get("max_items"):
            schema["maxItems"] = field.spec["max_items"]
        return schema
    if kind == "lookup":
        return dict(ID) if writing else {"anyOf": [ID, {"type": "object"}]}
    if kind == "user":
        return dict(ID) if writing else {"anyOf": [ID, USER_SUMMARY]}
    if kind == "geo":
        return dict(GEO)
    if kind == "signature":
        return dict(NEW_SIGNATURE) if writing else dict(STORED_SIGNATURE)
    if kind == "attachment" and isinstance(ftype, AttachmentType):
        if ftype.multiple(field):
            return {"type": "array", "items": FILE_ID, "uniqueItems": True, "maxItems": 100}
        return dict(FILE_ID)
    if kind == "json":
        return {}
    if kind == "autonumber":
        return {"type": "string", "readOnly": True}
    if kind == "formula" and isinstance(ftype, FormulaType):
        result = Field(field.name, ftype.result_type(field), {})
        return {**_base(result, writing), "readOnly": True}
    raise ValueError(f"no schema for field type {kind}")


def field_schema(field: Field, writing: bool = False, label: str | None = None) -> dict[str, Any]:
    schema = _base(field, writing)
    always_present = field.type.name in ("multiselect",) or (
        isinstance(field.type, AttachmentType) and field.type.multiple(field)
    )
    if schema and not always_present and not (field.system and field.name in _NOT_NULL):
        schema["nullable"] = True
    if label:
        schema["title"] = label
    return schema


_NOT_NULL = frozenset({"id", "created_at", "updated_at", "version"})

"""Building blocks of OpenAPI operations: references, JSON content, list envelopes, query
and path parameters, the problem answer every operation may give.

Schemas inside them may be marshmallow schema classes: the document builder passes the
fixed endpoints' and the packs' operations through apispec, which resolves them."""

from __future__ import annotations

from typing import Any

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def ok(schema: dict[str, Any], description: str = "OK", status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, "content": json_content(schema)}}


def listing_of(schema: Any, paged: bool = True, **extra: Any) -> dict[str, Any]:
    """The list envelope: ``data`` (items of ``schema``), ``next_cursor`` when paged, and
    the ``extra`` properties (name: schema)."""
    properties: dict[str, Any] = {"data": {"type": "array", "items": schema}}
    if paged:
        properties["next_cursor"] = {"type": "string", "nullable": True}
    properties.update(extra)
    return {"type": "object", "required": ["data"], "properties": properties}


def operation(summary: str, tag: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"summary": summary, "tags": [tag], "responses": {**responses, **ERRORS}}
    body.update(extra)
    return body


def body(schema: Any, required: bool = True) -> dict[str, Any]:
    """An OpenAPI ``requestBody`` of JSON with ``schema`` (a marshmallow schema class, or a
    JSON Schema dict)."""
    return {"required": required, "content": json_content(schema)}


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI path parameter ``name`` with ``schema``."""
    return {"name": name, "in": "path", "required": True, "schema": schema}


ERRORS = {"default": {"$ref": "#/components/responses/Problem"}}
NO_CONTENT = {"204": {"description": "Done"}}
CURSOR = query("cursor", {"type": "string"}, "next_cursor of the previous page")
LIMIT = query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size")

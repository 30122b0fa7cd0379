"""Assemble the OpenAPI document: the fixed endpoints and the packs' (``fixed.py``, from
their marshmallow schemas) plus, per readable object, its schemas and record endpoints (list
with every filter parameter, create, get, patch, delete, history, bulk), generated from the
compiled metadata, and its workflow and assignment endpoints."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, cast

import plinth
from plinth.api.endpoints import Endpoint
from plinth.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from plinth.api.openapi.assignment_paths import assignment_object_paths
from plinth.api.openapi.fields import field_schema
from plinth.api.openapi.fixed import fixed_parts
from plinth.api.openapi.parts import (
    CURSOR,
    LIMIT,
    NO_CONTENT,
    PROBLEM,
    body,
    listing_of,
    ok,
    operation,
    path_param,
    query,
    ref,
)
from plinth.api.openapi.workflow_paths import workflow_object_paths
from plinth.errors import PermissionDenied
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.session import Session

if TYPE_CHECKING:
    from plinth.tenant import Tenant

_CACHE: OrderedDict[tuple[int, int, str | frozenset[str]], dict[str, Any]] = OrderedDict()
_LOCK = threading.Lock()
CACHE_SIZE = 64


def openapi_document(
    session: Session, authenticated: bool, endpoints: tuple[Endpoint, ...]
) -> dict[str, Any]:
    """The document for this caller (objects and fields they may read), cached; ``endpoints``
    are the fixed ones (``plinth.api.fixed_endpoints``)."""
    actor = session.actor
    audience = "anonymous" if not authenticated else "admin" if actor.is_admin else actor.roles
    key = (id(session.tenant), session.compiled.revision_id, audience)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    document = _build(session, authenticated, endpoints)
    with _LOCK:
        _CACHE[key] = document
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return document


def _build(
    session: Session, authenticated: bool, endpoints: tuple[Endpoint, ...]
) -> dict[str, Any]:
    tenant = cast("Tenant", session.tenant)  # TenantContext does not declare the pack routes
    fixed_paths, fixed_schemas = fixed_parts(endpoints, tenant.routes)
    paths, schemas = dict(fixed_paths), dict(fixed_schemas)
    if authenticated:
        for name in sorted(session.compiled.objects):
            model = session.compiled.objects[name]
            try:
                session.guard.check(model, "read")
            except PermissionDenied:
                continue
            readable = session.guard.readable(model)
            schemas.update(_object_schemas(model, readable, session.guard.editable(model)))
            paths.update(_object_paths(model, readable, session))
            paths.update(workflow_object_paths(model, session))
            paths.update(assignment_object_paths(model, session))
    paths = _with_idempotency_keys(paths)
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Plinth API",
            "version": f"{plinth.__version__}+metadata.{session.compiled.revision_id}",
            "description": (
                "Records, metadata, users and files of this Plinth instance. Send "
                "`Authorization: Bearer <token>` (get one from POST /api/v1/auth/token). "
                "Errors are RFC 9457 problem+json. Times are ISO 8601, UTC out."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        "tags": [
            {"name": t}
            for t in ("records", "workflow", "metadata", "auth", "users", "files", "system")
        ],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
            },
            "schemas": schemas,
            "parameters": {"IdempotencyKey": copy.deepcopy(IDEMPOTENCY_KEY)},
            "responses": {
                "Problem": {
                    "description": "An error (RFC 9457)",
                    "content": {"application/problem+json": {"schema": copy.deepcopy(PROBLEM)}},
                }
            },
        },
    }


UNSAFE = ("post", "put", "patch", "delete")


def _with_idempotency_keys(paths: dict[str, Any]) -> dict[str, Any]:
    """``paths`` with the optional ``Idempotency-Key`` header on every unsafe operation (the
    operations are copied: the fixed ones are cached and shared)."""
    header = {"$ref": "#/components/parameters/IdempotencyKey"}
    result = {}
    for path, item in paths.items():
        item = dict(item)
        for method in UNSAFE:
            if method in item:
                operation = dict(item[method])
                operation["parameters"] = [*operation.get("parameters", ()), header]
                item[method] = operation
        result[path] = item
    return result


def _object_schemas(
    model: ObjectModel, readable: frozenset[str] | None, editable: frozenset[str] | None
) -> dict[str, Any]:
    def visible(name: str) -> bool:
        return readable is None or name in readable

    def writable(field: Field) -> bool:
        if field.system:
            return field.name == "owner_id" and (editable is None or "owner_id" in editable)
        if not field.type.writable or field.spec.get("read_only"):
            return False
        return editable is None or field.name in editable

    read_properties = {}
    for name, field in model.fields.items():
        if visible(name):
            read_properties[name] = field_schema(field, label=field.label())
    write_properties = {
        name: field_schema(field, writing=True, label=field.label())
        for name, field in model.fields.items()
        if visible(name) and writable(field)
    }
    required = [
        f.name
        for f in model.user_fields
        if f.required and f.name in write_properties and "default" not in f.spec
    ]
    read = {
        "type": "object",
        "title": model.label(),
        "description": "Every field is present unless `fields=` limits them.",
        "required": ["id"],
        "properties": read_properties,
    }
    create = {
        "type": "object",
        "additionalProperties": False,
        "properties": write_properties,
    }
    if required:
        create["required"] = required
    patch = {"type": "object", "additionalProperties": False, "properties": write_properties}
    return {model.name: read, f"{model.name}_input": create, f"{model.name}_patch": patch}


def _filter_parameters(model: ObjectModel, readable: frozenset[str] | None) -> list[dict[str, Any]]:
    parameters = []
    for name, field in model.fields.items():
        if (readable is not None and name not in readable) or not field.columns:
            continue
        for op in sorted(field.type.filter_ops):
            key = name if op == "eq" else f"{name}__{op}"
            if op == "isnull":
                schema = {"type": "string", "enum": ["true", "false"]}
            elif op == "in":
                schema = {"type": "string", "description": "comma-separated values"}
            elif op == "within":
                schema = {"type": "string", "description": "min_lat,min_lng,max_lat,max_lng"}
            else:
                schema = {"type": "string"}
            parameters.append(query(key, schema))
    return parameters


def _object_paths(
    model: ObjectModel, readable: frozenset[str] | None, session: Session
) -> dict[str, Any]:
    name = model.name
    base = f"/api/v1/records/{name}"
    record = ref(name)
    record_id = path_param("id", {"type": "integer", "minimum": 1})
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": 'The record\'s ETag (its version, e.g. "3"); 412 when stale',
    }
    sortable = [
        n
        for n, f in model.fields.items()
        if f.type.sortable and len(f.columns) == 1 and (readable is None or n in readable)
    ]
    list_parameters = [
        LIMIT,
        CURSOR,
        query(
            "sort",
            {"type": "string"},
            "comma-separated; -name for descending: " + ", ".join(sortable),
        ),
        query("fields", {"type": "string"}, "comma-separated field names"),
        query("expand", {"type": "string"}, "lookup or user fields to embed"),
        query(
            "q", {"type": "string", "maxLength": 200}, "search in " + ", ".join(model.search_fields)
        ),
        *_filter_parameters(model, readable),
    ]
    label = model.label(plural=True)
    bulk_request = {
        "type": "object",
        "required": ["records"],
        "additionalProperties": False,
        "properties": {
            "mode": {"type": "string", "enum": ["create", "upsert"]},
            "external_id": {"type": "string"},
            "atomic": {"type": "boolean"},
            "records": {"type": "array", "maxItems": 1000, "items": {"type": "object"}},
        },
    }
    etag = {"ETag": {"schema": {"type": "string"}}}
    created = ok(record, "Created", "201")
    created["201"]["headers"] = {**etag, "Location": {"schema": {"type": "string"}}}
    fetched = ok(record)
    fetched["200"]["headers"] = etag
    fetched["304"] = {"description": "Not modified (If-None-Match)"}
    tag = "records"
    return {
        base: {
            "get": operation(
                f"List {label}", tag, ok(listing_of(record)), parameters=list_parameters
            ),
            "post": operation(
                f"Create a {model.label()}", tag, created, requestBody=body(ref(f"{name}_input"))
            ),
        },
        f"{base}/bulk": {
            "post": operation(
                f"Create or upsert up to 1000 {label} in one transaction",
                tag,
                ok(listing_of({"type": "object"}, paged=False)),
                requestBody=body(bulk_request),
            )
        },
        f"{base}/{{id}}": {
            "parameters": [record_id],
            "get": operation(
                f"One {model.label()}",
                tag,
                fetched,
                parameters=[
                    query("fields", {"type": "string"}),
                    query("expand", {"type": "string"}),
                ],
            ),
            "patch": operation(
                f"Change a {model.label()}",
                tag,
                fetched,
                requestBody=body(ref(f"{name}_patch")),
                parameters=[if_match],
            ),
            "delete": operation(
                f"Delete a {model.label()}", tag, NO_CONTENT, parameters=[if_match]
            ),
        },
        f"{base}/{{id}}/history": {
            "parameters": [record_id],
            "get": operation(
                "Field history, newest first",
                tag,
                ok(listing_of({"type": "object"})),
                parameters=[LIMIT, CURSOR],
            ),
        },
    }

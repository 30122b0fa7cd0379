"""Bodies, query strings and answers of the fixed endpoints, through marshmallow schemas.

``load_body`` and ``load_query`` give the request's input as a schema loads it, or a
problem naming each offending property (422 for a body, 400 for a query string);
``answer`` and ``dumped`` shape what goes back. The schemas are the ones the OpenAPI
document shows (``plinth/api/endpoints.py`` says which endpoint uses which).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema

from plinth.api.jsonio import QueryInvalid, json_body
from plinth.api.responses import listing
from plinth.schemas import instance, load

SchemaLike = type[Schema] | Schema


def load_body(schema: SchemaLike, required: bool = True) -> dict[str, Any]:
    """The request's JSON object loaded by ``schema``; an optional body (``required``
    False) that was not sent is ``{}``. 400 when the body is not JSON, 422 naming each
    property that does not fit."""
    if not required and not request.content_length and not request.data:
        return {}
    return load(schema, json_body())


def load_query(schema: SchemaLike) -> dict[str, Any]:
    """The query-string arguments ``schema`` declares, loaded (an empty one counts as
    absent); 400 naming each bad one."""
    args = {key: value for key, value in request.args.items() if value != ""}
    return load(schema, args, error=QueryInvalid)


def dumped(schema: SchemaLike, data: Any, many: bool = False) -> Any:
    """``data`` (a service's dict, or a list of them with ``many``) as ``schema`` shapes it."""
    shaped = instance(schema)
    return [shaped.dump(item) for item in data] if many else shaped.dump(data)


def answer(
    schema: SchemaLike, data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer of ``data`` shaped by ``schema``."""
    response = jsonify(dumped(schema, data))
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def listed(schema: SchemaLike, data: Iterable[Any], *page: Any, **extra: Any) -> Response:
    """The list envelope (``listing``) of items shaped by ``schema``; ``page`` is the next
    cursor of a paged list (``listed(User, *id_page)`` passes both)."""
    return listing(dumped(schema, data, many=True), *page, **extra)

"""One declaration per API endpoint: its rule, view, and (for the fixed endpoints) the
schemas of its query string, body and answer, from which the OpenAPI document is built.

A route module lists its endpoints in ``ENDPOINTS`` and registers them with
``add_endpoints``; its views load and dump with the same schemas
(``plinth.api.contract``). Endpoints with ``documented=False`` are not in the fixed part
of the document: transitions, SLA clocks and assignment are described for each object from
its metadata (``plinth/api/openapi/``), the HTML reference page not at all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from plinth.json_props import MAX_ID

PREFIX = "/api/v1"
PROBLEM = {"$ref": "#/components/responses/Problem"}
_PARAMETER = re.compile(r"<(?:([a-z_]+):)?([a-z_][a-z0-9_]*)>")
_DESCRIPTIONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "Done"}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """An endpoint under ``/api/v1``.

    ``body``, ``query`` and ``reply`` are marshmallow schemas (classes), or JSON Schema
    dicts where the shape is free (a metadata document); a dict may hold schema classes
    (``listing_of(User)``). Without ``reply`` (or ``reply_content``) the endpoint answers
    204 with no content; ``status`` is the success status otherwise (default 200).
    """

    rule: str
    method: str
    view: Callable[..., ResponseReturnValue]
    summary: str = ""
    tag: str = "system"
    query: Any = None
    body: Any = None
    body_required: bool = True
    reply: Any = None
    status: int | None = None
    public: bool = False  # answers without authentication
    params: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    responses: dict[str, Any] = dataclasses.field(default_factory=dict)
    body_content: dict[str, Any] | None = None  # a body other than JSON (an upload)
    reply_content: dict[str, Any] | None = None  # an answer other than JSON (a download)
    name: str | None = None  # the Flask endpoint name (default: the view's)
    documented: bool = True

    @property
    def path(self) -> str:
        """The OpenAPI path: ``/users/<id:user_id>`` is ``/api/v1/users/{user_id}``."""
        return PREFIX + _PARAMETER.sub(lambda m: "{" + m.group(2) + "}", self.rule)

    def path_parameters(self) -> list[dict[str, Any]]:
        """The rule's parameters: ``<id:x>`` an id, any other a string, unless ``params``
        says otherwise."""
        parameters = []
        for converter, name in _PARAMETER.findall(self.rule):
            default = ID_SCHEMA if converter == "id" else {"type": "string"}
            schema = self.params.get(name, default)
            parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return parameters

    def operation(self) -> dict[str, Any]:
        """The OpenAPI operation (schema classes left for apispec to resolve)."""
        operation: dict[str, Any] = {"summary": self.summary, "tags": [self.tag]}
        if self.query is not None:
            operation["parameters"] = [{"in": "query", "schema": self.query}]
        if self.body is not None:
            operation["requestBody"] = {
                "required": self.body_required,
                "content": {"application/json": {"schema": self.body}},
            }
        elif self.body_content is not None:
            operation["requestBody"] = {"required": True, "content": self.body_content}
        status = self.status or (200 if self.reply or self.reply_content else 204)
        answer: dict[str, Any] = {"description": _DESCRIPTIONS.get(status, "OK")}
        if self.reply_content is not None:
            answer["content"] = self.reply_content
        elif self.reply is not None:
            answer["content"] = {"application/json": {"schema": self.reply}}
        operation["responses"] = {str(status): answer, **self.responses, "default": PROBLEM}
        if self.public:
            operation["security"] = [{}]
        return operation


def add_endpoints(api: Blueprint, endpoints: Iterable[Endpoint]) -> None:
    """Register each endpoint's view on the API blueprint."""
    for endpoint in endpoints:
        api.add_url_rule(
            endpoint.rule,
            endpoint=endpoint.name or endpoint.view.__name__,
            view_func=endpoint.view,
            methods=[endpoint.method],
        )

"""The OpenAPI document and a browsable API reference page rendered from it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template

from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.fixed_endpoints import ENDPOINTS as FIXED
from plinth.api.openapi.document import openapi_document
from plinth.auth.web_session import request_session


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def _document() -> dict[str, Any]:
    with request_session(anonymous=True) as s:
        return openapi_document(s, s.actor.id is not None, DOCUMENTED)


def openapi_json() -> Response:
    return jsonify(_document())


def reference() -> str:
    document = _document()
    groups: dict[str, list[dict[str, Any]]] = {tag["name"]: [] for tag in document.get("tags", ())}
    named = document["components"].get("parameters", {})

    def resolved(parameters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [named[p["$ref"].rpartition("/")[2]] if "$ref" in p else p for p in parameters]

    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in ("get", "post", "put", "patch", "delete"):
            if method in item:
                op = item[method]
                groups.setdefault(op["tags"][0], []).append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "op": op,
                        "parameters": resolved(shared + op.get("parameters", [])),
                    }
                )
    return render_template(
        "api_reference.html",
        doc=document,
        groups={tag: ops for tag, ops in groups.items() if ops},
        schemas=document["components"]["schemas"],
    )


ENDPOINTS = (
    Endpoint("/openapi.json", "GET", openapi_json, "This document", "system",
             reply={"type": "object"}, public=True),
    Endpoint("/docs", "GET", reference, documented=False),  # an HTML page of the document
)  # fmt: skip
DOCUMENTED = (*FIXED, *ENDPOINTS)

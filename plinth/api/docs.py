"""The OpenAPI document and a browsable API reference page rendered from it."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from plinth.api.auth import api_session
from plinth.api.openapi.document import openapi_document


def register(api: Blueprint) -> None:
    api.add_url_rule("/openapi.json", view_func=openapi_json, methods=["GET"])
    api.add_url_rule("/docs", view_func=reference, methods=["GET"])


def _document():
    with api_session(anonymous=True) as s:
        return openapi_document(s, authenticated=s.actor.id is not None)


def openapi_json():
    return jsonify(_document())


def reference():
    document = _document()
    groups: dict[str, list] = {tag["name"]: [] for tag in document.get("tags", ())}
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
                        "parameters": shared + op.get("parameters", []),
                    }
                )
    return render_template(
        "api_reference.html",
        doc=document,
        groups={tag: ops for tag, ops in groups.items() if ops},
        schemas=document["components"]["schemas"],
    )

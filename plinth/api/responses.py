"""Small helpers shared by the route modules."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from plinth.api.jsonio import BadRequest

_UNPAGED = object()


def listing(data: list, next_cursor: Any = _UNPAGED, **extra: Any) -> Response:
    """The envelope of every list: ``{"data": [...]}``, with ``next_cursor`` (null on the last
    page) when the list is paged."""
    body: dict[str, Any] = {"data": data}
    if next_cursor is not _UNPAGED:
        body["next_cursor"] = next_cursor
    body.update(extra)
    return jsonify(body)


def int_arg(name: str, default: int | None = None, low: int = 1, high: int = 1000) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def bool_arg(name: str) -> bool:
    raw = request.args.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name} must be true or false")
    return raw in ("true", "1")


def client_address() -> str:
    return (request.remote_addr or "")[:64]

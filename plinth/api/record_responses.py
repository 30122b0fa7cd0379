"""Record responses with an ETag of the record version, and reading If-Match."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request

from plinth.errors import StaleVersion

_ETAG = re.compile(r'^\s*"(\d{1,18})"\s*$')


def etag(record: dict[str, Any]) -> str:
    return f'"{record["version"]}"'


def with_etag(record: dict[str, Any], status: int = 200) -> Response:
    """A JSON response of a record with its version as the ETag (for If-Match)."""
    response = jsonify(record)
    response.status_code = status
    if "version" in record:
        response.headers["ETag"] = etag(record)
    return response


def expected_version() -> int | None:
    """The version named by If-Match (None when absent or ``*``); 412 when unusable."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header)
    if not match:
        raise StaleVersion('If-Match must be a record ETag such as "3"')
    return int(match.group(1))

"""Every API error as RFC 9457 problem+json, produced in one place."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from plinth.api.jsonio import dumps
from plinth.errors import PlinthError, ValidationError

log = logging.getLogger(__name__)
PROBLEM_TYPE = "https://plinth.dev/problems/"
API_PREFIX = "/api/"


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {
        "type": PROBLEM_TYPE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(dumps(body), status=status, mimetype="application/problem+json")
    if status == 405 and "allowed" in extra:
        response.headers["Allow"] = ", ".join(extra["allowed"])
    return response


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def from_error(error: PlinthError) -> Response:
    extra = dict(error.extra)
    if isinstance(error, ValidationError):
        extra["errors"] = error.errors
    response = problem(error.status, error.title, error.detail, **extra)
    retry = getattr(error, "retry_after", None)
    if retry:
        response.headers["Retry-After"] = str(retry)
    return response


def register_error_handlers(app: Flask) -> None:
    """problem+json for core errors, HTTP errors and (without a traceback) anything else."""

    @app.errorhandler(PlinthError)
    def handle_plinth_error(error: PlinthError) -> Response:
        return from_error(error)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Response | HTTPException:
        if not _is_api():
            return error
        extra: dict[str, Any] = {}
        if error.code == 405:
            extra["allowed"] = sorted(getattr(error, "valid_methods", None) or [])
        details: dict[int | None, str] = {
            404: f"no such endpoint: {request.path}",
            405: f"{request.method} is not allowed here",
            413: "the request body is too large",
        }
        detail = details.get(error.code, error.description or error.name)
        return problem(error.code or 500, error.name, detail, **extra)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Response:
        incident = uuid.uuid4().hex[:12]
        log.exception(
            "unhandled error (incident %s) on %s %s", incident, request.method, request.path
        )
        return problem(
            500,
            "Internal Server Error",
            f"something went wrong on our side; quote incident {incident} when reporting it",
            incident=incident,
        )

"""Every API error as RFC 9457 problem+json, produced in one place.

An error's ``detail`` and field ``errors`` are English unless the request asks for another
supported language with ``Accept-Language`` and the app has a translator for the engine's
messages (the pages register theirs: ``set_translator``); then they are in that language
and the answer carries ``Content-Language``. ``type``, ``title`` and the ``errors`` keys
never change, so code reads those.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from werkzeug.exceptions import HTTPException

from plinth.api.jsonio import dumps
from plinth.errors import PlinthError, ValidationError
from plinth.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES

# (message, locale) -> the message in that locale
Translator = Callable[[str, str], str]
_TRANSLATOR_KEY = "plinth.api.translator"
_ASKED = (*SUPPORTED_LOCALES, "zh")  # a bare "zh" means Simplified Chinese here

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


def set_translator(app: Flask, translate: Translator) -> None:
    """Let API errors speak the language a request asks for (see the module's text)."""
    app.extensions[_TRANSLATOR_KEY] = translate


def asked_locale() -> str:
    """The supported language this request prefers (``Accept-Language``), else English."""
    best = request.accept_languages.best_match(_ASKED, default=DEFAULT_LOCALE)
    return "zh-CN" if best == "zh" else best


def from_error(error: PlinthError) -> Response:
    extra = dict(error.extra)
    detail: str = error.detail
    errors = error.errors if isinstance(error, ValidationError) else None
    locale = asked_locale() if has_request_context() else DEFAULT_LOCALE
    translate: Translator | None = current_app.extensions.get(_TRANSLATOR_KEY)
    if locale != DEFAULT_LOCALE and translate is not None:
        detail = translate(detail, locale)
        if errors:
            errors = {key: [translate(m, locale) for m in said] for key, said in errors.items()}
    else:
        locale = DEFAULT_LOCALE
    if errors is not None:
        extra["errors"] = errors
    response = problem(error.status, error.title, detail, **extra)
    response.headers["Content-Language"] = locale
    response.vary.add("Accept-Language")
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

"""The ``Idempotency-Key`` header of unsafe API requests (POST, PUT, PATCH, DELETE): read
before the view, claimed for the caller in the request's transaction
(``plinth.auth.web_session``), and answered once the response exists; a replay gets the
first answer with ``Idempotent-Replayed: true``. See ``plinth.runtime.idempotency`` for the
guarantees, and docs/api.md.

Callers without a login (the token exchange, login, public forms) have no user to keep a key
for: the header is checked but has no effect for them.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from flask import Blueprint, Flask, Response, g, request

from plinth.errors import ValidationError
from plinth.extension import current_tenant
from plinth.runtime import idempotency
from plinth.runtime.idempotency import HEADER, Answer, KeyedRequest, Replay

log = logging.getLogger(__name__)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REPLAYED_HEADER = "Idempotent-Replayed"
#: Headers of an answer that a replay repeats (besides any ``X-Plinth-*``); the others
#: (cookies, security headers, request ids) belong to each response.
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Link", "Retry-After")

#: The OpenAPI parameter every unsafe operation takes (``components/parameters``).
PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": "^[ -~]+$",
    },
    "description": (
        "Apply this request once: a retry with the same key, method, path and body gets "
        f"the first answer (with `{REPLAYED_HEADER}: true`); the same key with another "
        "request answers 422, and while the first is still being applied 409. Kept per "
        f"user for {int(idempotency.RETENTION.total_seconds() // 3600)} hours; a failed "
        "request does not keep its key. Ignored without a login."
    ),
}


class HeaderInvalid(ValidationError):
    """A malformed request header: a 400 with an ``errors`` map naming it."""

    status = 400
    title = "Bad request"


def register(api: Blueprint, app: Flask) -> None:
    """Read the header before each unsafe API request, keep its answer after; answer
    replays."""
    api.before_request(read_key)
    api.after_request(keep_answer)
    app.register_error_handler(Replay, replay)


def read_key() -> None:
    """Note the request's key and fingerprint for ``request_session`` to claim."""
    if request.method not in UNSAFE_METHODS:
        return
    key = request.headers.get(HEADER)
    if key is None:
        return
    if not idempotency.valid_key(key):
        raise HeaderInvalid.single(
            HEADER,
            f"must be 1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters",
        )
    body = request.get_data(cache=True)
    # get_data consumed the stream: a view reading the raw stream (an upload) reads it again.
    request.stream = io.BytesIO(body)
    g.idempotency = KeyedRequest(
        key, idempotency.fingerprint(request.method, request.path, request.query_string, body)
    )


def keep_answer(response: Response) -> Response:
    """Store the answer of a request that claimed its key; release a held key whose request
    failed. An answer that cannot be stored (streamed, a server error after the commit)
    leaves the key applied without an answer: replays then answer 409."""
    keyed: KeyedRequest | None = g.get("idempotency")
    if keyed is None or keyed.user_id is None:
        return response
    committed = keyed.state == idempotency.COMMITTED
    held = keyed.state == idempotency.HELD
    if not (committed or held):
        return response  # not claimed, rolled back, or answered from an earlier request
    keyed.state = idempotency.SETTLED
    failed = response.status_code >= (500 if committed else 400)
    if failed and committed:
        return response  # the work is done but its answer is not worth keeping: replays 409
    if not failed and response.is_streamed:
        return response  # nothing to keep: replays 409
    try:
        with current_tenant().database.transaction(write=True) as conn:
            now = current_tenant().clock()
            if failed:  # held: its own transaction claimed it, the work failed
                idempotency.release(conn, keyed.user_id, keyed.key)
            else:
                answer = Answer(response.status_code, _kept_headers(response), response.get_data())
                idempotency.save_answer(conn, keyed.user_id, keyed.key, answer, now)
    except Exception:  # noqa: BLE001 - the work is done; replays answer 409 instead
        log.exception("could not store the answer of %s %s", request.method, request.path)
    return response


def _kept_headers(response: Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name in KEPT_HEADERS or name.lower().startswith("x-plinth-")
    }


def replay(error: Replay) -> Response:
    """The first answer again, marked as a replay."""
    answer = error.answer
    response = Response(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response.headers[name] = value
    response.headers[REPLAYED_HEADER] = "true"
    return response

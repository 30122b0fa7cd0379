"""JSON in and out: ISO 8601 UTC instants with Z, decimals as numbers, UTF-8 text."""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import json
from typing import TYPE_CHECKING, Any, cast

import jsonschema
import orjson
from flask import Response, request
from flask.json.provider import DefaultJSONProvider

from plinth import json_input
from plinth.errors import PlinthError, ValidationError
from plinth.runtime.jsonable import format_instant

if TYPE_CHECKING:
    from flask import Flask


class BadRequest(PlinthError):
    """The request itself is malformed (not JSON, a bad query argument): 400."""

    status = 400
    title = "Bad request"


class BodyInvalid(ValidationError):
    """A body that parses but cannot be used as JSON input (nested too deeply): a 400 with
    an ``errors`` map naming where."""

    status = 400
    title = "Bad request"


class QueryInvalid(ValidationError):
    """Bad query-string arguments (filters, sort, cursor): a 400 with an ``errors`` map."""

    status = 400
    title = "Invalid query"


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_instant(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# Instants go through ``_default`` (orjson would keep a local time's offset; the API answers
# in UTC with Z); keys that are not text become text, like the standard library's json.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def encode(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON: orjson (the encoding is a good part of an API
    answer's cost), falling back to the standard library for what orjson refuses (integers
    beyond 64 bits)."""
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return dumps(value).encode()


class PlinthJSONProvider(DefaultJSONProvider):
    """Flask's JSON, but instants as ISO 8601 (not HTTP dates) and readable non-ASCII text."""

    ensure_ascii = False
    sort_keys = False
    default = staticmethod(_default)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """A JSON response of ``jsonify``'s arguments, encoded by ``encode``."""
        value = self._prepare_response_obj(args, kwargs)
        app = cast("Flask", self._app)  # typed as the sansio App, whose Response takes no body
        return app.response_class(encode(value), mimetype=self.mimetype)


def dumps(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False, separators=(",", ":"))


def optional_body(allowed: tuple[str, ...]) -> dict[str, Any]:
    """An optional JSON object body (``{}`` when none is sent); 422 naming any property
    other than ``allowed``."""
    if not request.content_length and not request.data:
        return {}
    body: dict[str, Any] = json_body()
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        hint = f"unknown property; send {' and '.join(allowed)}"
        raise ValidationError({k: [hint] for k in unknown})
    return body


def json_body(require_object: bool = True) -> Any:
    """The request's JSON body; 400 when it is missing, malformed or nested too deeply, 422
    when it is not an object or holds a value no field could take (see ``json_input``)."""
    if not request.content_length and not request.data:
        raise BadRequest("a JSON body is required")
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise BadRequest("send the body as application/json")
    try:
        body = json_input.loads(request.get_data(cache=True))
    except json_input.TooDeep as exc:
        raise BodyInvalid({exc.path or "_body": [exc.message]}) from None
    except json_input.JsonInputError as exc:
        if exc.status == 422:
            raise ValidationError.single(exc.path or "_body", exc.message) from None
        raise BadRequest(exc.message) from None
    if require_object and not isinstance(body, dict):
        raise ValidationError.single("_body", "must be a JSON object")
    return body


def checked_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON object body, valid by the JSON Schema ``schema`` (the one the
    endpoint's OpenAPI document shows); 422 with a message per offending property."""
    body: dict[str, Any] = json_body()
    errors: dict[str, list[str]] = {}
    for error in _validator(json.dumps(schema, sort_keys=True)).iter_errors(body):
        path = [str(part) for part in error.absolute_path]
        if error.validator == "required":
            path.append(error.message.split("'")[1])
            message = "is required"
        elif error.validator == "additionalProperties":
            unknown = [k for k in error.instance if f"'{k}'" in error.message]
            for key in unknown:
                errors.setdefault(".".join([*path, key]), []).append("unknown property")
            continue
        else:
            message = error.message
        errors.setdefault(".".join(path) or "_body", []).append(message)
    if errors:
        raise ValidationError(errors)
    return body


@functools.lru_cache(maxsize=64)
def _validator(schema_json: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(schema_json)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())

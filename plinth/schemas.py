"""marshmallow building blocks for the fixed endpoints' bodies and answers (users, teams,
tokens, settings, approvals, jobs, …): strict fields whose messages read like the rest of
the API's, and ``load``, which turns marshmallow's errors into the engine's ValidationError
(a 422 problem naming each property).

One schema serves three purposes: the service (or the route) loads its input with it, the
route dumps its answer with it, and ``plinth/api/openapi`` documents both through apispec's
MarshmallowPlugin. Records do not use these: their endpoints stay on the compiled
per-object path (decision 0009), their schemas generated from metadata (decision 0011).

Fields refuse what JSON would coerce elsewhere: ``true`` is no integer, ``"1"`` no number,
``1`` no boolean; ids are whole numbers from 1 to 2^63-1; instants answer in UTC with ``Z``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import marshmallow
from marshmallow import fields, validate
from marshmallow.types import ErrorMessages

from plinth.errors import ValidationError
from plinth.json_props import MAX_ID, date_from_text, int_from_text
from plinth.runtime.jsonable import format_instant

__all__ = [
    "Answer",
    "Anything",
    "Body",
    "Choice",
    "Day",
    "Flag",
    "Id",
    "Instant",
    "ListOf",
    "Nested",
    "Number",
    "Object",
    "Query",
    "QueryFlag",
    "QueryId",
    "QueryInstant",
    "QueryInt",
    "QueryText",
    "Text",
    "Whole",
    "errors_of",
    "load",
]

_MESSAGES: ErrorMessages = {
    "required": "is required",
    "null": "must not be null",
    "validator_failed": "is not valid",
}


class _Plain:
    """Messages in the API's words (marshmallow merges these along the MRO)."""

    default_error_messages: ErrorMessages = _MESSAGES


class Text(_Plain, fields.String):
    """Text of at most ``max_length`` characters (and at least ``min_length``);
    ``blank=False`` refuses text of only spaces as missing."""

    default_error_messages: ErrorMessages = {"invalid": "must be text"}

    def __init__(
        self,
        max_length: int | None = None,
        min_length: int | None = None,
        blank: bool = True,
        **kwargs: Any,
    ):
        checks = list(_as_list(kwargs.pop("validate", None)))
        if max_length is not None:
            message = (
                f"must be text of at most {max_length} characters"
                if min_length is None
                else f"must have at most {max_length} characters"
            )
            checks.insert(0, validate.Length(max=max_length, error=message))
        if min_length is not None:
            message = f"must have at least {min_length} characters"
            checks.insert(0, validate.Length(min=min_length, error=message))
        if not blank:
            checks.insert(0, _not_blank)
        super().__init__(validate=checks, **kwargs)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise marshmallow.ValidationError("is required")


class Choice(_Plain, fields.String):
    """One of ``choices`` (an enum in the document)."""

    default_error_messages: ErrorMessages = {"invalid": "must be text"}

    def __init__(self, choices: Iterable[str], **kwargs: Any):
        choices = list(choices)
        error = f"must be one of {', '.join(map(str, choices))}"
        super().__init__(validate=validate.OneOf(choices, error=error), **kwargs)


class Whole(_Plain, fields.Integer):
    """A whole number (not a boolean, not text) from ``low`` to ``high``."""

    default_error_messages: ErrorMessages = {
        "invalid": "must be a whole number",
        "too_large": "is too large",
    }

    def __init__(self, low: int | None = None, high: int | None = None, **kwargs: Any):
        checks = list(_as_list(kwargs.pop("validate", None)))
        if low is not None or high is not None:
            error = _range_message(low, high)
            checks.insert(0, validate.Range(min=low, max=high, error=error))
        super().__init__(strict=True, validate=checks, **kwargs)

    def _validated(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


def _range_message(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"must be a whole number from {low} to {high}"
    if low is not None:
        return f"must be a whole number of at least {low}"
    return f"must be a whole number of at most {high}"


class Number(_Plain, fields.Float):
    """A number (not a boolean, not text)."""

    default_error_messages: ErrorMessages = {"invalid": "must be a number"}

    def _validated(self, value: Any) -> Any:
        if isinstance(value, (bool, str)):
            raise self.make_error("invalid")
        return super()._validated(value)


class Id(Whole):
    """An id (1 to 2^63-1); ``what`` names the kind of thing in the message."""

    def __init__(self, what: str = "record", **kwargs: Any):
        super().__init__(**kwargs)
        error = f"must be a {what} id (a whole number from 1 to {MAX_ID})"
        self.validators.insert(0, validate.Range(min=1, max=MAX_ID, error=error))
        self.error_messages = {**self.error_messages, "invalid": error}


class Flag(_Plain, fields.Boolean):
    """``true`` or ``false``, nothing else (no ``"yes"``, no ``1``)."""

    default_error_messages: ErrorMessages = {"invalid": "must be true or false"}

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Instant(_Plain, fields.DateTime):
    """An instant: answered in ISO 8601 UTC with ``Z``, read from ISO 8601 (UTC when it
    names no zone)."""

    default_error_messages: ErrorMessages = {"invalid": "must be an ISO 8601 instant"}

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return format_instant(value)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> dt.datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        try:
            instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            zoned = instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
            return zoned.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            raise self.make_error("invalid") from None


class Day(_Plain, fields.Date):
    """A date (YYYY-MM-DD) from 0001-01-02 to 9999-12-30, so the days around it exist."""

    default_error_messages: ErrorMessages = {
        "invalid": "must be a date (YYYY-MM-DD) from 0001-01-02 to 9999-12-30"
    }

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> dt.date:
        day = date_from_text(value)
        if day is None:
            raise self.make_error("invalid")
        return day


class ListOf(_Plain, fields.List[Any]):
    """A JSON array of ``item`` (at most ``max_items`` of them when given); an item's
    problem is named ``<property>.<index>``."""

    default_error_messages: ErrorMessages = {"invalid": "must be a list"}

    def __init__(self, item: fields.Field[Any], max_items: int | None = None, **kwargs: Any):
        checks = list(_as_list(kwargs.pop("validate", None)))
        if max_items is not None:
            error = f"holds at most {max_items} items"
            checks.insert(0, validate.Length(max=max_items, error=error))
        super().__init__(item, validate=checks, **kwargs)


class Object(_Plain, fields.Dict):
    """A JSON object whose properties the schema does not describe."""

    default_error_messages: ErrorMessages = {"invalid": "must be a JSON object"}


class Anything(_Plain, fields.Raw):
    """Any JSON value."""


class Nested(_Plain, fields.Nested):
    """Another schema's object (or a list of them with ``many=True``)."""

    default_error_messages: ErrorMessages = {"type": "must be a JSON object"}


# ---- query strings ------------------------------------------------------------------------
class QueryInt(_Plain, fields.Integer):
    """A whole-number query argument from ``low`` to ``high``, ASCII digits only (``"²"``
    and 5000 digits are refused before ``int()`` sees them)."""

    def __init__(self, low: int = 1, high: int = 1000, **kwargs: Any):
        self.low, self.high = low, high
        kwargs.setdefault("validate", validate.Range(min=low, max=high))  # for the document
        super().__init__(**kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> int:
        number = int_from_text(value, self.low, self.high)
        if number is None:
            raise marshmallow.ValidationError(
                f"must be a whole number from {self.low} to {self.high}"
            )
        return number


class QueryId(QueryInt):
    """An id query argument (1 to 2^63-1)."""

    def __init__(self, **kwargs: Any):
        super().__init__(1, MAX_ID, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> int:
        number = int_from_text(value, 1, MAX_ID)
        if number is None:
            raise marshmallow.ValidationError(f"must be an id (a whole number from 1 to {MAX_ID})")
        return number


class QueryText(_Plain, fields.String):
    """A text query argument (an empty one counts as absent)."""


class QueryInstant(QueryText):
    """An ISO 8601 date or instant query argument, as a UTC instant (a date is its
    midnight in UTC)."""

    # A String field (the document shows a string argument) that loads as an instant.
    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> dt.datetime:
        message = "must be an ISO 8601 date or instant"
        if not isinstance(value, str) or len(value) > 40:
            raise marshmallow.ValidationError(message)
        try:
            instant = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            # In UTC here: 9999-12-31T23:59-14:00 has no UTC instant (OverflowError).
            zoned = instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
            return zoned.astimezone(dt.UTC)
        except (ValueError, OverflowError):
            raise marshmallow.ValidationError(message) from None


class QueryFlag(_Plain, fields.Boolean):
    """A boolean query argument: true, false, 1 or 0."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        lowered = value.lower() if isinstance(value, str) else None
        if lowered not in ("true", "false", "1", "0"):
            raise marshmallow.ValidationError("must be true or false")
        return lowered in ("true", "1")


# ---- schemas --------------------------------------------------------------------------------
class Body(marshmallow.Schema):
    """A request body: a JSON object with only the properties declared."""

    error_messages = {"unknown": "unknown property", "type": "must be a JSON object"}

    class Meta:
        unknown = marshmallow.RAISE


class Answer(marshmallow.Schema):
    """An answer's shape: dumped from what a service returns (keys it lacks are left out)."""

    class Meta:
        unknown = marshmallow.RAISE


class Query(marshmallow.Schema):
    """Query-string arguments (others are ignored, as every endpoint always has)."""

    class Meta:
        unknown = marshmallow.EXCLUDE


_INSTANCES: dict[type, marshmallow.Schema] = {}


def instance(schema: type[marshmallow.Schema] | marshmallow.Schema) -> marshmallow.Schema:
    """One shared instance per schema class (they keep no state between calls)."""
    if isinstance(schema, marshmallow.Schema):
        return schema
    found = _INSTANCES.get(schema)
    if found is None:
        found = _INSTANCES[schema] = schema()
    return found


def load(
    schema: type[marshmallow.Schema] | marshmallow.Schema,
    data: Any,
    partial: bool = False,
    error: type[ValidationError] = ValidationError,
) -> dict[str, Any]:
    """``data`` loaded by ``schema``; ``error`` (a 422 ValidationError unless told) with a
    message per offending property otherwise. Absent properties stay absent."""
    try:
        loaded: dict[str, Any] = instance(schema).load(data, partial=partial)
        return loaded
    except marshmallow.ValidationError as exc:
        raise error(errors_of(exc.messages)) from None


def errors_of(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as the API's ``errors``: ``{"teams.0": [...]}``, the
    body itself as ``_body``."""
    if not isinstance(messages, Mapping):
        texts = messages if isinstance(messages, list) else [messages]
        return {prefix or "_body": [str(t) for t in texts]}
    found: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
        for where, texts in errors_of(value, name).items():
            found.setdefault(where, []).extend(texts)
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]

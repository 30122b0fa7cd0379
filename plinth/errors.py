"""Typed errors raised by the core; the API and CLI turn them into responses in one place."""

from __future__ import annotations

from typing import Any


class PlinthError(Exception):
    """Base class: an error a user can act on (never a bug)."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ConfigError(PlinthError):
    title = "Configuration error"
    status = 500


class ValidationError(PlinthError):
    """Bad input; ``errors`` maps a field name (or JSON pointer) to its messages."""

    status = 422
    title = "Validation failed"

    def __init__(self, errors: dict[str, list[str]] | None = None, detail: str | None = None):
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        if detail is None:
            detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()) or "invalid"
        super().__init__(detail)

    @classmethod
    def single(cls, field: str, message: str) -> ValidationError:
        return cls({field: [message]})


class MetadataInvalid(ValidationError):
    """A metadata document failed its schema or its cross-checks; keys are JSON pointers."""

    title = "Invalid metadata"


class NotFound(PlinthError):
    """The record, object or thing asked for does not exist (or is not visible): 404."""

    status = 404
    title = "Not found"


class Conflict(PlinthError):
    """The request is valid but clashes with the current state (wrong workflow state, a
    duplicate, a stale version): 409."""

    status = 409
    title = "Conflict"


class StaleVersion(Conflict):
    """An update named a version that is no longer current (optimistic locking)."""

    status = 412
    title = "Precondition failed"


class DestructiveChange(Conflict):
    """A schema change would lose data; ``losses`` lists what, per table and column."""

    title = "Destructive change"

    def __init__(self, detail: str, losses: list[dict[str, Any]]):
        super().__init__(detail, losses=losses)
        self.losses = losses


class PermissionDenied(PlinthError):
    """The actor may not do this: 403."""

    status = 403
    title = "Forbidden"


class NotAuthenticated(PlinthError):
    status = 401
    title = "Unauthorized"


class TooManyRequests(PlinthError):
    """A rate limit was reached; try again later: 429."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after

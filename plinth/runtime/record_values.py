"""Checking and coercing the values given to create or update a record."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from plinth.errors import ValidationError
from plinth.i18n import Message
from plinth.runtime.field_types.base import CoercionContext, FieldError, unforeseen_input
from plinth.runtime.model import Field, ObjectModel

WRITABLE_SYSTEM_FIELDS = frozenset({"owner_id"})


def coerce_input(
    model: ObjectModel,
    values: Any,
    ctx: CoercionContext,
    readable: frozenset[str] | None,
    editable: frozenset[str] | None,
    trusted: bool,
) -> dict[str, Any]:
    """Coerced values for the given fields, or ValidationError listing every problem.

    A field the actor may not read is reported as unknown (its existence does not leak).
    ``trusted`` callers (the system actor: workflows, automations, packs) may set fields
    marked read_only; nobody may set autonumbers, formulas or system columns but owner_id.
    """
    if not isinstance(values, Mapping):
        raise ValidationError.single("_body", "must be a JSON object of field values")
    errors: dict[str, list[str]] = {}
    result: dict[str, Any] = {}
    for name, raw in values.items():
        field = model.fields.get(name) if isinstance(name, str) else None
        if field is None or (readable is not None and name not in readable):
            errors.setdefault(str(name), []).append("unknown field")
            continue
        problem = _write_problem(field, editable, trusted)
        if problem:
            errors.setdefault(name, []).append(problem)
            continue
        if raw is None:
            result[name] = None
            continue
        try:
            with unforeseen_input(field):
                result[name] = field.type.coerce(field, raw, ctx)
        except FieldError as exc:
            errors.setdefault(name, []).append(exc.message)
    if errors:
        raise ValidationError(errors)
    return result


def _write_problem(field: Field, editable: frozenset[str] | None, trusted: bool) -> str | None:
    if field.system and field.name not in WRITABLE_SYSTEM_FIELDS:
        return "is set by the system"
    if not field.type.writable:
        return Message("is read-only ({type})", type=field.type.name)
    if not trusted and field.spec.get("read_only"):
        return "is read-only"
    if editable is not None and field.name not in editable:
        return "is read-only for you"
    return None


def defaults_for(model: ObjectModel, given: dict[str, Any], ctx: CoercionContext) -> dict[str, Any]:
    """Coerced defaults of the fields not given (validated when the metadata was saved)."""
    result = {}
    for field in model.user_fields:
        if field.name in given or "default" not in field.spec or field.spec["default"] is None:
            continue
        result[field.name] = field.type.coerce(field, field.spec["default"], ctx)
    return result


def missing_required(
    model: ObjectModel, record: dict[str, Any], names: Collection[str] | None = None
) -> dict[str, list[str]]:
    """Required fields that are empty in ``record`` (only among ``names`` when given)."""
    errors: dict[str, list[str]] = {}
    for field in model.user_fields:
        if not field.required or (names is not None and field.name not in names):
            continue
        if field.type.is_empty(record.get(field.name)):
            errors[field.name] = ["is required"]
    return errors

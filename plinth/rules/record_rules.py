"""Rules that shape a record: expression defaults, formulas and validation rules."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from collections.abc import Container
from typing import TYPE_CHECKING, Any, cast

from plinth.errors import PlinthError, ValidationError
from plinth.i18n import localize
from plinth.rules.index import ObjectRules
from plinth.rules.sandbox import CompiledRule, SandboxError, SandboxRuntimeError, evaluate
from plinth.rules.scope import rule_scope
from plinth.runtime.field_types.base import FieldError
from plinth.runtime.jsonable import to_jsonable
from plinth.runtime.model import Field

if TYPE_CHECKING:
    from plinth.runtime.field_types.special import FormulaType
    from plinth.runtime.session import Session

log = logging.getLogger(__name__)


class RuleFailed(PlinthError):
    """A rule could not run (a bug in the rule, not in the input); the operation fails."""

    status = 422
    title = "Rule failed"


def evaluate_rule(rule: CompiledRule | str, scope: dict[str, Any], where: str) -> Any:
    """Evaluate a compiled rule; a failure inside it becomes RuleFailed, its message
    prefixed by ``where`` (e.g. "automation notify_overdue: condition")."""
    try:
        return evaluate(rule, scope)
    except SandboxError as exc:
        raise RuleFailed(f"{where} {exc}") from None


def _result(field: Field, value: Any, session: Session) -> Any:
    """A rule's result as a value of the field (decimals are rounded to the field's scale)."""
    if value is None:
        return None
    formula = field.type.name == "formula"
    target = cast("FormulaType", field.type).result_type(field) if formula else field.type
    if isinstance(value, dt.timedelta):
        if target.name != "duration":
            raise FieldError("a duration only fits a duration field")
        value = round(value.total_seconds() / 60)
    if target.name in ("decimal", "currency", "percent") and isinstance(
        value, (int, float, decimal.Decimal)
    ):
        scale = field.spec.get("scale", getattr(target, "default_scale", 2))
        value = decimal.Decimal(str(value)).quantize(
            decimal.Decimal(1).scaleb(-scale), rounding=decimal.ROUND_HALF_UP
        )
    return field.type.coerce(field, to_jsonable(value), session.coercion)


def apply_defaults(session: Session, rules: ObjectRules, values: dict[str, Any]) -> None:
    """Expression defaults for fields left empty on create."""
    for field, rule in rules.defaults:
        if values.get(field.name) is not None:
            continue
        try:
            values[field.name] = _result(
                field, evaluate(rule, rule_scope(session, values, fields=rules.fields)), session
            )
        except (SandboxError, FieldError) as exc:
            raise RuleFailed(f"the default of {field.name} failed: {exc}") from None


def formula_value(
    session: Session,
    rules: ObjectRules,
    field: Field,
    rule: CompiledRule,
    values: dict[str, Any],
    old: dict[str, Any] | None = None,
) -> Any:
    """A formula's value. Blank inputs give a blank result: a formula that fails only because
    a field it reads is empty is empty itself (like "treat blank fields as blanks")."""
    scope = rule_scope(session, values, old, fields=rules.fields)
    try:
        return _result(field, evaluate(rule, scope), session)
    except SandboxRuntimeError:
        if any(scope.get(name) is None for name in rule.free_names if name in rules.fields):
            return None
        raise


def compute_formulas(
    session: Session,
    rules: ObjectRules,
    values: dict[str, Any],
    old: dict[str, Any] | None,
    stored_only: bool,
) -> None:
    """Set formula values in dependency order; on save a failing formula fails the save."""
    for field, rule in rules.formulas:
        if stored_only and not field.spec.get("stored"):
            continue
        try:
            values[field.name] = formula_value(session, rules, field, rule, values, old)
        except (SandboxError, FieldError) as exc:
            raise ValidationError.single(field.name, f"formula failed: {exc}") from None


def formulas_on_read(
    session: Session, rules: ObjectRules, records: list[dict[str, Any]], wanted: Container[str]
) -> None:
    """Non-stored formulas of records being read; a failing one reads as null (and is logged)."""
    fields = [(f, r) for f, r in rules.formulas if not f.spec.get("stored") and f.name in wanted]
    for record in records:
        for field, rule in fields:
            try:
                record[field.name] = formula_value(session, rules, field, rule, record)
            except (SandboxError, FieldError) as exc:
                record[field.name] = None
                log.warning("formula %s of record %s failed: %s", field.name, record.get("id"), exc)


def run_validations(
    session: Session,
    rules: ObjectRules,
    action: str,
    values: dict[str, Any],
    old: dict[str, Any] | None,
) -> None:
    """Every active rule whose condition does not hold adds its message to its fields."""
    errors: dict[str, list[str]] = {}
    for doc, rule in rules.validations:
        if action not in doc.get("events", ("create", "update")):
            continue
        try:
            holds = evaluate(rule, rule_scope(session, values, old, fields=rules.fields))
        except SandboxError as exc:
            log.error("validation rule %s failed to run: %s", doc["name"], exc)
            raise RuleFailed(f"validation rule {doc['name']} failed to run: {exc}") from None
        if not holds:
            message = cast(str, localize(doc["message"], session.actor.locale))  # required
            for field in doc.get("fields") or ["_record"]:
                errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)

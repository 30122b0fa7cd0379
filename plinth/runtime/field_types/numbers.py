"""Numeric fields: integer, decimal, currency, percent and duration (minutes)."""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from plinth.runtime.field_types.base import (
    INCOMPATIBLE,
    NARROW,
    SAME,
    WIDEN,
    CoercionContext,
    Field,
    FieldError,
    FieldType,
    column_of,
)
from plinth.runtime.sqltypes import WIDE_DECIMALS, ExactNumeric

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _check_range(field: Field, value: int | decimal.Decimal) -> None:
    low, high = field.spec.get("min"), field.spec.get("max")
    if low is not None and value < low:
        raise FieldError("must be at least {low}", low=low)
    if high is not None and value > high:
        raise FieldError("must be at most {high}", high=high)


def _range_problems(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None and low > high:
        return [("min", "must not be greater than max")]
    return []


class IntegerType(FieldType):
    name = "integer"

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return sa.BigInteger()

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> int:
        number = _to_int(value)
        _check_range(field, number)
        return number

    def storage_change(self, old: Field, new: Field) -> str:
        if isinstance(new.type, DecimalType):
            digits = new.type.precision(new) - new.type.scale(new)
            return WIDEN if digits >= 19 else NARROW
        return SAME if old.type is new.type else INCOMPATIBLE

    def loss_clause(self, old: Field, new: Field, table: sa.Table) -> sa.ColumnElement[bool]:
        new_type = new.type
        assert isinstance(new_type, DecimalType)  # only a change into a decimal narrows
        limit = decimal.Decimal(10) ** (new_type.precision(new) - new_type.scale(new))
        column = table.c[column_of(old)]
        return sa.or_(column >= limit, column <= -limit)

    def check_definition(self, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        return _range_problems(spec)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise FieldError("expected a whole number, got a boolean")
    if isinstance(value, int):
        result = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise FieldError("must be a whole number")
        result = int(value)
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise FieldError("must be a whole number")
        if value.adjusted() > 18:  # before int(): 1E+100000000 would be a huge int
            raise FieldError("is out of range")
        result = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,20}\s*", value):
        result = int(value)
    else:
        raise FieldError("must be a whole number")
    if not INT64_MIN <= result <= INT64_MAX:
        raise FieldError("is out of range")
    return result


class DecimalType(FieldType):
    name = "decimal"
    default_precision = 18
    default_scale = 4

    def precision(self, field: Field) -> int:
        precision: int = field.spec.get("precision", self.default_precision)
        return precision

    def scale(self, field: Field) -> int:
        scale: int = field.spec.get("scale", self.default_scale)
        return scale

    def sql_type(self, field: Field) -> sa.types.TypeEngine[Any]:
        return ExactNumeric(self.precision(field), self.scale(field))

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> decimal.Decimal:
        if isinstance(value, bool):
            raise FieldError("expected a number, got a boolean")
        try:
            if isinstance(value, float):
                number = decimal.Decimal(repr(value))
            elif isinstance(value, (int, decimal.Decimal)):
                number = decimal.Decimal(value)
            elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*", value):
                number = decimal.Decimal(value.strip())
            else:
                raise FieldError("must be a number")
        except decimal.InvalidOperation:
            raise FieldError("must be a number") from None
        if not number.is_finite():
            raise FieldError("must be a finite number")
        scale = self.scale(field)
        digits = self.precision(field) - scale
        # Checked before quantizing: a 40-digit number cannot be quantized at all.
        if number and number.adjusted() >= digits:
            raise FieldError(
                "has more than {digits} digits before the decimal point", digits=digits
            )
        quantum = decimal.Decimal(1).scaleb(-scale)
        if number != number.quantize(quantum, rounding=decimal.ROUND_DOWN, context=WIDE_DECIMALS):
            raise FieldError("has more than {scale} decimal places", scale=scale)
        number = number.quantize(quantum, context=WIDE_DECIMALS)
        _check_range(field, number)
        return number

    def storage_change(self, old: Field, new: Field) -> str:
        if not isinstance(new.type, DecimalType):
            return INCOMPATIBLE
        if not isinstance(old.type, DecimalType):
            return INCOMPATIBLE
        old_p, old_s = self.precision(old), self.scale(old)
        new_p, new_s = new.type.precision(new), new.type.scale(new)
        if (old_p, old_s) == (new_p, new_s):
            return SAME
        if new_s >= old_s and new_p - new_s >= old_p - old_s:
            return WIDEN
        return NARROW

    def loss_clause(self, old: Field, new: Field, table: sa.Table) -> sa.ColumnElement[bool]:
        column = table.c[column_of(old)]
        new_type = new.type
        assert isinstance(new_type, DecimalType)  # storage_change: only decimals narrow
        new_p, new_s = new_type.precision(new), new_type.scale(new)
        limit = decimal.Decimal(10) ** (new_p - new_s)
        return sa.or_(column >= limit, column <= -limit, sa.func.round(column, new_s) != column)

    def check_definition(self, spec: Mapping[str, Any]) -> list[tuple[str, str]]:
        problems = _range_problems(spec)
        precision = spec.get("precision", self.default_precision)
        scale = spec.get("scale", self.default_scale)
        if scale > precision:
            problems.append(("scale", "must not be greater than precision"))
        return problems


class CurrencyType(DecimalType):
    name = "currency"
    default_scale = 2


class PercentType(DecimalType):
    name = "percent"
    default_precision = 9
    default_scale = 4


class DurationType(IntegerType):
    """A duration in whole minutes; accepts 90, "90", "1h30m", "2h", "45m" or ISO "PT1H30M"."""

    name = "duration"
    # At most 19 digits a part: int() refuses over 4300 and anything longer is out of range.
    _compact = re.compile(
        r"^\s*(?:(\d{1,19})\s*d)?\s*(?:(\d{1,19})\s*h)?\s*(?:(\d{1,19})\s*m(?:in)?)?\s*$"
    )
    _iso = re.compile(r"^P(?:(\d{1,19})D)?(?:T(?:(\d{1,19})H)?(?:(\d{1,19})M)?)?$")

    def coerce(self, field: Field, value: Any, ctx: CoercionContext) -> int:
        if isinstance(value, str) and not value.strip().lstrip("+-").isdigit():
            match = self._compact.match(value) or self._iso.match(value.strip().upper())
            if not match or not any(match.groups()):
                raise FieldError("must be a number of minutes or a duration like 1h30m")
            days, hours, minutes = (int(g or 0) for g in match.groups())
            value = days * 1440 + hours * 60 + minutes
        total = _to_int(value)
        if total < 0:
            raise FieldError("must not be negative")
        _check_range(field, total)
        return total

    def storage_change(self, old: Field, new: Field) -> str:
        return SAME if old.type is new.type else INCOMPATIBLE

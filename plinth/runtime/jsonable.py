"""Turn record values (dates, decimals, ...) into JSON-compatible values."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any


def to_jsonable(value: Any) -> Any:
    """JSON form of a record value: instants as ISO 8601 UTC with Z, decimals as numbers."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dt.datetime):
        return format_instant(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        if value.is_infinite():
            raise TypeError(f"cannot represent {value} as JSON")
        exponent = value.as_tuple().exponent  # an int, or a letter for NaN
        return (
            int(value)
            if value == value.to_integral_value() and isinstance(exponent, int) and exponent >= 0
            else float(value)
        )
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    raise TypeError(f"cannot represent {type(value).__name__} as JSON")


def format_instant(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z; values read from the database are already UTC."""
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.isoformat()[:-6] + "Z"  # without its "+00:00"

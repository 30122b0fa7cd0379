"""Which attributes sandboxed code may reach, by the type of the object.

Plain values (text, numbers, dates, lists, dicts, ...) expose their public methods, priced
by ``methods.guarded_method``; record and user views expose their fields; helper namespaces
their entries; everything else (functions, generators, frames, classes, modules, ...)
exposes nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from plinth.rules.sandbox.errors import SandboxError
from plinth.rules.sandbox.methods import GUARDED_KINDS, guarded_method
from plinth.rules.sandbox.sizes import current

_STRING_METHODS = frozenset(
    n for n in dir(str) if not n.startswith("_") and n not in ("format", "format_map", "maketrans")
)
_BYTES_METHODS = frozenset(
    n for n in dir(bytes) if not n.startswith("_") and n not in ("maketrans", "fromhex")
)


ALLOWED_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _STRING_METHODS,
    bytes: _BYTES_METHODS,
    int: frozenset({"real", "imag", "numerator", "denominator", "bit_length", "conjugate"}),
    bool: frozenset({"real", "imag"}),
    float: frozenset({"real", "imag", "is_integer", "as_integer_ratio", "conjugate", "hex"}),
    decimal.Decimal: frozenset(
        {
            "quantize",
            "normalize",
            "to_integral_value",
            "is_zero",
            "is_signed",
            "is_nan",
            "is_finite",
            "is_infinite",
            "adjusted",
            "copy_abs",
            "copy_negate",
            "compare",
            "sqrt",
            "max",
            "min",
            "real",
            "imag",
        }
    ),
    list: frozenset(
        {
            "append",
            "extend",
            "insert",
            "pop",
            "remove",
            "index",
            "count",
            "sort",
            "reverse",
            "copy",
            "clear",
        }
    ),
    tuple: frozenset({"index", "count"}),
    dict: frozenset(
        {
            "get",
            "keys",
            "values",
            "items",
            "pop",
            "popitem",
            "setdefault",
            "update",
            "copy",
            "clear",
        }
    ),
    set: frozenset(
        {
            "add",
            "discard",
            "remove",
            "pop",
            "clear",
            "copy",
            "union",
            "intersection",
            "difference",
            "symmetric_difference",
            "issubset",
            "issuperset",
            "isdisjoint",
            "update",
        }
    ),
    frozenset: frozenset(
        {
            "union",
            "intersection",
            "difference",
            "symmetric_difference",
            "issubset",
            "issuperset",
            "isdisjoint",
            "copy",
        }
    ),
    dt.date: frozenset(
        {
            "year",
            "month",
            "day",
            "weekday",
            "isoweekday",
            "isoformat",
            "strftime",
            "replace",
            "toordinal",
            "isocalendar",
        }
    ),
    dt.datetime: frozenset(
        {
            "year",
            "month",
            "day",
            "hour",
            "minute",
            "second",
            "microsecond",
            "tzinfo",
            "date",
            "time",
            "weekday",
            "isoweekday",
            "isoformat",
            "strftime",
            "replace",
            "timestamp",
            "astimezone",
            "utcoffset",
            "toordinal",
            "isocalendar",
        }
    ),
    dt.time: frozenset(
        {"hour", "minute", "second", "microsecond", "isoformat", "strftime", "replace"}
    ),
    dt.timedelta: frozenset({"days", "seconds", "microseconds", "total_seconds"}),
}
# Exceptions caught by a script expose their message arguments only.
EXCEPTION_ATTRIBUTES = frozenset({"args"})


class SafeNamespace:
    """A read-only bag of helpers (``math.floor``); only its own entries are reachable."""

    __slots__ = ("_entries", "_name")
    _entries: dict[str, Any]
    _name: str

    def __init__(self, name: str, entries: dict[str, Any]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_entries", dict(entries))

    def __repr__(self) -> str:
        return f"<{self._name}>"


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    """``_getattr_``: attributes by the type of the object, methods priced."""
    if not isinstance(name, str) or name.startswith("_"):
        raise SandboxError(f"attribute {name!r} is not allowed")
    kind = type(obj)
    if kind is SafeNamespace:
        entries = obj._entries
        if name in entries:
            return entries[name]
        raise SandboxError(f"{obj._name} has no {name!r}")
    sandboxed = getattr(kind, "__sandbox_attributes__", None)
    if sandboxed is not None:
        return obj.sandbox_attribute(name)
    if isinstance(obj, BaseException) and not isinstance(obj, type):
        if name in EXCEPTION_ATTRIBUTES:
            return getattr(obj, name)
        raise SandboxError(f"attribute {name!r} of an exception is not allowed")
    allowed = ALLOWED_ATTRIBUTES.get(kind)
    if allowed is None or name not in allowed:
        raise SandboxError(f"attribute {name!r} of {kind.__name__} is not allowed")
    if kind in GUARDED_KINDS:
        return guarded_method(obj, name, current())
    return getattr(obj, name)

"""Run-time guards: what attributes and items may be reached, and how big values may grow.

Attribute access is allowed by the *type* of the object: plain values (text, numbers,
dates, lists, dicts, ...) expose their public methods, a few of them wrapped with size
checks; record and user views expose their fields; everything else (functions,
generators, frames, classes, modules, ...) exposes nothing.
"""

from __future__ import annotations

import datetime as dt
import decimal
import operator
import re
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from plinth.rules.sandbox.errors import SandboxError
from plinth.rules.sandbox.limits import MAX_FORMAT_WIDTH, MAX_INT_BITS, MAX_SIZE


class Meter:
    """Counts elements built by guarded operations in one run (bounded by MAX_ALLOCATED)."""

    __slots__ = ("allocated", "limit")

    def __init__(self, limit: int):
        self.allocated = 0
        self.limit = limit

    def charge(self, size: int) -> None:
        self.allocated += size
        if self.allocated > self.limit:
            raise SandboxError("the rule built too much data")


def _check_size(size: int) -> int:
    if size > MAX_SIZE:
        raise SandboxError(f"a value of {size:,} elements is too large (limit {MAX_SIZE:,})")
    return size


def _sized(value) -> int | None:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    return None


# ---- operators ---------------------------------------------------------------------------
def _mul(meter: Meter, a, b):
    for seq, times in ((a, b), (b, a)):
        if _sized(seq) is not None and isinstance(times, int):
            meter.charge(_check_size(len(seq) * max(times, 0)))
            return seq * times
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise SandboxError("an integer result would be too large")
    return a * b


def _add(meter: Meter, a, b):
    if _sized(a) is not None and _sized(b) is not None:
        meter.charge(_check_size(len(a) + len(b)))
    return a + b


def _pow(meter: Meter, a, b):
    if isinstance(a, int) and isinstance(b, int) and b > 0:
        if max(a.bit_length(), 1) * b > MAX_INT_BITS:
            raise SandboxError("a power would be too large")
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        if abs(b) > 10_000:
            raise SandboxError("a decimal power would be too large")
    return a**b


def _lshift(meter: Meter, a, b):
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b > MAX_INT_BITS:
        raise SandboxError("a shift would be too large")
    return a << b


_PERCENT_SPEC = re.compile(rb"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _mod(meter: Meter, a, b):
    if isinstance(a, (str, bytes)):
        text = a.encode() if isinstance(a, str) else a
        for width, precision in _PERCENT_SPEC.findall(text):
            for part in (width, precision):
                if part == b"*" or (part and int(part) > MAX_FORMAT_WIDTH):
                    raise SandboxError("a % format width or precision is too large")
        result = a % b
        meter.charge(_check_size(len(result)))
        return result
    return a % b


def _decimals(a, b):
    """Decimal with float is a TypeError in Python; in rules the float becomes a Decimal
    (``total * 1.13`` on a currency field just works)."""
    if isinstance(a, decimal.Decimal) and isinstance(b, float):
        return a, decimal.Decimal(repr(b))
    if isinstance(a, float) and isinstance(b, decimal.Decimal):
        return decimal.Decimal(repr(a)), b
    return a, b


def _mixed(function):
    def guarded(meter: Meter, a, b):
        a, b = _decimals(a, b)
        return function(meter, a, b)

    return guarded


_BINOPS = {
    "+": _mixed(_add),
    "-": _mixed(lambda m, a, b: a - b),
    "*": _mixed(_mul),
    "/": _mixed(lambda m, a, b: a / b),
    "//": _mixed(lambda m, a, b: a // b),
    "**": _mixed(_pow),
    "<<": _lshift,
    "%": _mixed(_mod),
}
_INPLACE = {
    "+=": _BINOPS["+"],
    "-=": _BINOPS["-"],
    "*=": _BINOPS["*"],
    "/=": _BINOPS["/"],
    "//=": _BINOPS["//"],
    "**=": _BINOPS["**"],
    "<<=": _lshift,
    "%=": _BINOPS["%"],
    ">>=": lambda m, a, b: operator.irshift(a, b),
    "&=": lambda m, a, b: operator.iand(a, b),
    "|=": lambda m, a, b: operator.ior(a, b),
    "^=": lambda m, a, b: operator.ixor(a, b),
}


_FORMAT_NUMBERS = re.compile(r"(\d+)")


def _format(value, conversion: int, spec: str) -> str:
    """``format(value, spec)`` after applying !r/!s/!a, with bounded widths."""
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    if any(int(n) > MAX_FORMAT_WIDTH for n in _FORMAT_NUMBERS.findall(spec)):
        raise SandboxError("a format width or precision is too large")
    return format(value, spec)


# ---- attribute access --------------------------------------------------------------------
def _sized_str_method(name: str, estimate):
    def factory(obj, meter: Meter):
        method = getattr(obj, name)

        def guarded(*args, **kwargs):
            meter.charge(_check_size(estimate(obj, *args, **kwargs)))
            return method(*args, **kwargs)

        return guarded

    return factory


def _replace_size(s, old, new, count=-1):
    occurrences = s.count(old) if count < 0 else min(count, s.count(old))
    if not old:
        occurrences = len(s) + 1
    return len(s) + occurrences * max(len(new) - len(old), 0)


def _join_size(sep, items):
    items = list(items)
    return sum(len(i) if hasattr(i, "__len__") else 0 for i in items) + len(sep) * len(items)


def _width(s, width, *rest):
    return max(len(s), width)


def _expandtabs(s, tabsize=8):
    return len(s) + s.count("\t") * max(tabsize, 0)


_STRING_WRAPPERS = {
    "replace": _sized_str_method("replace", _replace_size),
    "join": _sized_str_method("join", _join_size),
    "ljust": _sized_str_method("ljust", _width),
    "rjust": _sized_str_method("rjust", _width),
    "center": _sized_str_method("center", _width),
    "zfill": _sized_str_method("zfill", _width),
    "expandtabs": _sized_str_method("expandtabs", _expandtabs),
}
_STRING_METHODS = frozenset(
    n for n in dir(str) if not n.startswith("_") and n not in ("format", "format_map", "maketrans")
)
_BYTES_METHODS = frozenset(
    n for n in dir(bytes) if not n.startswith("_") and n not in ("maketrans", "fromhex")
)


def _list_extend(obj, meter):
    def extend(items):
        items = list(items)
        meter.charge(_check_size(len(obj) + len(items)))
        obj.extend(items)

    return extend


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

    def __init__(self, name: str, entries: dict[str, Any]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_entries", dict(entries))

    def __repr__(self) -> str:
        return f"<{self._name}>"


def make_getattr(meter: Meter):
    def guarded_getattr(obj, name: str, default=None):
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
        if kind in (str, bytes) and name in _STRING_WRAPPERS:
            return _STRING_WRAPPERS[name](obj, meter)
        if kind is list and name == "extend":
            return _list_extend(obj, meter)
        if kind is set and name == "update":
            return lambda *others: _set_update(obj, meter, others)
        return getattr(obj, name)

    return guarded_getattr


def _set_update(target: set, meter: Meter, others) -> None:
    for other in others:
        other = list(other)
        meter.charge(_check_size(len(target) + len(other)))
        target.update(other)


def guarded_getitem(obj, key):
    if isinstance(key, str) and key.startswith("_"):
        raise SandboxError(f"item {key!r} is not allowed")
    return obj[key]


def guarded_write(obj):
    """What may be changed in place: the containers a rule builds, and script records."""
    if type(obj) in (dict, list, set) or getattr(type(obj), "__sandbox_writable__", False):
        return obj
    raise SandboxError(f"{type(obj).__name__} objects cannot be changed")


def make_binop(meter: Meter):
    def binop(symbol: str, a, b):
        return _BINOPS[symbol](meter, a, b)

    return binop


def make_inplacevar(meter: Meter):
    def inplacevar(symbol: str, a, b):
        return _INPLACE[symbol](meter, a, b)

    return inplacevar


def guarded_apply(function, *args, **kwargs):
    return function(*args, **kwargs)


ITERATION_GUARDS = {
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_getiter_": iter,
    "_getitem_": guarded_getitem,
    "_write_": guarded_write,
    "_apply_": guarded_apply,
    "_format_": _format,
}

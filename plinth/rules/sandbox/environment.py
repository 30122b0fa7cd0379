"""What sandboxed code can call: safe builtins and helper namespaces."""

from __future__ import annotations

import builtins
import datetime as dt
import decimal
import functools
import math
import zoneinfo
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from plinth.rules.sandbox.attributes import SafeNamespace
from plinth.rules.sandbox.errors import SandboxError
from plinth.rules.sandbox.limits import MAX_SIZE
from plinth.rules.sandbox.sizes import too_large
from plinth.runtime.field_types.geo import distance_km


def _range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_SIZE:
        too_large(f"range of {len(result):,} numbers is too large (limit {MAX_SIZE:,})")
    return result


_TYPES_FOR_ISINSTANCE = (
    str,
    int,
    float,
    bool,
    list,
    dict,
    tuple,
    set,
    frozenset,
    decimal.Decimal,
    dt.date,
    dt.datetime,
    dt.time,
    dt.timedelta,
    type(None),
)


def _isinstance(value: Any, kinds: Any) -> bool:
    kinds_tuple = kinds if isinstance(kinds, tuple) else (kinds,)
    # int, str, list... in rules are guarded wrappers that name the type they stand for
    kinds_tuple = tuple(getattr(k, "__sandbox_type__", k) for k in kinds_tuple)
    if not all(k in _TYPES_FOR_ISINSTANCE for k in kinds_tuple):
        raise SandboxError("isinstance() only takes plain value types")
    return isinstance(value, kinds_tuple)


SAFE_EXCEPTIONS = {
    name: getattr(builtins, name)
    for name in (
        "Exception",
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "LookupError",
        "ZeroDivisionError",
        "ArithmeticError",
        "AttributeError",
        "RuntimeError",
    )
}

# The names rules may call. Those that work through values in C (int, str, sum, sorted...)
# are replaced by the priced wrappers of calls.GUARDED_BUILTINS when a rule runs.
SAFE_BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "abs": abs,
    "all": all,
    "any": any,
    "ascii": ascii,
    "bool": bool,
    "chr": chr,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "filter": filter,
    "float": float,
    "frozenset": frozenset,
    "int": int,
    "isinstance": _isinstance,
    "len": len,
    "list": list,
    "map": map,
    "max": max,
    "min": min,
    "ord": ord,
    "range": _range,
    "repr": repr,
    "reversed": reversed,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
    "Decimal": decimal.Decimal,
    **SAFE_EXCEPTIONS,
}

MATH_ENTRIES = {
    name: getattr(math, name)
    for name in (
        "floor",
        "ceil",
        "trunc",
        "sqrt",
        "exp",
        "log",
        "log10",
        "log2",
        "fabs",
        "isclose",
        "fsum",
        "hypot",
        "sin",
        "cos",
        "tan",
        "asin",
        "acos",
        "atan",
        "atan2",
        "radians",
        "degrees",
        "pi",
        "e",
        "inf",
        "isfinite",
        "isnan",
        "copysign",
        "gcd",
    )
}
MATH = SafeNamespace("math", MATH_ENTRIES)  # the runner uses calls.guarded_math() of these


def blank(value: Any) -> bool:
    """True for None, empty text (after stripping) and empty collections."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value or value.isspace()  # no stripped copy of a long text
    if isinstance(value, (list, tuple, dict, set)):
        return not value
    return False


def coalesce(*values: Any) -> Any:
    """The first value that is not blank."""
    for value in values:
        if not blank(value):
            return value
    return None


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_helpers(zone: ZoneInfo, clock: Callable[[], dt.datetime]) -> dict[str, Any]:
    """Dates and durations in the acting user's time zone."""

    def now() -> dt.datetime:
        return clock()

    def today() -> dt.date:
        return clock().astimezone(zone).date()

    def local(value: dt.datetime | None, time_zone: str | None = None) -> dt.datetime | None:
        if value is None:
            return None
        if time_zone and time_zone not in _zone_names():
            # checked against the known names: a failed ZoneInfo() lookup reads the disk
            raise SandboxError(f"unknown time zone {time_zone!r}")
        try:
            target = ZoneInfo(time_zone) if time_zone else zone
        except (KeyError, ValueError):
            raise SandboxError(f"unknown time zone {time_zone!r}") from None
        return value.astimezone(target)

    def date(year: int, month: int, day: int) -> dt.date:
        return dt.date(year, month, day)

    def days(n: float) -> dt.timedelta:
        return dt.timedelta(days=n)

    def hours(n: float) -> dt.timedelta:
        return dt.timedelta(hours=n)

    def minutes(n: float) -> dt.timedelta:
        return dt.timedelta(minutes=n)

    def days_between(a: dt.date | None, b: dt.date | None) -> int | None:
        if a is None or b is None:
            return None
        a = a.date() if isinstance(a, dt.datetime) else a
        b = b.date() if isinstance(b, dt.datetime) else b
        return (b - a).days

    def parse_date(text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    return {
        "now": now,
        "today": today,
        "local": local,
        "date": date,
        "days": days,
        "hours": hours,
        "minutes": minutes,
        "days_between": days_between,
        "parse_date": parse_date,
    }


STATIC_HELPERS: dict[str, Any] = {
    "math": MATH,
    "distance_km": distance_km,
    "blank": blank,
    "coalesce": coalesce,
}
HELPER_NAMES = frozenset(
    set(STATIC_HELPERS)
    | {"now", "today", "local", "date", "days", "hours", "minutes", "days_between", "parse_date"}
    | {"lookup", "query", "count", "setting"}
)
SCOPE_NAMES = frozenset({"record", "old", "user"})
KNOWN_NAMES = frozenset(SAFE_BUILTINS) | HELPER_NAMES | SCOPE_NAMES

"""Built-ins whose work happens in C, wrapped so that it is bounded and paid for first.

A built-in runs to the end once called, holding the GIL, without a tick. So conversions
refuse numbers with more digits than MAX_DIGITS before converting them (``int(Decimal(
'1e2000000'))`` would write out two million digits); aggregates (``sum``, ``max``,
``sorted``, ``set``...) spend a step for every element they will go through, weighed by
``sizes.weigh``, and refuse when the run has not that many left; ``sum`` of lists pays for
its quadratic copying; constructors charge the Meter for what they build; lazy ones (``map``,
``zip``...) pay for their input when made, and C calls back into functions only through
``sizes.paced``. Each wrapper keeps the type it stands for, so ``isinstance(x, int)`` works.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from RestrictedPython.PrintCollector import PrintCollector

from plinth.rules.sandbox.attributes import SafeNamespace
from plinth.rules.sandbox.guards import check_decimal, int_result
from plinth.rules.sandbox.hashing import check_hashes, fill, hashed_set
from plinth.rules.sandbox.limits import HASH_STEPS, MAX_DIGITS, MAX_SIZE, TEXT_PER_STEP
from plinth.rules.sandbox.methods import check_codec
from plinth.rules.sandbox.sizes import (
    check_size,
    collect,
    current,
    is_sized,
    paced,
    paid_for,
    sort_times,
    text_size,
    too_large,
)

_NUMBER_TEXT = MAX_DIGITS + 50  # digits plus sign, point, exponent, spaces, underscores

_F = TypeVar("_F", bound=Callable[..., Any])


def _stands_for(kind: type) -> Callable[[_F], _F]:
    """Mark a wrapper as the type it replaces (for ``isinstance``)."""

    def mark(function: _F) -> _F:
        function.__sandbox_type__ = kind  # type: ignore[attr-defined]
        return function

    return mark


def _check_number_text(value: Any) -> None:
    if type(value) in (str, bytes) and len(value) > _NUMBER_TEXT:
        too_large(f"a number written with more than {_NUMBER_TEXT:,} characters is too long")


# ---- numbers -------------------------------------------------------------------------------
@_stands_for(int)
def int_(*args: Any, **kwargs: Any) -> int:
    if args:
        check_decimal(args[0])
        _check_number_text(args[0])
        current().weigh(args[0])
    return int_result(int(*args, **kwargs))


@_stands_for(float)
def float_(*args: Any) -> float:
    if args:
        current().weigh(args[0])
    return float(*args)


@_stands_for(decimal.Decimal)
def decimal_(*args: Any) -> decimal.Decimal:
    if args:
        value = args[0]
        _check_number_text(value)
        if type(value) is tuple and len(value) == 3 and isinstance(value[1], (tuple, list)):
            if len(value[1]) > MAX_DIGITS:
                too_large(f"a number of more than {MAX_DIGITS:,} digits is too large")
        current().weigh(value)
    return decimal.Decimal(*args)


def round_(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        check_decimal(number)  # round(Decimal) is an int of all its digits
    elif isinstance(ndigits, int) and abs(ndigits) > MAX_DIGITS:
        too_large(f"round() to more than {MAX_DIGITS:,} digits")
    return round(number, ndigits)


# ---- text ------------------------------------------------------------------------------------
def _text(convert: Callable[[Any], str], value: Any, quoted: bool) -> str:
    size = check_size(text_size(value, MAX_SIZE, quoted))
    meter = current()
    meter.spend(1 + size // TEXT_PER_STEP)
    text = convert(value)
    if text is not value:
        meter.charge(len(text))
    return text


@_stands_for(str)
def str_(*args: Any, **kwargs: Any) -> str:
    if len(args) > 1 or kwargs:  # str(data, encoding, errors) decodes
        encoding = args[1] if len(args) > 1 else kwargs.get("encoding", "utf-8")
        check_codec(encoding)
        meter = current()
        meter.weigh(args[:1] or kwargs.get("object", b""))
        text = str(*args, **kwargs)
        meter.charge(check_size(len(text)))
        return text
    return _text(str, args[0], False) if args else ""


def repr_(value: Any) -> str:
    return _text(repr, value, True)


def ascii_(value: Any) -> str:
    return _text(ascii, value, True)


# ---- collections -----------------------------------------------------------------------------
def _built(kind: type[Any], iterable: Any) -> Any:
    meter = current()
    if not is_sized(iterable):
        result = kind(iterable)  # its elements were paid for by whatever made them
        meter.charge(check_size(len(result)))
        return result
    size = check_size(len(iterable))
    if type(iterable) is range:
        meter.spend(size, f"{kind.__name__}()")  # an int object per element
    meter.charge(size)
    return kind(iterable)


@_stands_for(list)
def list_(iterable: Iterable[Any] = (), /) -> list[Any]:
    return _built(list, iterable)


@_stands_for(tuple)
def tuple_(iterable: Iterable[Any] = (), /) -> tuple[Any, ...]:
    return _built(tuple, iterable)


def _hashed(kind: type[set[Any]] | type[frozenset[Any]], iterable: Iterable[Any]) -> Any:
    meter = current()
    items = collect(meter, iterable)
    meter.weigh(items, f"{kind.__name__}()", times=HASH_STEPS, paid=paid_for(items, iterable))
    table = hashed_set(meter, items)
    meter.charge(check_size(len(table)))
    return table if kind is set else frozenset(table)


@_stands_for(set)
def set_(iterable: Iterable[Any] = (), /) -> set[Any]:
    return _hashed(set, iterable)


@_stands_for(frozenset)
def frozenset_(iterable: Iterable[Any] = (), /) -> frozenset[Any]:
    return _hashed(frozenset, iterable)


@_stands_for(dict)
def dict_(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    if len(args) > 1:
        raise TypeError(f"dict expected at most 1 argument, got {len(args)}")
    meter = current()
    result: dict[Any, Any] = {}
    if args:
        source = collect(meter, args[0])
        meter.weigh(source, "dict()", times=HASH_STEPS, paid=paid_for(source, args[0]))
        fill(meter, result, list(source.items()) if isinstance(source, Mapping) else source)
    result.update(kwargs)
    check_hashes(result)
    meter.charge(check_size(len(result)))
    return result


# ---- aggregates ------------------------------------------------------------------------------
def sum_(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    meter = current()
    items = collect(meter, iterable)
    if type(start) in (list, tuple):
        _sum_of_sequences(start, items)  # copies, it does not compare
    else:
        meter.weigh(items, "sum()", paid=paid_for(items, iterable))
    return int_result(sum(items, start))


def _sum_of_sequences(start: Sequence[Any], items: Sequence[Any]) -> None:
    """sum() of lists or tuples copies the running total at every addition: quadratic."""
    size = len(start)
    work = len(items)
    for item in items:
        if type(item) is not type(start):
            break  # sum() stops here with a TypeError
        size += len(item)
        work += size
    meter = current()
    meter.spend(work, f"sum() of {type(start).__name__}s (each addition copies the total)")
    meter.charge(check_size(size))


def _extreme(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    def extreme(*args: Any, key: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
        meter = current()
        items = collect(meter, args[0]) if len(args) == 1 else args
        paid = paid_for(items, args[0]) if len(args) == 1 else 0
        if key is None:
            meter.weigh(items, f"{name}()", paid=paid)
        else:
            meter.spend(max(len(items) - paid, 0), f"{name}()")
            key = paced(meter, key, 1)
        if len(args) == 1:
            return function(items, key=key, **kwargs)
        return function(*args, key=key, **kwargs)

    return extreme


def sorted_(
    iterable: Iterable[Any], /, *, key: Callable[..., Any] | None = None, reverse: bool = False
) -> list[Any]:
    meter = current()
    items = collect(meter, iterable)
    times = sort_times(len(items))
    paid = paid_for(items, iterable)
    if key is None:
        meter.weigh(items, "sorted()", times=times, paid=paid)
    else:
        meter.spend(max(len(items) - paid, 0), "sorted()")
        key = paced(meter, key, times)
    if items is iterable or type(items) is not list:
        meter.charge(len(items))
        items = list(items)
    items.sort(key=key, reverse=reverse)
    return items


def _truth(function: Callable[[Iterable[Any]], bool], name: str) -> Callable[[Iterable[Any]], bool]:
    def truth(iterable: Any, /) -> bool:
        if is_sized(iterable):
            current().spend(len(iterable), f"{name}()")
        return function(iterable)

    return truth


# ---- lazy ones: pay for the shortest sized input now -----------------------------------------
def _paid_length(name: str, iterables: Iterable[Any]) -> None:
    sizes = [len(i) for i in iterables if is_sized(i)]
    if sizes:
        current().spend(min(sizes), name)


def enumerate_(iterable: Iterable[Any], start: int = 0) -> enumerate[Any]:
    _paid_length("enumerate()", (iterable,))
    return enumerate(iterable, start)


def zip_(*iterables: Iterable[Any], strict: bool = False) -> zip[tuple[Any, ...]]:
    _paid_length("zip()", iterables)
    return zip(*iterables, strict=strict)


def reversed_(sequence: Any, /) -> Iterator[Any]:
    _paid_length("reversed()", (sequence,))
    return reversed(sequence)


def map_(function: Callable[..., Any], *iterables: Iterable[Any]) -> map[Any]:
    _paid_length("map()", iterables)
    return map(paced(current(), function), *iterables)


def filter_(function: Callable[[Any], Any] | None, iterable: Iterable[Any], /) -> filter[Any]:
    _paid_length("filter()", (iterable,))
    return filter(None if function is None else paced(current(), function), iterable)


GUARDED_BUILTINS: dict[str, Any] = {
    "int": int_,
    "float": float_,
    "Decimal": decimal_,
    "round": round_,
    "str": str_,
    "repr": repr_,
    "ascii": ascii_,
    "list": list_,
    "tuple": tuple_,
    "set": set_,
    "frozenset": frozenset_,
    "dict": dict_,
    "sum": sum_,
    "max": _extreme(max, "max"),
    "min": _extreme(min, "min"),
    "sorted": sorted_,
    "any": _truth(any, "any"),
    "all": _truth(all, "all"),
    "enumerate": enumerate_,
    "zip": zip_,
    "reversed": reversed_,
    "map": map_,
    "filter": filter_,
}


# ---- print -----------------------------------------------------------------------------------
class GuardedPrint(PrintCollector):
    """``print()`` in scripts: the text it collects is sized first and charged."""

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        size = sum(text_size(o, MAX_SIZE) for o in (*objects, kwargs.get("sep"), kwargs.get("end")))
        current().charge(check_size(size))
        return super()._call_print(*objects, **kwargs)  # type: ignore[no-untyped-call]


# ---- math ------------------------------------------------------------------------------------
def _to_int(function: Callable[[Any], int]) -> Callable[[Any], int]:
    """floor/ceil/trunc of a Decimal write out all its digits."""

    def call(x: Any) -> int:
        check_decimal(x)
        return function(x)

    return call


def fsum(iterable: Iterable[Any], /) -> float:
    meter = current()
    items = collect(meter, iterable)
    meter.weigh(items, "fsum()", paid=paid_for(items, iterable))
    return math.fsum(items)


def guarded_math(entries: dict[str, Any]) -> SafeNamespace:
    """``math`` with the functions that convert to int or go through an iterable guarded."""
    guarded = {name: _to_int(getattr(math, name)) for name in ("floor", "ceil", "trunc")}
    return SafeNamespace("math", {**entries, **guarded, "fsum": fsum})

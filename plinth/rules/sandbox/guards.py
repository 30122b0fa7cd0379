"""Run-time guards of operators: how big values may grow, and what comparing them costs.

Arithmetic and set operators (``+ - * / // ** << % | & ^``) go through ``_binop_``, f-string
fields through ``_format_``, comparisons through ``_compare_``. Each bounds what it builds
(MAX_SIZE, MAX_INT_BITS, the Meter) before building it, and spends the steps of what it
goes through in C (``x in items`` compares with every element, ``a == b`` walks both).
Item access, stores and unpacking are guarded in ``items.py``, attributes in
``attributes.py``.
"""

from __future__ import annotations

import decimal
import math
import operator
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from plinth.rules.sandbox.hashing import check_tables
from plinth.rules.sandbox.limits import (
    MAX_DIGITS,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_SIZE,
    TEXT_PER_STEP,
)
from plinth.rules.sandbox.sizes import (
    FLAT,
    Meter,
    check_size,
    current,
    is_sized,
    text_size,
    too_large,
    weigh,
)

_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.items()))

# A guarded operator: the run's Meter and the two operands.
_Operator = Callable[[Meter, Any, Any], Any]


def _sized(value: Any) -> int | None:
    if isinstance(value, (str, bytes, list, tuple)):
        return len(value)
    return None


def int_result(value: Any) -> Any:
    """``value``, refused when it is an integer of more than MAX_INT_BITS."""
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        too_large(f"an integer result would be more than {MAX_INT_BITS:,} bits")
    return value


# ---- arithmetic --------------------------------------------------------------------------
def _mul(meter: Meter, a: Any, b: Any) -> Any:
    for seq, times in ((a, b), (b, a)):
        if _sized(seq) is not None and isinstance(times, int):
            meter.charge(check_size(len(seq) * max(times, 0)))
            return seq * times
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        too_large(f"an integer result would be more than {MAX_INT_BITS:,} bits")
    return a * b


def _add(meter: Meter, a: Any, b: Any) -> Any:
    if _sized(a) is not None and _sized(b) is not None:
        meter.charge(check_size(len(a) + len(b)))
        return a + b
    return int_result(a + b)


def _sub(meter: Meter, a: Any, b: Any) -> Any:
    if type(a) in (set, frozenset) or type(a) in _VIEWS:
        _set_operation(meter, a, b, len(a) if is_sized(a) else 0)
    return int_result(a - b)


def _pow(meter: Meter, a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        if b * math.log2(abs(a)) > MAX_INT_BITS:
            too_large(f"a power would be more than {MAX_INT_BITS:,} bits")
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        if abs(b) > 10_000:
            too_large("a decimal power would be too large")
        # a fractional power takes a logarithm as precise as its operands: round long ones
        # (Decimal(5e-324) has 751 digits) to the context's precision first
        a, b = _short(a), _short(b)
    return a**b


_SHORT_DECIMAL = sys.getsizeof(decimal.Decimal(10**75))  # coefficients up to 76 digits


def _short(value: Any) -> Any:
    """A Decimal (or an int becoming one) rounded to its context's precision plus guard
    digits when its coefficient is longer."""
    if type(value) is int and value.bit_length() > 64:
        value = decimal.Decimal(value)
    if type(value) is decimal.Decimal and sys.getsizeof(value) > _SHORT_DECIMAL:
        context = decimal.getcontext()
        guarded = decimal.Context(prec=context.prec + 10, Emax=context.Emax, Emin=context.Emin)
        value = guarded.plus(value)
    return value


def _lshift(meter: Meter, a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b > MAX_INT_BITS:
        too_large(f"a shift would be more than {MAX_INT_BITS:,} bits")
    return a << b


def _set_operation(meter: Meter, a: Any, b: Any, size: int) -> None:
    """``| & ^ -`` of sets and dicts build up to ``size`` elements; dict views hash theirs."""
    if type(a) in _VIEWS or type(b) in _VIEWS:
        meter.weigh((a, b))
    check_tables(a, b)
    meter.charge(check_size(size))


def _bits(symbol: str, function: Callable[[Any, Any], Any]) -> _Operator:
    def guarded(meter: Meter, a: Any, b: Any) -> Any:
        if type(a) is not int and is_sized(a) and is_sized(b):
            _set_operation(meter, a, b, len(a) + len(b) if symbol != "&" else len(a))
        return function(a, b)

    return guarded


# ---- % formatting ------------------------------------------------------------------------
_PERCENT_SPEC = re.compile(rb"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.?)")


def _mod(meter: Meter, a: Any, b: Any) -> Any:
    if not isinstance(a, (str, bytes)):
        return a % b
    text = a.encode() if isinstance(a, str) else a
    size = len(a)
    quoted = False
    for width, precision, conversion in _PERCENT_SPEC.findall(text):
        for part in (width, precision):
            if part == b"*" or (part and int(part) > MAX_FORMAT_WIDTH):
                too_large("a % format width or precision is too large")
            size += int(part or 0)
        quoted = quoted or conversion in (b"r", b"a")
    values = tuple(b.values()) if isinstance(b, Mapping) else b if type(b) is tuple else (b,)
    for value in values:
        check_decimal(value)
    check_size(size + text_size(values, MAX_SIZE, quoted))
    result = a % b
    meter.charge(check_size(len(result)))
    return result


def check_decimal(value: Any) -> None:
    """%d, round() and int() of a Decimal write out all its digits."""
    if type(value) is decimal.Decimal and value.is_finite() and value.adjusted() > MAX_DIGITS:
        too_large(f"a number of more than {MAX_DIGITS:,} digits is too large to convert")


# ---- mixing decimals and floats ----------------------------------------------------------
def _decimals(a: Any, b: Any) -> tuple[Any, Any]:
    """Decimal with float is a TypeError in Python; in rules the float becomes a Decimal
    (``total * 1.13`` on a currency field just works)."""
    if isinstance(a, decimal.Decimal) and isinstance(b, float):
        return a, decimal.Decimal(repr(b))
    if isinstance(a, float) and isinstance(b, decimal.Decimal):
        return decimal.Decimal(repr(a)), b
    return a, b


def _mixed(function: _Operator) -> _Operator:
    def guarded(meter: Meter, a: Any, b: Any) -> Any:
        a, b = _decimals(a, b)
        return function(meter, a, b)

    return guarded


_BINOPS: dict[str, _Operator] = {
    "+": _mixed(_add),
    "-": _mixed(_sub),
    "*": _mixed(_mul),
    "/": _mixed(lambda m, a, b: a / b),
    "//": _mixed(lambda m, a, b: a // b),
    "**": _mixed(_pow),
    "<<": _lshift,
    "%": _mixed(_mod),
    "|": _bits("|", operator.or_),
    "&": _bits("&", operator.and_),
    "^": _bits("^", operator.xor),
}
_INPLACE: dict[str, _Operator] = {
    "+=": _BINOPS["+"],
    "-=": _BINOPS["-"],
    "*=": _BINOPS["*"],
    "/=": _BINOPS["/"],
    "//=": _BINOPS["//"],
    "**=": _BINOPS["**"],
    "<<=": _lshift,
    "%=": _BINOPS["%"],
    ">>=": lambda m, a, b: operator.irshift(a, b),
    "&=": _bits("&", operator.iand),
    "|=": _bits("|", operator.ior),
    "^=": _bits("^", operator.ixor),
}


def binop(symbol: str, a: Any, b: Any) -> Any:
    """``_binop_``: ``a + b`` and the other guarded operators."""
    return _BINOPS[symbol](current(), a, b)


def inplacevar(symbol: str, a: Any, b: Any) -> Any:
    """``_inplacevar_``: ``a += b`` and the other augmented assignments."""
    return _INPLACE[symbol](current(), a, b)


# ---- f-string fields ---------------------------------------------------------------------
_FORMAT_NUMBERS = re.compile(r"(\d+)")
_CONVERSIONS: dict[int, Callable[[object], str]] = {ord("r"): repr, ord("s"): str, ord("a"): ascii}


def guarded_format(value: Any, conversion: int, spec: str = "") -> str:
    """``_format_``: an f-string field, ``format(value, spec)`` after !r/!s/!a, its text
    sized before it is built."""
    widths = [int(n) for n in _FORMAT_NUMBERS.findall(spec)]
    if any(n > MAX_FORMAT_WIDTH for n in widths):
        too_large("a format width or precision is too large")
    size = text_size(value, MAX_SIZE, conversion in (ord("r"), ord("a"))) + sum(widths)
    if type(value) is decimal.Decimal and spec[-1:] in ("f", "F", "%") and value.is_finite():
        size += abs(value.adjusted())  # fixed-point writes out every zero
    check_size(size)
    if conversion in _CONVERSIONS:
        value = _CONVERSIONS[conversion](value)
    text = format(value, spec)
    current().charge(len(text))  # the f-string copies it into its result
    return text


# ---- comparisons -------------------------------------------------------------------------
_TEXT = (str, bytes)
_TEXT_OR_FAST = FLAT | {decimal.Decimal, str, bytes}
_LONG_TEXT = 4096
_COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
    "is": operator.is_,
    "is not": operator.is_not,
}
_HASHED: tuple[type, ...] = (dict, set, frozenset, type({}.keys()), Mapping)


def _price_comparison(meter: Meter, symbol: str, a: Any, b: Any) -> None:
    if symbol in ("is", "is not"):
        return
    if symbol in ("in", "not in"):
        if type(b) is range:
            # an integer is looked up by arithmetic; anything else is compared with each
            meter.spend(1 if type(a) in (int, bool) else len(b))
        elif isinstance(b, _HASHED):
            meter.weigh(a)  # hashed, then compared with a match
        else:
            meter.weigh((a, b))
        return
    check_tables(a, b)  # set == set looks up every element of one in the other
    # == and < stop at the shorter side: weigh the smaller first, the other up to it.
    if is_sized(a) and is_sized(b) and len(b) < len(a):
        a, b = b, a
    budget = meter.budget
    first = weigh(a, budget.steps_left)
    budget.spend(min(first, weigh(b, first)), "a comparison")


_SHORT_LIST = 32  # `status in ('open', 'new')`: the common case, priced without a walk


def compare(symbol: str, a: Any, b: Any) -> Any:
    """``_compare_``: ``a == b``, ``a in b``... paid for when they go through containers."""
    kind_a, kind_b = type(a), type(b)
    if kind_a in _TEXT_OR_FAST and kind_b in _TEXT_OR_FAST:
        size = (len(a) if kind_a in _TEXT else 0) + (len(b) if kind_b in _TEXT else 0)
        if size > _LONG_TEXT:  # a comparison or search goes through the text once
            current().spend(size // TEXT_PER_STEP)
    elif not _short_membership(symbol, a, kind_a, b, kind_b):
        _price_comparison(current(), symbol, a, b)
    return _COMPARISONS[symbol](a, b)


def _short_membership(symbol: str, a: Any, kind_a: type, b: Any, kind_b: type) -> bool:
    """Pay for ``a in b`` when b is a short tuple or list of plain values (a condition's
    ``priority in ('urgent', 'high')``) without the general walk; False when it is not."""
    if symbol not in ("in", "not in") or kind_b not in (tuple, list) or len(b) > _SHORT_LIST:
        return False
    if kind_a not in _TEXT_OR_FAST or not set(map(type, b)) <= _TEXT_OR_FAST:
        return False
    steps = len(b) + 1
    if kind_a in _TEXT:
        # each comparison may go through the text: short ones are a step, long ones priced
        steps += len(a) * len(b) // TEXT_PER_STEP
    current().spend(steps)
    return True


def compare_chain(left: Any, symbols: tuple[str, ...], *rights: Callable[[], Any]) -> Any:
    """``_compare_chain_``: ``a < b <= c``; each right side is a thunk, evaluated only when
    reached."""
    result = True
    for symbol, right in zip(symbols, rights, strict=True):
        right = right()
        result = compare(symbol, left, right)
        if not result:
            return result
        left = right
    return result

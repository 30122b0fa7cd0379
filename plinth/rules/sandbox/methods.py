"""Methods of plain values, priced: a call pays for what it goes through and builds.

``guarded_method`` wraps a method of text, bytes, a list, tuple, dict or set when sandboxed
code reaches it. Text methods spend a step per TEXT_PER_STEP characters of the text and
arguments; the ones that can grow text (``replace``, ``join``, ``center``, ``translate``...)
are sized and checked against MAX_SIZE before the call, the others are charged for what they
return. Container methods spend by what they go through: ``count``/``index``/``remove``
compare every element, ``sort`` compares each about log2(n) times, ``add``/``get`` hash their
key, ``union``/``update`` hash the other side; copies are charged to the Meter.
"""

from __future__ import annotations

import datetime as dt
import encodings
import encodings.aliases
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from plinth.rules.sandbox.errors import SandboxError
from plinth.rules.sandbox.hashing import check_tables, fill, hashed_set
from plinth.rules.sandbox.limits import HASH_STEPS, MAX_FORMAT_WIDTH, TEXT_PER_STEP
from plinth.rules.sandbox.sizes import (
    FLAT,
    Meter,
    check_size,
    collect,
    paced,
    paid_for,
    sort_times,
    too_large,
    weigh,
)

# Codecs written in C and linear; punycode and idna are pure Python and quadratic.
_CODECS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "utf-32-le",
    "utf-32-be",
    "ascii",
    "latin-1",
    "cp1252",
    "gbk",
    "gb2312",
    "gb18030",
    "big5",
    "shift_jis",
    "euc_jp",
    "euc_kr",
)


def _canonical(name: str) -> str:
    """How the encodings package names a codec, without looking it up (a lookup of an
    unknown name is cached for good: rules must not fill that cache)."""
    normal = encodings.normalize_encoding(name).lower()
    return encodings.aliases.aliases.get(normal, normal)


_CODEC_NAMES = frozenset(map(_canonical, _CODECS))

# A bound method of a value, and what wraps one of a kind into its priced stand-in.
_Method = Callable[..., Any]
_Factory = Callable[[Any, _Method, Meter], _Method]


def check_codec(encoding: Any) -> None:
    if not (isinstance(encoding, str) and len(encoding) < 64):
        raise SandboxError("the encoding must be a short name such as 'utf-8'")
    if _canonical(encoding) not in _CODEC_NAMES:
        raise SandboxError(f"encoding {encoding!r} is not allowed in rules")


# ---- text --------------------------------------------------------------------------------
def _replace_size(s: Any, old: Any, new: Any, count: int = -1) -> int:
    occurrences = s.count(old) if count < 0 else min(count, s.count(old))
    if not old:
        occurrences = len(s) + 1
    return len(s) + occurrences * max(len(new) - len(old), 0)


def _width(s: Any, width: int, *rest: Any) -> int:
    return max(len(s), width)


def _expandtabs(s: Any, tabsize: int = 8) -> int:
    return len(s) + s.count("\t") * max(tabsize, 0)


def _translate_size(s: Any, table: Any, *rest: Any) -> int:
    if isinstance(table, Mapping):
        values = table.values()
    elif type(table) in (list, tuple):
        values = table
    else:  # text or bytes tables map a character to a character
        return len(s)
    longest = max((len(v) for v in values if type(v) in (str, bytes)), default=1)
    return len(s) * max(longest, 1)


# Methods whose result can be much longer than the text: its size before the call.
_GROWING: dict[str, Callable[..., int]] = {
    "replace": _replace_size,
    "ljust": _width,
    "rjust": _width,
    "center": _width,
    "zfill": _width,
    "expandtabs": _expandtabs,
    "translate": _translate_size,
}


def _text_method(obj: str | bytes, name: str, method: _Method, meter: Meter) -> _Method:
    if name == "join":
        return _join(obj, method, meter)
    growing = _GROWING.get(name)
    codec = name in ("encode", "decode")

    def call(*args: Any, **kwargs: Any) -> Any:
        meter.spend(_text_steps(obj, args, kwargs, meter))
        if codec:
            check_codec(args[0] if args else kwargs.get("encoding", "utf-8"))
        if growing is not None:
            meter.charge(check_size(growing(obj, *args, **kwargs)))
            return method(*args, **kwargs)
        result = method(*args, **kwargs)
        if result is not obj and type(result) in (str, bytes, list, tuple):
            meter.charge(check_size(len(result)))
        return result

    return call


def _text_steps(
    obj: str | bytes, args: tuple[Any, ...], kwargs: dict[str, Any], meter: Meter
) -> int:
    """What a text method goes through: the text and its arguments."""
    length = len(obj)
    for arg in args:
        if type(arg) in (str, bytes):
            length += len(arg)
        elif type(arg) not in FLAT:  # a tuple of prefixes, a translate table
            return weigh((obj, args, kwargs), meter.budget.steps_left)
    if kwargs:
        return weigh((obj, args, kwargs), meter.budget.steps_left)
    return 1 + length // TEXT_PER_STEP


def _join(obj: str | bytes, method: _Method, meter: Meter) -> _Method:
    def join(iterable: Iterable[Any]) -> Any:
        items = collect(meter, iterable)  # drained once, then joined
        try:
            size = sum(map(len, items)) + len(obj) * max(len(items) - 1, 0)
        except TypeError:
            size = 0  # join raises its own error about the item
        meter.weigh(items, paid=paid_for(items, iterable))
        meter.charge(check_size(size))
        return method(items)

    return join


# ---- containers --------------------------------------------------------------------------
def _compares(obj: Any, method: _Method, meter: Meter) -> _Method:
    """count/index/remove: the argument is compared with every element."""

    def call(*args: Any) -> Any:
        meter.weigh((obj, args))
        return method(*args)

    return call


def _moves(obj: Any, method: _Method, meter: Meter) -> _Method:
    """insert/pop/reverse move pointers: cheap, but one per element (pop() from the end
    moves none)."""

    def call(*args: Any) -> Any:
        at_end = method.__name__ == "pop" and (not args or args[0] == -1)
        meter.spend(1 if at_end else 1 + len(obj) // 64)
        return method(*args)

    return call


def _copies(obj: Any, method: _Method, meter: Meter) -> _Method:
    def call() -> Any:
        meter.charge(len(obj))
        check_tables(obj)
        return method()

    return call


def _looks_up(obj: Any, method: _Method, meter: Meter) -> _Method:
    """get/pop/discard/remove hash their key."""

    def call(*args: Any) -> Any:
        if args:
            meter.weigh(args[0])
        return method(*args)

    return call


def _inserts(obj: Any, method: _Method, meter: Meter) -> _Method:
    """add/setdefault hash their key and may grow (and so resize) the table."""

    def call(*args: Any) -> Any:
        if args:
            meter.weigh(args[0], times=HASH_STEPS)
        return method(*args)

    return call


def _sort(obj: Any, method: _Method, meter: Meter) -> _Method:
    def sort(*, key: Callable[..., Any] | None = None, reverse: bool = False) -> Any:
        times = sort_times(len(obj))
        if key is None:
            meter.weigh(obj, "sort()", times=times)
        else:
            meter.spend(len(obj), "sort()")
            key = paced(meter, key, times)
        return method(key=key, reverse=reverse)

    return sort


def _extend(obj: Any, method: _Method, meter: Meter) -> _Method:
    def extend(items: Any) -> Any:
        items = collect(meter, items)
        check_size(len(obj) + len(items))
        meter.charge(len(items))
        return method(items)

    return extend


def _merges(obj: Any, method: _Method, meter: Meter, grows: bool) -> _Method:
    """Set operations and dict.update hash the elements of the other side: an update is
    done in slices read against the clock, the others hash into a checked table first;
    union, update and symmetric_difference may grow to both sides."""

    def call(*others: Any, **kwargs: Any) -> Any:
        others = [collect(meter, other) for other in others]  # type: ignore[assignment]
        for other in others:
            meter.weigh(other, times=HASH_STEPS)
        if grows:
            check_size(len(obj) + sum(map(len, others)) + len(kwargs))
        before = len(obj)
        if method.__name__ == "update":
            if kwargs and type(obj) is not dict:
                return method(**kwargs)  # set.update() takes none: its TypeError
            for other in (*others, kwargs):
                pairs = type(obj) is dict and isinstance(other, Mapping)
                fill(meter, obj, list(other.items()) if pairs else other)
            meter.charge(len(obj) - before)
            return None
        check_tables(obj)
        others = [o if isinstance(o, (set, frozenset)) else hashed_set(meter, o) for o in others]  # type: ignore[assignment]
        check_tables(*others)
        meter.spend(before)  # they copy or go through this set as well
        result = method(*others, **kwargs)
        meter.charge(_size(result))
        return result

    return call


def _size(result: Any) -> int:
    return len(result) if isinstance(result, (set, frozenset)) else 1  # issubset() -> bool


_LIST: dict[str, _Factory] = {
    "count": _compares,
    "index": _compares,
    "remove": _compares,
    "insert": _moves,
    "pop": _moves,
    "reverse": _moves,
    "copy": _copies,
    "sort": _sort,
    "extend": _extend,
}
_DICT: dict[str, _Factory] = {
    "get": _looks_up,
    "pop": _looks_up,
    "setdefault": _inserts,
    "copy": _copies,
    "update": lambda o, m, meter: _merges(o, m, meter, grows=True),
}
_SET: dict[str, _Factory] = {
    "add": _inserts,
    "discard": _looks_up,
    "remove": _looks_up,
    "copy": _copies,
    "update": lambda o, m, meter: _merges(o, m, meter, grows=True),
    "union": lambda o, m, meter: _merges(o, m, meter, grows=True),
    "symmetric_difference": lambda o, m, meter: _merges(o, m, meter, grows=True),
    "intersection": lambda o, m, meter: _merges(o, m, meter, grows=False),
    "difference": lambda o, m, meter: _merges(o, m, meter, grows=False),
    "issubset": lambda o, m, meter: _merges(o, m, meter, grows=False),
    "issuperset": lambda o, m, meter: _merges(o, m, meter, grows=False),
    "isdisjoint": lambda o, m, meter: _merges(o, m, meter, grows=False),
}
_CONTAINERS: dict[type, dict[str, _Factory]] = {
    list: _LIST,
    tuple: {"count": _compares, "index": _compares},
    dict: _DICT,
    set: _SET,
    frozenset: {k: v for k, v in _SET.items() if k not in ("add", "discard", "remove", "update")},
}


def _strftime(obj: Any, method: _Method, meter: Meter) -> _Method:
    def strftime(fmt: Any) -> Any:
        if isinstance(fmt, str) and len(fmt) > MAX_FORMAT_WIDTH:
            too_large(f"a date format of {len(fmt):,} characters is too long")
        meter.weigh(fmt)
        return method(fmt)

    return strftime


GUARDED_KINDS = frozenset({str, bytes, *_CONTAINERS, dt.date, dt.datetime, dt.time})


def guarded_method(obj: Any, name: str, meter: Meter) -> Any:
    """The attribute ``name`` of a value of GUARDED_KINDS, priced when it is a method."""
    method = getattr(obj, name)
    kind = type(obj)
    if kind is str or kind is bytes:
        return _text_method(obj, name, method, meter)
    if name == "strftime":
        return _strftime(obj, method, meter)
    factory = _CONTAINERS.get(kind, {}).get(name)
    return method if factory is None else factory(obj, method, meter)

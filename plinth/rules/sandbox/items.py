"""Run-time guards of items: subscripts, item stores, ``*``/``**`` unpacking and keys.

A slice copies, ``*items`` in a display or call copies, unpacking ``a, b = items`` copies:
each is charged to the Meter. A key of a set or dict is hashed and inserted, and a tuple
key is hashed all the way down, shared parts each time, so keys are paid for first; a long
set or dict display is built in slices and checked like ``set()`` (see ``hashing.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from RestrictedPython.Guards import guarded_unpack_sequence

from plinth.rules.sandbox.errors import SandboxError
from plinth.rules.sandbox.hashing import check_hashes, check_tables, fill, hashed_set
from plinth.rules.sandbox.limits import HASH_STEPS
from plinth.rules.sandbox.sizes import Meter, check_size, collect, current, is_sized

_HASHED_DEEP = (tuple, frozenset)


def guarded_getitem(obj: Any, key: Any) -> Any:
    """``_getitem_``: ``obj[key]``; no private keys, slices charged."""
    if isinstance(key, str) and key.startswith("_"):
        raise SandboxError(f"item {key!r} is not allowed")
    if type(key) in _HASHED_DEEP:
        current().weigh(key)
    result = obj[key]
    if type(key) is slice and type(result) in (str, bytes, list, tuple):
        current().charge(check_size(len(result)))
    return result


def guarded_key(value: Any) -> Any:
    """``_key_``: a key of a set or dict display or comprehension, hashed and inserted."""
    if type(value) in _HASHED_DEEP:
        current().weigh(value, times=HASH_STEPS)
    else:
        current().spend(HASH_STEPS)
    return value


def guarded_star(value: Any, hashed: bool = False) -> Any:
    """``_star_``: ``*value`` or ``**value`` in a display or call, a copy of every element
    (and in a set display, a hash of every element)."""
    meter = current()
    value = collect(meter, value)
    meter.charge(len(value))
    if hashed:
        meter.weigh(value, times=HASH_STEPS)
        return hashed_set(meter, value)  # the display then copies a checked table
    check_tables(value)  # {**mapping} copies its table
    return value


def set_display(elements: tuple[Any, ...]) -> set[Any]:
    """``_set_``: a long set display ``{a, b, ...}``, built in slices and checked."""
    meter = current()
    meter.charge(len(elements))
    return hashed_set(meter, elements)


def dict_display(flat: tuple[Any, ...]) -> dict[Any, Any]:
    """``_dict_``: a long dict display ``{k1: v1, ...}`` given as (k1, v1, k2, v2...),
    built in slices and checked."""
    meter = current()
    meter.charge(len(flat) // 2)
    table: dict[Any, Any] = {}
    fill(meter, table, list(zip(flat[::2], flat[1::2], strict=True)))
    check_hashes(table)
    return table


def guarded_apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``_apply_``: ``f(*args, **kwargs)``; the unpacking itself was charged by ``_star_``."""
    return function(*args, **kwargs)


class _Writable:
    """What ``_write_`` hands out for a container: stores are guarded, the rest forwarded."""

    __slots__ = ("_target", "_meter")
    _target: Any
    _meter: Meter

    def __init__(self, target: Any, meter: Meter) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_meter", meter)

    def __setitem__(self, key: Any, value: Any) -> None:
        target, meter = self._target, self._meter
        if type(key) is slice and type(target) is list:
            value = collect(meter, value)  # items[a:b] = values can grow the list
            meter.charge(check_size(len(target) + len(value)))
        elif type(target) is not list:  # a key is hashed and may grow the table
            meter.weigh(key, times=HASH_STEPS)
        target[key] = value

    def __delitem__(self, key: Any) -> None:
        if type(key) in _HASHED_DEEP:
            self._meter.weigh(key)
        del self._target[key]

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._target, name)


def guarded_write(obj: Any) -> _Writable:
    """``_write_``: what may be changed in place, the containers a rule builds and script
    records."""
    if type(obj) in (dict, list, set) or getattr(type(obj), "__sandbox_writable__", False):
        return _Writable(obj, current())
    raise SandboxError(f"{type(obj).__name__} objects cannot be changed")


def _charged_iter(value: Any) -> Iterator[Any]:
    if is_sized(value):
        current().charge(len(value))
    return iter(value)


def unpack_sequence(
    value: Any, spec: dict[str, Any], _getiter_: Callable[..., Any] | None = None
) -> list[Any]:
    """``_unpack_sequence_``: ``a, b = value`` copies ``value`` into a list first."""
    return guarded_unpack_sequence(value, spec, _charged_iter)  # type: ignore[no-untyped-call]


def iter_unpack_sequence(
    values: Iterable[Any], spec: dict[str, Any], _getiter_: Callable[..., Any] | None = None
) -> Iterator[list[Any]]:
    """``_iter_unpack_sequence_``: ``for a, b in values``."""
    for value in values:
        yield guarded_unpack_sequence(value, spec, _charged_iter)  # type: ignore[no-untyped-call]

"""Reading untrusted JSON: bounded nesting, finite numbers, text a database can store.

Every place that parses JSON a client sent (request bodies, list cursors) goes through
``loads`` so that nothing built from it meets a recursion limit, a NaN, a NUL character
or a lone surrogate later, where the failure would be a 500 instead of a named 4xx.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

#: Deepest nesting of arrays and objects accepted; no document of the platform nears it.
MAX_DEPTH = 64
# int() refuses longer digit strings (a ValueError for the whole body, naming nothing).
_INT_DIGITS = sys.get_int_max_str_digits() or 4300


class JsonInputError(ValueError):
    """Unusable JSON; ``path`` names where (``""``: the whole document), ``status`` whether
    it is malformed (400) or well-formed but holds an unacceptable value (422)."""

    def __init__(self, message: str, path: str = "", status: int = 400):
        super().__init__(message)
        self.message, self.path, self.status = message, path, status


class TooDeep(JsonInputError):
    """Nested deeper than MAX_DEPTH (a 400 like malformed JSON, but with a place to name)."""

    def __init__(self, path: str = ""):
        super().__init__(f"is nested too deeply (at most {MAX_DEPTH} levels)", path)


class _TooManyDigits:
    """Stands in for an integer longer than int() parses, until ``check_tree`` names it."""


def _integer(text: str) -> int | _TooManyDigits:
    return _TooManyDigits() if len(text.lstrip("-")) > _INT_DIGITS else int(text)


def loads(data: str | bytes) -> Any:
    """Parse ``data``; JsonInputError when malformed, nested deeper than MAX_DEPTH, or
    holding a non-finite number, a NUL character or a lone surrogate."""
    try:
        value = json.loads(data, parse_int=_integer)
    except RecursionError:
        raise TooDeep() from None
    except UnicodeDecodeError:
        raise JsonInputError("malformed JSON: not UTF-8 text") from None
    except ValueError as exc:
        raise JsonInputError(f"malformed JSON: {exc}") from None
    check_tree(value)
    return value


def check_tree(value: Any) -> None:
    """Walk a parsed document without recursion (its depth is what is being checked)."""
    _check_scalar(value, "")
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            # Named by its top-level property: a path 64 segments long helps nobody.
            top = path.split(".")[0] if isinstance(value, dict) else ""
            raise TooDeep(top)
        # Paths are built only for containers and failures: a body can hold 10^5 values.
        if isinstance(item, dict):
            for key, child in item.items():
                if not (key.isascii() and "\x00" not in key):
                    _check_scalar(key, _join(path, key))
                if isinstance(child, (dict, list)):
                    stack.append((child, _join(path, key), depth + 1))
                elif not _plain(child):
                    _check_scalar(child, _join(path, key))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                if isinstance(child, (dict, list)):
                    stack.append((child, _join(path, str(index)), depth + 1))
                elif not _plain(child):
                    _check_scalar(child, _join(path, str(index)))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _plain(value: Any) -> bool:
    """True for the common values that need no closer look."""
    if isinstance(value, str):
        return value.isascii() and "\x00" not in value
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, _TooManyDigits)


def _check_scalar(value: Any, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):  # NaN, Infinity, 1e999
        raise JsonInputError("must be a finite number", path, 422)
    if isinstance(value, _TooManyDigits):
        raise JsonInputError(f"is a number of more than {_INT_DIGITS} digits", path, 422)
    if not isinstance(value, str):
        return
    if "\x00" in value:  # no database text can hold one (PostgreSQL refuses it)
        raise JsonInputError("must not contain NUL characters", path, 422)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # "\ud800" parses, but no UTF-8 database can store it
        raise JsonInputError("must be valid Unicode text (a lone surrogate)", path, 422) from None

"""Typed reads of JSON object properties and of ids given as text.

Hand-written body checks use these instead of ``body.get(key)``: each one checks the JSON
type before the value is used (a list where text is expected, ``true`` where an id is
expected — bool is an int in Python — an id beyond 64 bits) and raises a ValidationError
naming the property. ``MISSING`` tells an absent property from ``null``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from plinth.errors import ValidationError

#: Ids are positive 64-bit integers (BIGINT on both databases).
MAX_ID = 2**63 - 1
MISSING: Any = object()
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def is_id(value: Any) -> bool:
    """True for an integer (not a boolean) from 1 to MAX_ID."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def int_from_text(raw: Any, low: int, high: int) -> int | None:
    """The whole number from ``low`` to ``high`` (non-negative, at most MAX_ID) written in
    ``raw``, or None. Only ASCII digits count: ``"²".isdigit()`` is true, ``int("²")`` fails,
    and int() of 5000 digits raises."""
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def id_from_text(raw: Any) -> int | None:
    """The id written in ``raw``, or None when it is not one."""
    return int_from_text(raw, 1, MAX_ID)


def date_from_text(raw: Any) -> dt.date | None:
    """The ISO date in ``raw``, or None; the first and last days of the calendar are refused
    too, so that the day before and after (a day's bounds in any time zone) exist."""
    if not isinstance(raw, str) or len(raw) > 10:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return day if dt.date.min < day < dt.date.max else None


def _fail(key: str, message: str) -> NoReturn:
    raise ValidationError.single(key, message)


def text(
    body: Mapping[str, Any],
    key: str,
    max_length: int,
    default: Any = MISSING,
    nullable: bool = False,
) -> Any:
    """A string of at most ``max_length`` characters (``default`` when absent)."""
    value = body.get(key, MISSING)
    if value is MISSING:
        return default
    if value is None and nullable:
        return None
    if not isinstance(value, str) or len(value) > max_length:
        _fail(key, f"must be text of at most {max_length} characters")
    return value


def record_id(
    body: Mapping[str, Any],
    key: str,
    what: str = "record",
    default: Any = MISSING,
    nullable: bool = False,
) -> Any:
    """An id (1 to 2^63-1); ``what`` names the kind of thing in the message."""
    value = body.get(key, MISSING)
    if value is MISSING:
        return default
    if value is None and nullable:
        return None
    if not is_id(value):
        _fail(key, f"must be a {what} id (a whole number from 1 to {MAX_ID})")
    return value


def listing(
    body: Mapping[str, Any], key: str, max_items: int = 1000, default: Any = MISSING
) -> Any:
    """A JSON array of at most ``max_items`` items (their type is the caller's to check)."""
    value = body.get(key, MISSING)
    if value is MISSING:
        return default
    if not isinstance(value, list):
        _fail(key, "must be a list")
    if len(value) > max_items:
        _fail(key, f"holds at most {max_items} items")
    return value


def id_list(body: Mapping[str, Any], key: str, what: str = "record", max_items: int = 1000) -> Any:
    """A list of ids; MISSING when absent."""
    value = listing(body, key, max_items, default=MISSING)
    if value is not MISSING and not all(is_id(item) for item in value):
        _fail(key, f"must be a list of {what} ids (whole numbers from 1 to {MAX_ID})")
    return value

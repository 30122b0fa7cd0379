"""Hash tables built for sandboxed code, bounded against keys that share a hash.

Python salts the hashes of text per process, but not of numbers: ``hash(n)`` is ``n`` modulo
2**61 - 1, so ``range(0, k * (2**61 - 1), 2**61 - 1)`` is k distinct integers with the
same hash, and a set of them costs k**2/2 probes. So ``set()``/``dict()`` and the update
methods insert in slices of SLICE elements with a look at the clock between slices, and a
table is checked when ``set()``/``dict()`` build it and before it is copied, compared or
merged in one call into C: more than COLLISIONS keys sharing a hash with another are
refused. A check goes through the table once, like the operation it comes before.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import sys
from collections.abc import Collection, Iterable
from typing import Any

from plinth.rules.sandbox.sizes import NONE, Meter, too_large

SLICE = 64  # elements inserted between two looks at the clock
COLLISIONS = 256  # keys of one table that may share a hash with another key
# Keys whose hashes are salted per process (text, dates) or cannot collide (None, bool).
_SALTED = frozenset({str, bytes, NONE, bool, dt.date, dt.datetime, dt.time})
_TABLES: tuple[type[Collection[Any]], ...] = (
    set,
    frozenset,
    dict,
    type({}.keys()),
    type({}.items()),
)
_NUMBERS = frozenset({int, float})
_INT = frozenset({int})
_MODULUS = sys.hash_info.modulus


def check_hashes(table: Collection[Any]) -> None:
    """Refuse a set or dict with more than COLLISIONS keys sharing a hash."""
    if len(table) <= COLLISIONS:
        return
    keys = table.keys() if isinstance(table, dict) else table
    kinds = list(map(type, keys))
    present = set(kinds)
    if present <= _SALTED | _NUMBERS:
        # an int below 2**61 - 1 is its own hash, and a float shares its hash with at
        # most a few dozen others: only larger ints can be crafted to collide
        ints = list(itertools.compress(keys, map(_INT.__contains__, kinds)))
        if not ints or -_MODULUS < min(ints) and max(ints) < _MODULUS:
            return
    # sorted, not a set of the hashes: clustered hashes would make that set slow in turn
    hashes = sorted(map(hash, keys))
    shared = sum(map(operator.eq, hashes, itertools.islice(hashes, 1, None)))
    if shared > COLLISIONS:
        too_large(f"{shared:,} keys of a set or dict share their hash with another")


def check_tables(*values: Any) -> None:
    """``check_hashes`` of the values that are hash tables (set, dict, their views)."""
    for value in values:
        if isinstance(value, _TABLES):
            check_hashes(value)


def fill(meter: Meter, table: set[Any] | dict[Any, Any], items: Any) -> None:
    """``table.update(items)`` in slices, the clock read between them (a table that grows
    in place is not checked as a whole each time: its copies and comparisons check it)."""
    if type(items) not in (list, tuple, range):
        items = list(items)
    budget = meter.budget
    for start in range(0, len(items), SLICE):
        table.update(items[start : start + SLICE])
        budget.check_clock()


def hashed_set(meter: Meter, items: Iterable[Any]) -> set[Any]:
    """A new, checked set of ``items`` built by ``fill``."""
    table: set[Any] = set()
    fill(meter, table, items)
    check_hashes(table)
    return table

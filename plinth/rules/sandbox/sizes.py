"""How big values are: the run's Meter, and the weights that price work done in C.

Two allowances bound a run besides its clock. The Budget's steps pay for *going through*
elements (comparing, hashing, adding, calling a key): ``weigh`` says how many elements an
operation will reach, counting shared references each time they are reached, because that
is what ``==``, ``hash``, ``repr`` and ``sorted`` do. The Meter pays for *building*
elements (copies, concatenations, conversions to text): MAX_ALLOCATED per run.

Guards are plain functions shared by all runs; ``current()`` is the Meter of the run in
progress (``enter``/``leave`` set it around a run, nested runs included), so starting a
run builds no guard objects.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from itertools import chain, compress
from typing import Any, NoReturn

from plinth.rules.sandbox.budget import Budget
from plinth.rules.sandbox.errors import SandboxLimit
from plinth.rules.sandbox.limits import MAX_ALLOCATED, MAX_SIZE, TEXT_PER_STEP

_CLOCK_CHARGE = 4096  # a charge this large reads the clock: copying it takes a while

NONE = type(None)
# Values whose operations cost O(1) (integers are capped at MAX_INT_BITS).
FLAT = frozenset({NONE, bool, int, float, dt.date, dt.datetime, dt.time, dt.timedelta})
SCALARS = FLAT | {str, bytes, decimal.Decimal}
_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))
SEQUENCES = frozenset({list, tuple, set, frozenset, *_VIEWS})
# Collections whose length is known without going through them.
SIZED = SEQUENCES | {str, bytes, dict, range}


def too_large(message: str) -> NoReturn:
    raise SandboxLimit(message)


def check_size(size: int) -> int:
    if size > MAX_SIZE:
        too_large(f"a value of {size:,} elements is too large (limit {MAX_SIZE:,})")
    return size


def is_sized(value: Any) -> bool:
    return type(value) in SIZED or isinstance(value, Mapping)


class Meter:
    """One run's allowance of elements built (``charge``) and steps (``spend``, ``weigh``)."""

    __slots__ = ("allocated", "limit", "budget")

    def __init__(self, limit: int = MAX_ALLOCATED, budget: Budget | None = None):
        self.allocated = 0
        self.limit = limit
        self.budget = budget if budget is not None else Budget()

    def charge(self, size: int) -> None:
        self.allocated += size
        if self.allocated > self.limit:
            too_large(f"the rule built more than {self.limit:,} elements")
        if size >= _CLOCK_CHARGE:
            self.budget.check_clock()

    def spend(self, steps: int, what: str | None = None) -> None:
        self.budget.spend(steps, what)

    def weigh(self, value: Any, what: str | None = None, times: int = 1, paid: int = 0) -> None:
        """Spend what going through ``value`` ``times`` over costs, before doing it, less
        ``paid`` steps already spent on it (elements of a drained iterator were paid for as
        they were made: a tick of a generator expression, a call of a map() function)."""
        budget = self.budget
        if type(value) in FLAT:
            budget.spend(times, what)
        else:
            cap = (budget.steps_left + paid) // times + 1
            budget.spend(max(weigh(value, cap) * times - paid, 0), what)


_CURRENT: contextvars.ContextVar[Meter | None] = contextvars.ContextVar(
    "sandbox_meter", default=None
)


def running() -> Meter | None:
    """The Meter of the run in progress, None outside runs."""
    return _CURRENT.get()


def current() -> Meter:
    """The Meter of the run in progress; outside a run (a lazy value used after its run
    ended) a fresh one, so guards still bound each call."""
    meter = _CURRENT.get()
    return meter if meter is not None else Meter()


@contextlib.contextmanager
def off_the_clock() -> Iterator[None]:
    """Time spent inside (a helper reading the database for the rule) is not charged to
    the running rule's deadline, which bounds the rule's own work: reads are bounded by
    their number and size instead, and a loaded database must not fail valid rules."""
    meter = _CURRENT.get()
    started = time.thread_time()
    try:
        yield
    finally:
        if meter is not None:
            meter.budget.deadline += time.thread_time() - started


def enter(meter: Meter) -> contextvars.Token[Meter | None]:
    """Make ``meter`` the current one until ``leave`` (runs nest: a rule's lookup() can
    compute another record's formulas)."""
    return _CURRENT.set(meter)


def leave(token: contextvars.Token[Meter | None]) -> None:
    _CURRENT.reset(token)


def _length(value: Any) -> int | None:
    """How many elements going through a collection reaches; None for other values."""
    kind = type(value)
    if kind in SEQUENCES:
        return len(value)
    if kind is dict or isinstance(value, Mapping):
        return 2 * len(value)
    if isinstance(value, BaseException):
        return len(value.args)
    return None


def _elements(value: Any) -> Iterable[Any]:
    """The elements of a collection ``_length`` knows (keys and values of a mapping)."""
    if type(value) in SEQUENCES:
        return value
    if isinstance(value, BaseException):
        return value.args
    return (*value.keys(), *value.values())


def _of(level: list[Any], kinds: list[type], wanted: Collection[type]) -> Iterator[Any]:
    """The elements of ``level`` whose type is in ``wanted`` (at C speed)."""
    return compress(level, map(wanted.__contains__, kinds))


def _next_level(
    level: list[Any], kinds: list[type], present: set[type], room: int
) -> list[Any] | None:
    """The elements of the collections in ``level``; None when more than ``room``."""
    nested: list[Any] = []
    if present & SEQUENCES:
        sequences = list(_of(level, kinds, SEQUENCES))
        if sum(map(len, sequences)) > room:
            return None
        nested.extend(chain.from_iterable(sequences))
    others = present - SCALARS - SEQUENCES - {range}
    for item in _of(level, kinds, others) if others else ():  # dicts, records, exceptions
        length = _length(item)
        if length is not None:
            if len(nested) + length > room:
                return None
            nested.extend(_elements(item))
    return nested


_TEXT = frozenset({str, bytes})
_DECIMAL = frozenset({decimal.Decimal})
_RANGE = frozenset({range})


def weigh(value: Any, cap: int) -> int:
    """Elements reached going through ``value`` (shared ones each time), text one per
    TEXT_PER_STEP characters; stops counting once past ``cap``. It goes level by level,
    each at C speed."""
    total = 0
    level: list[Any] | None = [value]
    while level:
        total += len(level)
        kinds = list(map(type, level))
        present = set(kinds)
        if not present <= FLAT:
            if present & _TEXT:
                total += sum(map(len, _of(level, kinds, _TEXT))) // TEXT_PER_STEP
            if decimal.Decimal in present:  # coefficients hold at most MAX_DIGITS
                total += sum(map(sys.getsizeof, _of(level, kinds, _DECIMAL))) // 256
            if range in present:
                total += sum(map(len, _of(level, kinds, _RANGE)))
        if total > cap:
            return cap + 1
        level = _next_level(level, kinds, present, cap - total) if present - SCALARS else []
        if level is None:
            return cap + 1
    return total


# ---- text ----------------------------------------------------------------------------
_DATES = frozenset({dt.date, dt.datetime, dt.time, dt.timedelta})
_INT = frozenset({int})
_STR = frozenset({str})
_BYTES = frozenset({bytes})
_FIXED_TEXT: dict[Any, int] = {bool: 5, float: 25, NONE: 4, **dict.fromkeys(_DATES, 120)}


def text_size(value: Any, cap: int, quoted: bool = False) -> int:
    """At least the length of ``str(value)`` (``repr`` when ``quoted``), found without
    building it, level by level at C speed; stops counting once past ``cap``."""
    if type(value) in SCALARS:
        return _scalar_text(value, quoted)
    total = 0
    level: list[Any] | None = [value]
    while level:
        kinds = list(map(type, level))
        counts = Counter(kinds)
        total += 2 * len(level)  # separators
        for kind, count in counts.items():
            total += count * _FIXED_TEXT.get(kind, 80 if kind not in SCALARS else 0)
        if int in counts:
            total += sum(map(int.bit_length, _of(level, kinds, _INT))) * 31 // 100
            total += 5 * counts[int]
        if str in counts:  # repr escapes: \x00 is 4 characters, \U000e0000 is 10
            strings = list(_of(level, kinds, _STR))
            total += sum(map(len, strings)) * (4 if all(map(str.isascii, strings)) else 10)
            total += 2 * counts[str]
        if bytes in counts:
            total += sum(map(len, _of(level, kinds, _BYTES))) * 4 + 3 * counts[bytes]
        if decimal.Decimal in counts:  # Decimal('...'); their digits are bounded
            total += sum(map(len, map(str, _of(level, kinds, _DECIMAL))))
            total += 11 * counts[decimal.Decimal]
        if total > cap:
            return cap + 1
        present = set(counts)
        level = _next_level(level, kinds, present, (cap - total) // 2) if present - SCALARS else []
        if level is None:
            return cap + 1
    return total


def _scalar_text(item: Any, quoted: bool) -> int:
    kind = type(item)
    if kind is str:
        if not quoted:
            return len(item)
        return len(item) * (4 if item.isascii() else 10) + 2
    if kind is bytes:
        return len(item) * 4 + 3
    if kind is int:
        return item.bit_length() * 31 // 100 + 5
    if kind is decimal.Decimal:
        return len(str(item)) + 11
    return _FIXED_TEXT.get(kind, 80)


# ---- helpers of guards that call into C ---------------------------------------------
def collect(meter: Meter, iterable: Iterable[Any]) -> Any:
    """``iterable`` as a sized collection: sized values as they are, an iterator drained
    into a list (its items were paid for by the lazy built-in or the ticks that made them:
    see ``paid_for``) and charged."""
    if is_sized(iterable):
        return iterable
    items = list(iterable)
    meter.charge(check_size(len(items)))
    return items


def paid_for(items: Any, iterable: Any) -> int:
    """Steps already spent on ``items`` that ``collect`` drained from ``iterable``."""
    return 0 if items is iterable else len(items)


def paced(meter: Meter, function: Callable[..., Any], times: int = 0) -> Callable[..., Any]:
    """``function`` as C code calls it back (map, filter, sort keys): every call spends a
    step, and with ``times`` the weight of its result that many times over (sort keys are
    compared about log2(n) times each)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        meter.spend(1)
        result = function(*args, **kwargs)
        if times:
            meter.weigh(result, times=times)
        return result

    return call


def sort_times(count: int) -> int:
    """How many times sorting ``count`` elements compares each, about."""
    return max(1, count.bit_length() // 2)

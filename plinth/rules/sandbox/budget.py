"""Step and time budgets, enforced by ticks the compiler puts in every loop and call.

The policy inserts ``_tick_()`` at the top of each loop body, in each comprehension, and at
the start of each lambda and function, so every iteration or call of sandboxed code spends
one step; the clock is checked every few dozen steps. Unlike ``sys.settrace`` this
cannot be dodged (CPython emits no line events for ``while True: pass``) and costs a plain
function call per iteration.

Built-ins, methods and operators that work through values in C (``sum``, ``sorted``,
``set``, ``x in items``, ``a == b``, ``str.join``...) cannot tick while they run, so their
guards ``spend`` the steps that work is worth *before* calling into C: a step per element
gone through (text: per 16 characters; sorting: about n*log2(n)/2; inserting a key into a
set or dict: 4). A call that would need more steps than the run has left is refused
without being made, and spending reads the clock, so a run stops at its deadline plus at
most one guarded call. Copies (``*``, ``+``, ``list(x)``, slices, ``*x``) are charged to
the run's Meter instead (``sizes.py``); a large charge reads the clock too.

The clock is the processor time of the thread running the rule (``time.thread_time``),
not the wall clock: a rule is charged for its own work, so a busy machine that leaves the
thread waiting for a core does not fail a valid rule (a CI run once stopped a twenty-line
validation after "1 s" it spent mostly descheduled). Waiting is not work either way, and
helpers that read the database run ``off_the_clock``.

Process-level backstop: none in the sandbox, on purpose. A watchdog thread cannot interrupt
C code holding the GIL (the report's 15 s watchdog never ran while ``int(Decimal(
'1e2000000'))`` converted), and signals only reach the main thread, not the request and rq
threads that run rules. What bounds a run instead is that no single uninterruptible call is
large: every C-level loop a rule can start goes through at most MAX_SIZE elements and is
paid for in steps first; integers (MAX_INT_BITS) and number conversions (MAX_DIGITS) are
capped so that one operation costs at most ~30 microseconds; hash tables are filled in
slices with the clock read between them. Measured on the shared 2-core CI machine, the
dearest single guarded call a run can still make takes about 0.2 s (``frozenset()`` of the
largest set the step budget allows: 249,000 integers with clustered hashes), and no
uninterruptible piece of it more than about 0.1 s; so a run ends within MAX_SECONDS plus
about 0.2 s. Formulas computed on read are the exception that needed more: a read runs
records x formulas of them, so one read shares one deadline (``shared_deadline``,
MAX_READ_SECONDS, entered by the rules engine) and the formulas left when it passes read as
null; a run started by a rule's helper (``lookup()`` computing formulas) ends with the run
that started it. A process wedged anyway (a bug in CPython or in these guards) is left to
the server's worker timeout (gunicorn ``--timeout``; rq kills a work horse past its
``job_timeout``), the only thing that can stop C code.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

from plinth.rules.sandbox.errors import SandboxLimit
from plinth.rules.sandbox.limits import MAX_SECONDS, MAX_STEPS

SANDBOX_FILENAME = "<rule>"
_CLOCK_EVERY = 64

# The deadline shared by every run inside ``shared_deadline`` (None outside).
_CEILING: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "sandbox_ceiling", default=None
)


@contextlib.contextmanager
def shared_deadline(seconds: float) -> Iterator[None]:
    """Runs started inside end by ``seconds`` from now, whatever their own deadlines."""
    ceiling = time.thread_time() + seconds
    outer = _CEILING.get()
    token = _CEILING.set(ceiling if outer is None else min(outer, ceiling))
    try:
        yield
    finally:
        _CEILING.reset(token)


class Budget:
    """One run's allowance; ``tick`` is what the injected ``_tick_()`` calls."""

    __slots__ = ("steps", "steps_left", "deadline", "late", "stopped")

    def __init__(self, steps: int = MAX_STEPS, seconds: float = MAX_SECONDS):
        self.steps = steps
        self.steps_left = steps
        self.deadline = time.thread_time() + seconds
        self.late = f"the rule ran longer than {seconds:g} s"
        ceiling = _CEILING.get()
        if ceiling is not None and ceiling < self.deadline:
            self.deadline = ceiling
            self.late = "the rules of this request ran out of their shared time"
        self.stopped: str | None = None

    def tick(self) -> bool:
        if self.stopped:
            raise SandboxLimit(self.stopped)  # once stopped, every later step stops again
        self.steps_left -= 1
        if self.steps_left <= 0:
            self._stop(f"the rule ran more than {self.steps:,} steps")
        if not self.steps_left % _CLOCK_EVERY and time.thread_time() > self.deadline:
            self._stop(self.late)
        return True

    def spend(self, steps: int, what: str | None = None) -> None:
        """Pay for ``steps`` of work a guard is about to do in C; refuse it if they are
        more than the run has left."""
        if self.stopped:
            raise SandboxLimit(self.stopped)
        if steps >= self.steps_left:
            if what:
                self._stop(
                    f"{what} would take {steps:,} steps, more than the rule has left "
                    f"(limit {self.steps:,})"
                )
            self._stop(f"the rule ran more than {self.steps:,} steps")
        before = self.steps_left
        self.steps_left -= steps
        if before // _CLOCK_EVERY != self.steps_left // _CLOCK_EVERY:
            self.check_clock()

    def check_clock(self) -> None:
        if time.thread_time() > self.deadline:
            self._stop(self.late)

    def _stop(self, reason: str) -> None:
        self.stopped = reason
        raise SandboxLimit(reason)

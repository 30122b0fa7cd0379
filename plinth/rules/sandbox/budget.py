"""Step and time budgets, enforced by ticks the compiler puts in every loop and call.

The policy inserts ``_tick_()`` at the top of each loop body, in each comprehension, and at
the start of each lambda and function, so every iteration or call of sandboxed code spends
one step; the wall clock is checked every few hundred steps. Unlike ``sys.settrace`` this
cannot be dodged (CPython emits no line events for ``while True: pass``) and costs a plain
function call per iteration.
"""

from __future__ import annotations

import time

from plinth.rules.sandbox.errors import SandboxLimit
from plinth.rules.sandbox.limits import MAX_SECONDS, MAX_STEPS

SANDBOX_FILENAME = "<rule>"
_CLOCK_EVERY = 256


class Budget:
    """One run's allowance; ``tick`` is what the injected ``_tick_()`` calls."""

    __slots__ = ("steps_left", "deadline", "stopped")

    def __init__(self, steps: int = MAX_STEPS, seconds: float = MAX_SECONDS):
        self.steps_left = steps
        self.deadline = time.monotonic() + seconds
        self.stopped: str | None = None

    def tick(self) -> bool:
        if self.stopped:
            raise SandboxLimit(self.stopped)  # once stopped, every later step stops again
        self.steps_left -= 1
        if self.steps_left <= 0:
            self._stop(f"the rule ran more than {MAX_STEPS:,} steps")
        if not self.steps_left % _CLOCK_EVERY and time.monotonic() > self.deadline:
            self._stop(f"the rule ran longer than {MAX_SECONDS:g} s")
        return True

    def _stop(self, reason: str) -> None:
        self.stopped = reason
        raise SandboxLimit(reason)

"""Running PyVRP within a time budget, with progress reports and cancellation.

PyVRP (hybrid genetic search / iterated local search, single core) was measured against
OR-Tools routing on the Solomon VRPTW instances before it was chosen; see
``benchmarks/dispatch/solomon.py``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pyvrp

DEFAULT_SEED = 1
PROGRESS_EVERY_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class Progress:
    """How far a solve is: seconds used of the budget and the best cost so far."""

    elapsed: float
    budget: float
    best_cost: float | None

    @property
    def fraction(self) -> float:
        return min(1.0, self.elapsed / self.budget) if self.budget > 0 else 1.0


class _BudgetWithReports:
    """PyVRP stopping criterion: stop when the budget is spent or ``should_stop()`` says so,
    reporting progress at most once per ``PROGRESS_EVERY_SECONDS`` on the way."""

    def __init__(self, seconds: float, on_progress, should_stop):
        self.seconds = seconds
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.started = time.perf_counter()
        self.last_report = self.started

    def __call__(self, best_cost) -> bool:
        now = time.perf_counter()
        if self.on_progress is not None and now - self.last_report >= PROGRESS_EVERY_SECONDS:
            self.last_report = now
            cost = float(best_cost) if best_cost is not None and best_cost < 1e300 else None
            self.on_progress(Progress(now - self.started, self.seconds, cost))
        if self.should_stop is not None and self.should_stop():
            return True
        # Counted from the call of run_solver: PyVRP's own MaxRuntime starts only after the
        # first local search, which would then not count against the budget.
        return now - self.started > self.seconds


def run_solver(
    data: pyvrp.ProblemData,
    seconds: float,
    seed: int = DEFAULT_SEED,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    initial: pyvrp.Solution | None = None,
    params: pyvrp.SolveParams | None = None,
) -> pyvrp.Result:
    """Solve ``data`` with PyVRP for at most ``seconds`` (one core) and return its result."""
    if seconds <= 0:
        raise ValueError("the time budget must be positive")
    stop = _BudgetWithReports(seconds, on_progress, should_stop)
    return pyvrp.solve(
        data,
        stop=stop,
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=initial,
        params=params or pyvrp.SolveParams(),
    )

"""After the solver: give a left-out task the place of lower-priority work.

PyVRP adds and removes optional tasks one at a time. Swapping a left-out high-priority task
for one or two placed lower-priority ones (say on the one engineer qualified for it, whose
day is full of appointment windows) needs both moves at once, and the search can miss it.
This pass tries, for each left-out task (most valuable first), every qualified engineer,
every position in their route and every removal of one or two of their visits of a lower
priority, timed exactly; it applies the swap that gains the most (the task's value, less the
values removed and the extra driving). The removed tasks are then offered to the other
engineers' gaps (``repair.fill_gaps``).
"""

from __future__ import annotations

import dataclasses
import itertools
import time

from packs.field_service.dispatch.eligibility import refusal
from packs.field_service.dispatch.model import (
    LATE_PENALTY_SHARE,
    PREFERRED_BONUS_M,
    Engineer,
    Problem,
    Route,
    Task,
)
from packs.field_service.dispatch.schedule import time_route

MAX_REMOVED = 2


@dataclasses.dataclass(frozen=True)
class _Swap:
    route: Route  # the engineer's route with the swap made, timed
    removed: tuple[Task, ...]


def make_room(
    problem: Problem, routes: list[Route], left_out: list[Task], deadline: float
) -> tuple[set[int], list[Task]]:
    """Swap left-out tasks into ``routes`` (changed in place) where that gains value.

    Returns the ids placed and the tasks removed to make room (not placed any more).
    Stops trying new tasks once ``time.perf_counter()`` passes ``deadline``.
    """
    tasks = {task.id: task for task in problem.tasks}
    placed: set[int] = set()
    removed: dict[int, Task] = {}
    lowest = min((tasks[v.task_id].value for r in routes for v in r.visits), default=None)
    for task in sorted(left_out, key=lambda t: -t.value):
        if time.perf_counter() > deadline or lowest is None:
            break
        if task.location is None or task.pinned_to is not None or task.value <= lowest:
            continue
        swap = _best_swap(problem, routes, tasks, task)
        if swap is None:
            continue
        index = next(i for i, r in enumerate(routes) if r.engineer_id == swap.route.engineer_id)
        routes[index] = swap.route
        placed.add(task.id)
        for gone in swap.removed:
            removed[gone.id] = gone
            placed.discard(gone.id)
    return placed, [task for task_id, task in removed.items() if task_id not in placed]


def _best_swap(problem: Problem, routes: list[Route], tasks: dict[int, Task], task: Task):
    best: _Swap | None = None
    floor = 0  # a swap must gain more than this: nothing, then the best so far
    by_engineer = {route.engineer_id: route for route in routes}
    for engineer in problem.engineers:
        route = by_engineer.get(engineer.id)
        if route is None or refusal(engineer, task) is not None:
            continue
        current = [tasks[visit.task_id] for visit in route.visits]
        movable = [
            i
            for i, (visit, other) in enumerate(zip(route.visits, current, strict=True))
            if not visit.pinned and other.value < task.value
        ]
        worth_before = _worth(engineer, current, route)
        places = [engineer.start, *(t.location for t in current), task.location, engineer.end]
        metres, seconds = problem.travel.matrices(places)
        new, end = len(current) + 1, len(current) + 2
        before = route.travel_m
        bonus = PREFERRED_BONUS_M if task.preferred == engineer.id else 0
        for count in range(1, MAX_REMOVED + 1):
            for gone in itertools.combinations(movable, count):
                lost = sum(current[i].value for i in gone)
                ceiling = task.value + bonus - lost
                if ceiling <= floor:
                    continue
                kept = [i for i in range(len(current)) if i not in gone]
                stops = [i + 1 for i in kept]
                for position in range(len(kept) + 1):
                    path = [0, *stops[:position], new, *stops[position:], end]
                    legs = list(zip(path, path[1:], strict=False))
                    added = sum(int(metres[a, b]) for a, b in legs) - before
                    if ceiling - added <= floor:
                        continue
                    order = [current[i] for i in kept]
                    order.insert(position, task)
                    timing = time_route(
                        engineer,
                        order,
                        [int(metres[a, b]) for a, b in legs],
                        [int(seconds[a, b]) for a, b in legs],
                    )
                    if not timing.feasible:
                        continue
                    gain = _worth(engineer, order, timing.route) - worth_before - added
                    if gain > floor:
                        removed = tuple(current[i] for i in gone)
                        best, floor = _Swap(timing.route, removed), gain
    return best


def _worth(engineer: Engineer, order, route: Route) -> int:
    """What a route's visits are worth to the solver: values, less for late ones, plus the
    preferred-engineer bonus."""
    worth = 0
    for task, visit in zip(order, route.visits, strict=True):
        value = task.value
        if visit.late_s > 0:
            value = round(value * (1 - LATE_PENALTY_SHARE))
        worth += value + (PREFERRED_BONUS_M if task.preferred == engineer.id else 0)
    return worth

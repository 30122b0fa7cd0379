"""The greedy dispatcher the optimiser is measured against: what a person does by hand.

Tasks in priority order (urgent first; ties by the earliest allowed start, then the due
time), each appended to the route of the nearest qualified engineer (from where their route
ends so far) who can still take it at the end of their route. The same rules as the
optimiser: ``eligibility.refusal`` for who may do what, ``schedule.time_route`` for timing,
``problem.travel`` for distances; the result is a ``Plan``, so ``Plan.totals()`` is shared.
"""

from __future__ import annotations

import time

from packs.field_service.dispatch.eligibility import refusal, summarise_refusals
from packs.field_service.dispatch.model import PRIORITIES, Plan, Problem, Route, Task
from packs.field_service.dispatch.schedule import time_route

RANK = {name: rank for rank, name in enumerate(sorted(PRIORITIES, key=PRIORITIES.get)[::-1])}


def order(problem: Problem) -> list[Task]:
    """The tasks as the greedy dispatcher takes them."""
    origin = problem.origin

    def key(task: Task):
        low, _high = task.start_bounds()
        return (RANK.get(task.priority, len(RANK)), low or origin, task.due_at or origin, task.id)

    return sorted(problem.tasks, key=key)


def plan(problem: Problem) -> Plan:
    """Place every task greedily; tasks no qualified engineer can append are unplaced."""
    started = time.perf_counter()
    engineers = problem.engineers
    placeable = [t for t in problem.tasks if t.location is not None]
    points = [e.start for e in engineers] + [e.end for e in engineers]
    points += [t.location for t in placeable]
    metres, seconds = problem.travel.matrices(points)
    n = len(engineers)
    start_of = {e.id: k for k, e in enumerate(engineers)}
    end_of = {e.id: n + k for k, e in enumerate(engineers)}
    point_of = {t.id: 2 * n + i for i, t in enumerate(placeable)}
    routes: dict[int, list[Task]] = {e.id: [] for e in engineers}
    unplaced: list[tuple[int, str]] = []

    def legs(engineer, tasks):
        path = [start_of[engineer.id], *(point_of[t.id] for t in tasks), end_of[engineer.id]]
        pairs = list(zip(path, path[1:], strict=False))
        return [int(metres[a, b]) for a, b in pairs], [int(seconds[a, b]) for a, b in pairs]

    for task in order(problem):
        if task.location is None:
            unplaced.append((task.id, "the task has no location"))
            continue
        qualified = [e for e in engineers if refusal(e, task) is None]
        if not qualified:
            unplaced.append((task.id, summarise_refusals(engineers, task)))
            continue
        here = point_of[task.id]

        def distance(engineer, here=here):
            route = routes[engineer.id]
            last = point_of[route[-1].id] if route else start_of[engineer.id]
            return int(metres[last, here]), engineer.id

        for engineer in sorted(qualified, key=distance):
            trial = [*routes[engineer.id], task]
            if time_route(engineer, trial, *legs(engineer, trial)).feasible:
                routes[engineer.id] = trial
                break
        else:
            unplaced.append((task.id, "no qualified engineer can append it to their route"))
    timed = [time_route(e, routes[e.id], *legs(e, routes[e.id])).route for e in engineers]
    return _plan(problem, timed, unplaced, time.perf_counter() - started)


def _plan(problem: Problem, routes: list[Route], unplaced, elapsed: float) -> Plan:
    priorities = {task.id: task.priority for task in problem.tasks}
    info = {"engine": "greedy", "seconds": round(elapsed, 3)}
    return Plan(routes, unplaced, priorities, info)

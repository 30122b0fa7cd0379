"""Optimising a day: build the PyVRP model, solve it within the budget, read the plan back."""

from __future__ import annotations

import time
from collections.abc import Callable

import pyvrp

from packs.field_service.dispatch.eligibility import refusal
from packs.field_service.dispatch.make_room import make_room
from packs.field_service.dispatch.model import Plan, Problem, Route
from packs.field_service.dispatch.pyvrp_model import DayModel, build
from packs.field_service.dispatch.repair import fill_gaps
from packs.field_service.dispatch.schedule import time_route
from packs.field_service.dispatch.solver import DEFAULT_SEED, Progress, run_solver

# Prizes are worth up to PINNED_PRIZE metres of driving: breaking a rule (a second late, a
# task too many) must be able to cost about as much, or PyVRP settles for a plan that
# breaks one. PyVRP's default penalty cap (1e5) suits the benchmark's scale, not ours; the
# cap times the largest time warp (durations are capped) must stay inside int64.
FIELD_PARAMS = pyvrp.SolveParams(penalty=pyvrp.PenaltyParams(max_penalty=1e9))
AFTER_SEARCH_SHARE = 0.05
MIN_SEARCH_SHARE = 0.5


class NoPlanFound(RuntimeError):
    """The solver found no plan keeping every hard rule within the time budget."""


def optimize(
    problem: Problem,
    seconds: float = 10.0,
    seed: int = DEFAULT_SEED,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Plan:
    """The best plan PyVRP finds for ``problem`` within ``seconds`` (on one core)."""
    started = time.perf_counter()
    priorities = {task.id: task.priority for task in problem.tasks}
    if not problem.engineers:
        reason = "no engineer is working that day"
        return Plan([], [(task.id, reason) for task in problem.tasks], priorities, {})
    model = build(problem)
    info = {"engine": "pyvrp", "budget_seconds": seconds, "seed": seed}
    info.update(clients=model.data.num_clients, profiles=model.data.num_profiles)
    if not model.stops:
        routes = [Route(e.id, [], 0, 0, None, None) for e in problem.engineers]
        info["seconds"] = round(time.perf_counter() - started, 3)
        return Plan(routes, model.unplaceable, priorities, info)
    # The budget counts from the call: building the model is part of it, and a share is
    # kept for the exact passes after the search.
    search = seconds * (1 - AFTER_SEARCH_SHARE) - (time.perf_counter() - started)
    search = max(search, seconds * MIN_SEARCH_SHARE)
    result = run_solver(model.data, search, seed, on_progress, should_stop, params=FIELD_PARAMS)
    if not result.is_feasible():
        raise NoPlanFound("no plan keeping every rule was found; give the solver more time")
    routes = decode(model, result.best)
    placed = {visit.task_id for route in routes for visit in route.visits}
    left_out = [task for task in _unique_tasks(model) if task.id not in placed]
    added = fill_gaps(problem, routes, left_out)
    left_out = [task for task in left_out if task.id not in added]
    swapped, removed = make_room(problem, routes, left_out, started + seconds)
    refilled = fill_gaps(problem, routes, removed)
    left_out = [task for task in left_out if task.id not in swapped]
    left_out += [task for task in removed if task.id not in refilled]
    unplaced = list(model.unplaceable) + [(task.id, why_unplaced(model, task)) for task in left_out]
    info["seconds"] = round(time.perf_counter() - started, 3)
    info["cost"] = result.cost()
    info["added_after_search"] = len(added) + len(swapped) + len(refilled)
    info["swapped_for_lower_priority"] = len(swapped)
    return Plan(routes, unplaced, priorities, info)


def decode(model: DayModel, solution: pyvrp.Solution) -> list[Route]:
    """Each engineer's route (empty ones included), timed with the true travel matrices."""
    by_engineer = {}
    for route in solution.routes():
        k = route.vehicle_type()
        order = [activity.idx for activity in route if activity.is_client()]
        by_engineer[k] = order
    routes = []
    for k, engineer in enumerate(model.engineers):
        order = by_engineer.get(k, [])
        tasks = [model.stops[i].task for i in order]
        start, end = model.engineer_locations[k]
        path = [start] + [model.stops[i].location for i in order] + [end]
        metres = [model.distance[a, b] for a, b in zip(path, path[1:], strict=False)]
        seconds = [model.duration[a, b] for a, b in zip(path, path[1:], strict=False)]
        routes.append(time_route(engineer, tasks, metres, seconds).route)
    return routes


def why_unplaced(model: DayModel, task) -> str:
    """The reason a task the solver could consider was left out."""
    if task.pinned_to is not None:
        return "cannot be kept at its committed time"
    qualified = [(k, e) for k, e in enumerate(model.engineers) if refusal(e, task) is None]
    location = next(s.location for s in model.stops if s.task is task)
    reachable = 0
    for k, engineer in qualified:
        start, end = model.engineer_locations[k]
        legs_m = [model.distance[start, location], model.distance[location, end]]
        legs_s = [model.duration[start, location], model.duration[location, end]]
        if time_route(engineer, [task], legs_m, legs_s).feasible:
            reachable += 1
    if not reachable:
        return "no qualified engineer can do it within its window and their working hours"
    if reachable == 1:
        return "the one qualified engineer who could do it has no room left that day"
    return f"the {reachable} qualified engineers who could do it have no room left that day"


def _unique_tasks(model: DayModel):
    seen = set()
    for stop in model.stops:
        if stop.task.id not in seen:
            seen.add(stop.task.id)
            yield stop.task

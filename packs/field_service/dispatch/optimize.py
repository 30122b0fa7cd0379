"""Optimising a day: build the PyVRP model, solve it within the budget, read the plan back,
then exact passes (rules kept, gaps filled, room made, workload balanced) and the reasons."""

from __future__ import annotations

import collections
import time
from collections.abc import Callable

import pyvrp
from pyvrp.search import NeighbourhoodParams

from packs.field_service.dispatch.eligibility import no_room, refusal
from packs.field_service.dispatch.make_room import make_room
from packs.field_service.dispatch.model import Plan, Problem, Route, Task
from packs.field_service.dispatch.pyvrp_model import COST_SCALE, DayModel, build, with_balance
from packs.field_service.dispatch.repair import fill_gaps, keep_rules, rebalance
from packs.field_service.dispatch.schedule import limit_hit, time_route
from packs.field_service.dispatch.solver import DEFAULT_SEED, Progress, run_solver

# Prizes are worth up to PINNED_PRIZE metres of driving: breaking a rule (a second late, a
# task too many) must be able to cost about as much, or PyVRP settles for a plan that
# breaks one. PyVRP's default penalty cap (1e5) suits the benchmark's scale, not ours; the
# cap times the largest time warp (durations are capped) must stay inside int64.
PENALTY = pyvrp.PenaltyParams(max_penalty=1e9 * COST_SCALE)
# A task with a due time, a preferred engineer or a break to keep clear of is several
# clients at one place: the search looks at this many neighbours per task (PyVRP's default
# is 50 clients), or the alternatives crowd the real neighbours out.
NEIGHBOURS_PER_TASK = 45
MAX_NEIGHBOURS = 120
AFTER_SEARCH_SHARE = 0.05
BALANCE_SHARE = 0.05  # of the budget, kept for rebalancing when balance is on
MIN_SEARCH_SHARE = 0.5
FIRST_SEARCH_SHARE = 0.5  # with balance: the least-driving search, then the balanced one
DEFAULT_BALANCE = 50


class NoPlanFound(RuntimeError):
    """The solver found no plan keeping every hard rule within the time budget."""


def optimize(
    problem: Problem,
    seconds: float = 10.0,
    seed: int = DEFAULT_SEED,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    balance: int = DEFAULT_BALANCE,
) -> Plan:
    """The best plan PyVRP finds for ``problem`` within ``seconds`` (on one core).

    ``balance`` (0-100) is the goal between least driving (0) and a balanced workload: how
    much extra driving it is worth to move work from engineers above their fair share of
    the day to engineers below it."""
    started = time.perf_counter()
    priorities = {task.id: task.priority for task in problem.tasks}
    if not problem.engineers:
        reason = "no engineer is working that day"
        return Plan([], [(task.id, reason) for task in problem.tasks], priorities, {})
    model = build(problem)
    info = {"engine": "pyvrp", "budget_seconds": seconds, "seed": seed, "balance": balance}
    info.update(clients=model.data.num_clients, profiles=model.data.num_profiles)
    if not model.stops:
        routes = [Route(e.id, [], 0, 0, None, None) for e in problem.engineers]
        info["seconds"] = round(time.perf_counter() - started, 3)
        return Plan(routes, model.unplaceable, priorities, info)
    # The budget counts from the call: building the model is part of it, and a share is
    # kept for the exact passes after the search.
    kept = AFTER_SEARCH_SHARE + (BALANCE_SHARE if balance > 0 else 0)
    search = seconds * (1 - kept) - (time.perf_counter() - started)
    search = max(search, seconds * MIN_SEARCH_SHARE)
    result = _search(model, search, seed, on_progress, should_stop, balance)
    if not result.is_feasible():
        raise NoPlanFound("no plan keeping every rule was found; give the solver more time")
    routes, broken = decode(model, result.best)
    deadline = started + seconds
    left_out, counts = _after_search(problem, model, routes, broken, deadline, seconds, balance)
    unplaced = list(model.unplaceable)
    unplaced += [(task.id, why_unplaced(model, task, routes)) for task in left_out]
    info["seconds"] = round(time.perf_counter() - started, 3)
    info["cost"] = round(result.cost() / COST_SCALE, 1)
    info.update(counts)
    return Plan(routes, unplaced, priorities, info)


def _search(model: DayModel, seconds: float, seed: int, on_progress, should_stop, balance: int):
    """PyVRP's search: least driving, then (with ``balance``) a second search from its plan
    with each engineer's work beyond their fair share charged (``with_balance``)."""
    params = search_params(model)
    if balance <= 0:
        return run_solver(model.data, seconds, seed, on_progress, should_stop, params=params)
    ends = time.perf_counter() + seconds
    report = _phase(on_progress, 0.0, seconds)
    stop = _Remembered(should_stop)
    first = run_solver(model.data, seconds * FIRST_SEARCH_SHARE, seed, report, stop, params=params)
    if not first.is_feasible() or stop.said_yes:
        return first
    # Nobody over their share: the least-driving search goes on from where it was. The
    # balanced data is a copy of the model's (its matrices too): its time counts.
    data = with_balance(model, first.best, balance) or model.data
    initial = pyvrp.Solution(data, [_route_in(data, route) for route in first.best.routes()])
    rest = ends - time.perf_counter()
    if rest <= 0:
        return first
    report = _phase(on_progress, seconds - rest, seconds)
    second = run_solver(data, rest, seed, report, stop, initial, params)
    return second if second.is_feasible() else first


def search_params(model: DayModel) -> pyvrp.SolveParams:
    """The field's penalty cap, and a neighbourhood wide enough for the tasks' alternatives."""
    tasks = len({stop.task.id for stop in model.stops})
    per_task = model.data.num_clients / max(1, tasks)
    wanted = round(NEIGHBOURS_PER_TASK * per_task)
    neighbours = max(NeighbourhoodParams().num_neighbours, min(MAX_NEIGHBOURS, wanted))
    return pyvrp.SolveParams(
        penalty=PENALTY, neighbourhood=NeighbourhoodParams(num_neighbours=neighbours)
    )


class _Remembered:
    """A ``should_stop`` that remembers a yes (a cancelled solve runs no second search)."""

    def __init__(self, should_stop):
        self.should_stop = should_stop
        self.said_yes = False

    def __call__(self) -> bool:
        if self.should_stop is not None and self.should_stop():
            self.said_yes = True
        return self.said_yes


def _route_in(data: pyvrp.ProblemData, route) -> pyvrp.Route:
    visits = [pyvrp.Activity(a.type, a.idx) for a in route if a.is_client()]
    return pyvrp.Route(data, visits, route.vehicle_type())


def _phase(on_progress, before: float, total: float):
    """Progress of one search reported as progress of the whole budget."""
    if on_progress is None:
        return None

    def report(progress: Progress) -> None:
        on_progress(Progress(before + progress.elapsed, total, progress.best_cost))

    return report


def _after_search(problem, model, routes, broken, deadline: float, seconds: float, balance: int):
    """The exact passes over ``routes`` (changed in place): the tasks left out, and counts.
    Making room stops in time to leave rebalancing its share of the budget."""
    placed = {visit.task_id for route in routes for visit in route.visits}
    broken = keep_rules(problem, routes, broken)
    left_out = [task for task in _unique_tasks(model) if task.id not in placed] + broken
    added = fill_gaps(problem, routes, left_out)
    left_out = [task for task in left_out if task.id not in added]
    reserve = seconds * BALANCE_SHARE if balance > 0 else 0.0
    swapped, removed = make_room(problem, routes, left_out, deadline - reserve)
    refilled = fill_gaps(problem, routes, removed)
    left_out = [task for task in left_out if task.id not in swapped]
    left_out += [task for task in removed if task.id not in refilled]
    moved = rebalance(problem, routes, balance, deadline, time.perf_counter)
    counts = {
        "added_after_search": len(added) + len(swapped) + len(refilled),
        "swapped_for_lower_priority": len(swapped),
        "moved_for_balance": moved,
    }
    return left_out, counts


def decode(model: DayModel, solution: pyvrp.Solution) -> tuple[list[Route], set[int]]:
    """Each engineer's route (empty ones included), timed with the true travel matrices, and
    the engineers whose route breaks a rule as timed exactly (a break, an hours limit)."""
    by_engineer = {}
    for route in solution.routes():
        k = route.vehicle_type()
        order = [activity.idx for activity in route if activity.is_client()]
        by_engineer[k] = order
    routes, broken = [], set()
    for k, engineer in enumerate(model.engineers):
        order = by_engineer.get(k, [])
        tasks = [model.stops[i].task for i in order]
        start, end = model.engineer_locations[k]
        path = [start] + [model.stops[i].location for i in order] + [end]
        metres = [model.distance[a, b] for a, b in zip(path, path[1:], strict=False)]
        seconds = [model.duration[a, b] for a, b in zip(path, path[1:], strict=False)]
        timing = time_route(engineer, tasks, metres, seconds)
        routes.append(timing.route)
        if not timing.feasible:
            broken.add(engineer.id)
    return routes, broken


def why_unplaced(model: DayModel, task: Task, routes: list[Route] | None = None) -> str:
    """The reason a task the solver could consider was left out: who could do it alone,
    and what keeps each of them from fitting it into their day (a daily task or hours limit
    named when that is what it is)."""
    if task.pinned_to is not None and not task.claimed:
        return "cannot be kept at its committed time"
    blocked: collections.Counter = collections.Counter()
    fits_alone = []
    for k, engineer in enumerate(model.engineers):
        if refusal(engineer, task) is not None:
            continue
        path = [model.engineer_locations[k][0], _place(model, task), model.engineer_locations[k][1]]
        alone = _timing_args(model, path)
        if time_route(engineer, [task], *alone).feasible:
            fits_alone.append(k)
        elif (limit := limit_hit(engineer, [task], *alone)) is not None:
            blocked[limit] += 1
    for k in fits_alone:
        blocked[_blocked_by(model, k, task, routes)] += 1
    if task.claimed:
        return _claimant(blocked)
    if not blocked:
        return "no qualified engineer can do it within its window and their working hours"
    return no_room(blocked)


def _claimant(blocked: collections.Counter) -> str:
    """Why a claimed task (only its claimant may do it) was left out."""
    if blocked["tasks"]:
        return "the engineer who claimed it reached their daily task limit"
    if blocked["hours"]:
        return "the engineer who claimed it reached their daily hours limit"
    if blocked["room"]:
        return "the engineer who claimed it has no room left for it that day"
    return "the engineer who claimed it cannot do it within its window and their working hours"


def _blocked_by(model: DayModel, k: int, task: Task, routes: list[Route] | None) -> str:
    """What keeps engineer ``k`` from fitting ``task`` into their route: a daily limit
    (``"tasks"``, ``"hours"``) when it fits some gap without it, else ``"room"``."""
    engineer = model.engineers[k]
    route = next((r for r in routes or () if r.engineer_id == engineer.id), None)
    if route is None:
        return "room"
    by_id = {stop.task.id: stop.task for stop in model.stops}
    order = [by_id[visit.task_id] for visit in route.visits if visit.task_id in by_id]
    if len(order) != len(route.visits):
        return "room"
    start, end = model.engineer_locations[k]
    for position in range(len(order) + 1):
        trial = order[:position] + [task] + order[position:]
        path = [start, *(_place(model, t) for t in trial), end]
        limit = limit_hit(engineer, trial, *_timing_args(model, path))
        if limit is not None:
            return limit
    return "room"


def _place(model: DayModel, task: Task) -> int:
    return next(stop.location for stop in model.stops if stop.task.id == task.id)


def _timing_args(model: DayModel, path: list[int]) -> tuple[list[int], list[int]]:
    legs = list(zip(path, path[1:], strict=False))
    metres = [int(model.distance[a, b]) for a, b in legs]
    return metres, [int(model.duration[a, b]) for a, b in legs]


def _unique_tasks(model: DayModel):
    seen = set()
    for stop in model.stops:
        if stop.task.id not in seen:
            seen.add(stop.task.id)
            yield stop.task

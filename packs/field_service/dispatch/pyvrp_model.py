"""A day's dispatch problem as PyVRP data.

- every engineer is a vehicle type of one vehicle, starting and ending at their own places
  inside their shift, with a task count (capacity) and a maximum route duration;
- every task is an optional client whose prize is the value of its priority (dropping an
  urgent task costs more than any detour); a task with a due time is a group of two
  mutually exclusive clients, on time (full prize) or late (a reduced prize);
- who may do what (skills, groups, required / excluded engineers) and how fast (efficiency)
  are routing profiles: an engineer's profile makes the tasks they may not do unreachable
  and folds their own service time into the travel times leaving each task;
- a task with a preferred engineer is also a group: done by them (a bonus prize) or by anyone;
- committed work that may not move is a client with a one-instant window, reachable only
  by its engineer, with a prize nothing outweighs (a claimed task: any time, same prize);
- a break in an engineer's working hours (lunch) splits a task into mutually exclusive
  clients, one per part of the day between breaks, each with a window that keeps the visit
  out of the break (for the engineers who have that break);
- workload balance (``with_balance``, a second search from the first's plan): each
  engineer's route gets a nominal duration, their fair share of the work the first plan
  placed, with some slack; going over it is overtime, allowed up to their shift or hours
  limit but charged per second. Each client's prize grows by that charge for its own time
  on site, so overtime never makes dropping a task pay: what the charge changes is who
  does it, engineers below their share before those above it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pyvrp

from packs.field_service.dispatch.eligibility import fair_shares, refusal, summarise_refusals
from packs.field_service.dispatch.model import (
    LATE_PENALTY_SHARE,
    PREFERRED_BONUS_M,
    Engineer,
    Problem,
    Task,
)
from packs.field_service.dispatch.travel import UNREACHABLE

PINNED_PRIZE = 10**9  # committed work: four hundred urgent tasks' worth
# No day is longer than this (seconds): an arc that takes longer is as good as impossible.
# Capping keeps penalty x time warp inside int64 at the penalty cap of ``optimize``.
DURATION_CAP = 10**6
# Costs are in tenths of a metre (a metre of driving costs 10), so that an overtime charge
# (a whole number per second) can be a fraction of a metre per second.
COST_SCALE = 10
SPEED_CLASSES = 3  # on-time alternatives of a task with a due time, by engineer speed
# Balance: a weight of 100 charges this much (metres of driving) per second of overtime.
MAX_OVERTIME_COST = 4.0
MAX_SLACK = 0.5  # see balance_slack


@dataclasses.dataclass(frozen=True)
class Stop:
    """A client: one way of doing a task (late or not, by its preferred engineer or by
    anyone qualified) at its own location index."""

    task: Task
    late: bool
    location: int
    preferred: bool = False


@dataclasses.dataclass
class DayModel:
    data: pyvrp.ProblemData
    origin: dt.datetime
    stops: list[Stop]
    engineers: list[Engineer]  # one per vehicle type, in order
    unplaceable: list[tuple[int, str]]
    distance: np.ndarray  # true metres between locations (without profile adjustments)
    duration: np.ndarray  # true travel seconds between locations
    engineer_locations: list[tuple[int, int]]  # (start, end) location index per engineer
    eligible: list[list[int]]  # per stop: the indices of the engineers who may do it


def build(problem: Problem) -> DayModel:
    """Translate ``problem`` into PyVRP data (and list the tasks that cannot be placed)."""
    origin = problem.origin
    horizon = max(
        (int((e.shift_end - origin).total_seconds()) for e in problem.engineers), default=0
    )
    points: list[tuple[float, float]] = []
    depot_of: dict[tuple[float, float], int] = {}
    for engineer in problem.engineers:
        for place in (engineer.start, engineer.end):
            if place not in depot_of:
                depot_of[place] = len(points)
                points.append(place)
    depots = [pyvrp.Depot(location=i) for i in range(len(points))]

    stops: list[Stop] = []
    eligible: list[list[int]] = []  # per stop: indices of the engineers who may do it
    windows: list[tuple[int, int]] = []
    unplaceable: list[tuple[int, str]] = []
    for task in problem.tasks:
        if task.location is None:
            unplaceable.append((task.id, "the task has no location"))
            continue
        who = [k for k, e in enumerate(problem.engineers) if refusal(e, task) is None]
        if not who:
            unplaceable.append((task.id, summarise_refusals(problem.engineers, task)))
            continue
        window = _window(task, origin, horizon)
        if window is None:
            unplaceable.append((task.id, "its time window is outside the day's working hours"))
            continue
        timings = _timings(task, window, origin, problem.engineers, who)
        timings = _between_breaks(task, timings, origin, problem.engineers)
        if not timings:
            unplaceable.append((task.id, "its time window falls in the engineers' breaks"))
            continue
        for late, bounds, able in timings:
            # With a choice of engineers, the preferred one is an alternative of its own.
            preferred = [k for k in able if problem.engineers[k].id == task.preferred]
            preferred = preferred if len(who) > 1 else []
            options = [(False, able)] if len(able) > 1 or not preferred else []
            if preferred:
                options.append((True, preferred))
            for is_preferred, engineers in options:
                stops.append(Stop(task, late, len(points), is_preferred))
                points.append(task.location)
                eligible.append(engineers)
                windows.append(bounds)

    distance, duration = problem.travel.matrices(points)
    clients, groups = _clients(stops, windows)
    engineer_locations = [(depot_of[e.start], depot_of[e.end]) for e in problem.engineers]
    profiles, profile_of = _profiles(problem.engineers, stops, eligible, distance, duration)
    vehicle_types = [
        _vehicle(engineer, origin, len(stops), profile_of[k], engineer_locations[k])
        for k, engineer in enumerate(problem.engineers)
    ]
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(lng, lat) for lat, lng in points],
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[p[0] for p in profiles],
        duration_matrices=[p[1] for p in profiles],
        groups=groups,
    )
    return DayModel(
        data,
        origin,
        stops,
        list(problem.engineers),
        unplaceable,
        distance,
        duration,
        engineer_locations,
        eligible,
    )


def _timings(task: Task, window, origin: dt.datetime, engineers, who: list[int]):
    """(late?, window, engineers) alternatives of a task. Without a due time: one. With one:
    on time (it must start early enough for the engineer's own speed to finish by the due
    time, so engineers are grouped by how long the task takes them), or late (anyone)."""
    if task.due_at is None or task.pinned_to is not None:
        return [(False, window, who)]
    due = int((task.due_at - origin).total_seconds())
    speeds: dict[int, list[int]] = {}
    for k in who:
        speeds.setdefault(engineers[k].duration_seconds(task), []).append(k)
    options = []
    for needs, able in sorted(_merged(speeds).items()):
        latest = due - needs
        if latest >= window[0]:
            options.append((False, (window[0], min(window[1], latest)), able))
    if not options or any(bounds[1] < window[1] for _late, bounds, _able in options):
        options.append((True, window, who))
    return options


def _between_breaks(task: Task, timings, origin: dt.datetime, engineers):
    """Each (late?, window, engineers) alternative split by the engineers' breaks: a client
    per part of the day, its window keeping the visit (at the slowest engineer's speed) out
    of the breaks. Engineers are grouped by their breaks; committed visits are not split."""
    if task.pinned_start is not None:
        return timings
    options = []
    for late, (early, latest), able in timings:
        by_breaks: dict[tuple, list[int]] = {}
        for k in able:
            by_breaks.setdefault(_gaps(engineers[k], origin, early), []).append(k)
        for gaps, group in by_breaks.items():
            takes = max(engineers[k].duration_seconds(task) for k in group)
            for bounds in _parts(early, latest, gaps, takes):
                options.append((late, bounds, group))
    return options


def _gaps(engineer: Engineer, origin: dt.datetime, early: int) -> tuple:
    """The engineer's breaks (seconds from ``origin``) ending after ``early``."""
    gaps = []
    for begins, ends in engineer.breaks:
        b0, b1 = int((begins - origin).total_seconds()), int((ends - origin).total_seconds())
        if b1 > early:
            gaps.append((b0, b1))
    return tuple(gaps)


def _parts(early: int, latest: int, gaps: tuple, takes: int) -> list[tuple[int, int]]:
    """The start windows within [early, latest] of a visit of ``takes`` seconds that keep it
    out of the gaps: before the first, between two, after the last."""
    parts, low = [], early
    for b0, b1 in gaps:
        high = min(latest, b0 - takes)
        if low <= high:
            parts.append((low, high))
        low = max(low, b1)
    if low <= latest:
        parts.append((low, latest))
    return parts


def with_balance(model: DayModel, solution: pyvrp.Solution, weight: int):
    """The model's data with workload balance at ``weight`` (0-100), judged on ``solution``
    (the least-driving plan): each engineer's nominal duration is their fair share of the
    work it placed (time on site and driving, spread over who may do each task in
    proportion to their hours), with the weight's slack, plus their breaks and the plan's
    usual waiting. None when no engineer could be over their share."""
    routes = [route for route in solution.routes() if route.num_clients()]
    work = sum(route.travel_duration() for route in routes)
    if weight <= 0 or not work:
        return None
    shares = _shares(model, solution, work)
    waiting = sum(route.wait_duration() for route in routes) / len(routes)
    cost = MAX_OVERTIME_COST * balance_strength(weight)
    vehicle_types, any_nominal = [], False
    for k, vehicle in enumerate(model.data.vehicle_types()):
        engineer = model.engineers[k]
        breaks = engineer.break_seconds(engineer.shift_start, engineer.shift_end)
        nominal = int(shares[k] * (1 + balance_slack(weight)) + max(waiting, breaks))
        if nominal >= vehicle.shift_duration:
            vehicle_types.append(vehicle)
            continue
        any_nominal = True
        vehicle_types.append(
            vehicle.replace(
                shift_duration=nominal,
                max_overtime=vehicle.shift_duration - nominal,
                unit_overtime_cost=max(1, round(cost * COST_SCALE)),
            )
        )
    if not any_nominal:
        return None
    clients = [
        _with_prize(client, client.prize + round(cost * _fastest(model, i)) * COST_SCALE)
        for i, client in enumerate(model.data.clients())
    ]
    return model.data.replace(clients=clients, vehicle_types=vehicle_types)


def _shares(model: DayModel, solution: pyvrp.Solution, work: int) -> list[float]:
    """Each engineer's fair share of ``work`` seconds: the placed tasks' time on site spread
    over the engineers who may do them, scaled to the plan's work (driving included)."""
    available = [float(e.available_seconds()) for e in model.engineers]
    placed = [
        (float(_fastest(model, activity.idx)), model.eligible[activity.idx])
        for route in solution.routes()
        for activity in route
        if activity.is_client()
    ]
    shares = fair_shares(available, placed)
    scale = work / max(1.0, sum(shares))
    return [share * scale for share in shares]


def _fastest(model: DayModel, stop: int) -> int:
    """Seconds on site of a stop by its fastest engineer."""
    task = model.stops[stop].task
    return min(model.engineers[k].duration_seconds(task) for k in model.eligible[stop])


def balance_strength(weight: int) -> float:
    """The balance weight (0-100) as a strength from 0 to 1, gentle in the lower half of
    the slider: (weight / 100) squared."""
    return (max(0, min(weight, 100)) / 100) ** 2


def balance_slack(weight: int) -> float:
    """How far above their fair share an engineer's load may go before balance counts it:
    half as much again at a weight of 0, 37.5% at 50, nothing at 100."""
    return MAX_SLACK * (1 - balance_strength(weight))


def _merged(speeds: dict[int, list[int]]) -> dict[int, list[int]]:
    """At most ``SPEED_CLASSES`` groups, each timed as its slowest member (never optimistic)."""
    if len(speeds) <= SPEED_CLASSES:
        return speeds
    ordered = sorted(speeds.items())
    size = -(-len(ordered) // SPEED_CLASSES)
    merged = {}
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        merged[chunk[-1][0]] = [k for _seconds, ks in chunk for k in ks]
    return merged


def _window(task: Task, origin: dt.datetime, horizon: int) -> tuple[int, int] | None:
    if task.pinned_to is not None and task.pinned_start is not None:
        at = int((task.pinned_start - origin).total_seconds())
        return (at, at)
    low, high = task.start_bounds()
    early = max(0, int((low - origin).total_seconds())) if low else 0
    late = min(horizon, int((high - origin).total_seconds())) if high else horizon
    return (early, late) if early <= late else None


def _clients(stops: list[Stop], windows: list[tuple[int, int]]):
    clients, groups, members = [], [], {}
    for index, (stop, (early, late)) in enumerate(zip(stops, windows, strict=True)):
        prize = PINNED_PRIZE if stop.task.pinned_to is not None else stop.task.value
        if stop.late:
            prize = round(prize * (1 - LATE_PENALTY_SHARE))
        if stop.preferred:
            prize += PREFERRED_BONUS_M
        prize *= COST_SCALE
        members.setdefault(stop.task.id, []).append(index)
        clients.append(
            pyvrp.Client(
                location=stop.location,
                delivery=[1],
                tw_early=early,
                tw_late=late,
                prize=prize,
                required=False,
                name=f"task {stop.task.id}{' late' if stop.late else ''}",
            )
        )
    for task_id, indices in members.items():
        if len(indices) > 1:
            group = len(groups)
            groups.append(pyvrp.ClientGroup(indices, required=False, name=f"task {task_id}"))
            for index in indices:
                clients[index] = _with_group(clients[index], group)
    return clients, groups


def _with_group(client: pyvrp.Client, group: int) -> pyvrp.Client:
    return _copy(client, client.prize, group)


def _with_prize(client: pyvrp.Client, prize: int) -> pyvrp.Client:
    return _copy(client, prize, client.group)


def _copy(client: pyvrp.Client, prize: int, group: int | None) -> pyvrp.Client:
    return pyvrp.Client(
        location=client.location,
        delivery=client.delivery,
        tw_early=client.tw_early,
        tw_late=client.tw_late,
        prize=prize,
        required=False,
        group=group,
        name=client.name,
    )


def _profiles(engineers, stops, eligible, distance, duration):
    """One (distance, duration) matrix pair per distinct way of seeing the day."""
    allowed: list[set[int]] = [set() for _ in engineers]
    for index, who in enumerate(eligible):
        for k in who:
            allowed[k].add(index)
    profiles, index_of, profile_of = [], {}, []
    for k, engineer in enumerate(engineers):
        mine = sorted(allowed[k])
        service = tuple(engineer.duration_seconds(stops[i].task) for i in mine)
        key = (tuple(mine), service)
        if key not in index_of:
            index_of[key] = len(profiles)
            profiles.append(_profile(engineer, stops, allowed[k], distance, duration))
        profile_of.append(index_of[key])
    return profiles, profile_of


def _profile(engineer, stops, allowed, distance, duration):
    dist = distance.copy()
    dur = duration.copy()
    first = len(distance) - len(stops)
    for index, stop in enumerate(stops):
        column = first + index
        if index not in allowed:
            dist[:, column] = UNREACHABLE
            dur[:, column] = DURATION_CAP
            continue
        dur[column, :] += engineer.duration_seconds(stop.task)
    np.minimum(dur, DURATION_CAP, out=dur)
    np.fill_diagonal(dist, 0)
    np.fill_diagonal(dur, 0)
    return dist, dur


def _vehicle(engineer: Engineer, origin, n_clients: int, profile: int, places) -> pyvrp.VehicleType:
    """An engineer as a vehicle: their shift, task limit, and a route no longer than their
    hours limit (breaks added)."""
    start = int((engineer.shift_start - origin).total_seconds())
    end = int((engineer.shift_end - origin).total_seconds())
    limit = end - start
    if engineer.max_hours is not None:
        breaks = engineer.break_seconds(engineer.shift_start, engineer.shift_end)
        limit = min(limit, int(engineer.max_hours * 3600) + breaks)
    capacity = engineer.max_tasks if engineer.max_tasks is not None else max(1, n_clients)
    return pyvrp.VehicleType(
        num_available=1,
        capacity=[capacity],
        unit_distance_cost=COST_SCALE,
        start_depot=places[0],
        end_depot=places[1],
        tw_early=start,
        tw_late=end,
        profile=profile,
        shift_duration=limit,
        name=f"engineer {engineer.id}",
    )

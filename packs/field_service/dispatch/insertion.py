"""Fitting one new task into the committed schedule: every qualified engineer, every gap
between their committed visits, timed exactly; the cheapest feasible slots win.

Committed visits keep their times (``Task.pinned_to`` / ``pinned_start``), so this is an
exact search over all (engineer, position) pairs, not a heuristic: a few thousand route
timings for 50 engineers and 400 tasks.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt

from packs.field_service.dispatch.eligibility import no_room, refusal, summarise_refusals
from packs.field_service.dispatch.model import PREFERRED_BONUS_M, Engineer, Problem, Task
from packs.field_service.dispatch.schedule import limit_hit, time_route


@dataclasses.dataclass(frozen=True)
class Insertion:
    engineer_id: int
    position: int  # index among the engineer's committed visits of the day
    start: dt.datetime
    end: dt.datetime
    added_travel_m: int
    added_travel_s: int
    late_s: int

    def as_dict(self) -> dict:
        return {
            "engineer": self.engineer_id,
            "position": self.position,
            "start": self.start.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "end": self.end.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "added_travel_km": round(self.added_travel_m / 1000, 2),
            "added_travel_minutes": round(self.added_travel_s / 60, 1),
            "late_minutes": round(self.late_s / 60, 1),
        }


class NoSlot(LookupError):
    """No engineer can take the task without breaking a rule; ``args[0]`` says why."""


def best_insertions(
    problem: Problem, task: Task, limit: int = 5, explain: bool = True
) -> list[Insertion]:
    """The ``limit`` best slots for ``task`` (cheapest added travel, on time first).

    ``problem.tasks`` is the committed schedule: every task pinned to its engineer and
    start. Raises ``NoSlot`` with the reason when there is none (worked out only when
    ``explain``: it takes more timings).
    """
    if task.location is None:
        raise NoSlot("the task has no location")
    qualified = [e for e in problem.engineers if refusal(e, task) is None]
    if not qualified:
        raise NoSlot(summarise_refusals(problem.engineers, task))
    committed: dict[int, list[Task]] = {e.id: [] for e in qualified}
    for other in problem.tasks:
        if other.pinned_to in committed and other.location is not None and other.pinned_start:
            committed[other.pinned_to].append(other)
    points, index = _points(qualified, committed, task)
    metres, seconds = problem.travel.matrices(points)
    found: list[tuple[tuple, Insertion]] = []
    for engineer in qualified:
        visits = sorted(committed[engineer.id], key=lambda t: t.pinned_start)
        trials = _trials(engineer, visits, task, index, metres, seconds)
        before_m, before_s = next(trials)
        for position, order, legs_m, legs_s in trials:
            timing = time_route(engineer, order, legs_m, legs_s)
            if not timing.feasible:
                continue
            visit = timing.route.visits[position]
            slot = Insertion(
                engineer.id,
                position,
                visit.start,
                visit.end,
                timing.route.travel_m - before_m,
                timing.route.travel_s - before_s,
                visit.late_s,
            )
            bonus = PREFERRED_BONUS_M if task.preferred == engineer.id else 0
            found.append(((visit.late_s > 0, slot.added_travel_m - bonus, visit.start), slot))
    if not found:
        if not explain:
            raise NoSlot("no gap")
        raise NoSlot(_no_gap(qualified, committed, task, index, metres, seconds))
    found.sort(key=lambda item: item[0])
    best: list[Insertion] = []
    seen: set[int] = set()
    for _key, slot in found:  # the best slot of each engineer, best engineers first
        if slot.engineer_id not in seen:
            seen.add(slot.engineer_id)
            best.append(slot)
        if len(best) == limit:
            break
    return best


def _trials(engineer: Engineer, visits: list[Task], task: Task, index, metres, seconds):
    """First the travel of the engineer's committed route (metres, seconds), then each way
    of putting ``task`` into it: (position, tasks in order, leg metres, leg seconds)."""
    path = [index[("start", engineer.id)]]
    path += [index[("task", t.id)] for t in visits] + [index[("end", engineer.id)]]
    pairs = list(zip(path, path[1:], strict=False))
    yield sum(int(metres[a, b]) for a, b in pairs), sum(int(seconds[a, b]) for a, b in pairs)
    new = index[("task", task.id)]
    for position in range(len(visits) + 1):
        trial = path[: position + 1] + [new] + path[position + 1 :]
        legs = list(zip(trial, trial[1:], strict=False))
        order = visits[:position] + [task] + visits[position:]
        yield (
            position,
            order,
            [int(metres[a, b]) for a, b in legs],
            [int(seconds[a, b]) for a, b in legs],
        )


def _no_gap(qualified, committed, task: Task, index, metres, seconds) -> str:
    """Why no qualified engineer has a gap for ``task``: their daily task or hours limit
    when that is what keeps an engineer from a gap that would otherwise fit."""
    blocked: collections.Counter = collections.Counter()
    for engineer in qualified:
        visits = sorted(committed[engineer.id], key=lambda t: t.pinned_start)
        trials = _trials(engineer, visits, task, index, metres, seconds)
        next(trials)
        limits = (limit_hit(engineer, order, m, s) for _position, order, m, s in trials)
        blocked[next((limit for limit in limits if limit), "room")] += 1
    if blocked["tasks"] + blocked["hours"]:
        return no_room(blocked)
    return (
        f"none of the {blocked['room']} qualified engineers has a gap for it within its "
        "window and their working hours"
    )


def _points(engineers: list[Engineer], committed: dict[int, list[Task]], task: Task):
    points: list[tuple[float, float]] = []
    index: dict[tuple[str, int], int] = {}

    def add(key, point):
        index[key] = len(points)
        points.append(point)

    for engineer in engineers:
        add(("start", engineer.id), engineer.start)
        add(("end", engineer.id), engineer.end)
        for other in committed[engineer.id]:
            add(("task", other.id), other.location)
    add(("task", task.id), task.location)
    return points, index

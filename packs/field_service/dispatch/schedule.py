"""Timing one engineer's route: when each visit starts and ends, travel, waiting, lateness.

The same rules everywhere (decoding the solver's routes, inserting a new task, the greedy
baseline): leave home no earlier than the shift starts (and no earlier than needed), start
each task as soon as you arrive but not before it may start, and never after it must; a
task that would run into a break (lunch) starts after it instead (driving may pass through
a break: an engineer drives to the afternoon's first site over lunch). Committed visits
keep their times. Hours worked are from leaving to being back, breaks left out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from packs.field_service.dispatch.model import Engineer, Route, Task, Visit


@dataclasses.dataclass
class Timing:
    route: Route
    problem: str | None  # why the route breaks a hard rule; None when it keeps all of them

    @property
    def feasible(self) -> bool:
        return self.problem is None


def bounds(task: Task) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When ``task`` may start: a pinned task at its time, others within their limits."""
    if task.pinned_to is not None and task.pinned_start is not None:
        return task.pinned_start, task.pinned_start
    return task.start_bounds()


def time_route(
    engineer: Engineer,
    tasks: Sequence[Task],
    leg_metres: Sequence[int],
    leg_seconds: Sequence[int],
) -> Timing:
    """Time ``tasks`` in order for ``engineer``; legs are home->t1, t1->t2, ..., tn->home."""
    if len(leg_metres) != len(tasks) + 1 or len(leg_seconds) != len(tasks) + 1:
        raise ValueError("a route of n tasks has n + 1 legs")
    problem = None
    if engineer.max_tasks is not None and len(tasks) > engineer.max_tasks:
        problem = f"more than {engineer.max_tasks} tasks"
    clock = engineer.shift_start
    visits: list[Visit] = []
    for index, task in enumerate(tasks):
        arrive = clock + dt.timedelta(seconds=int(leg_seconds[index]))
        low, high = bounds(task)
        start = max(arrive, low) if low else arrive
        takes = dt.timedelta(seconds=engineer.duration_seconds(task))
        if task.pinned_start is None:
            start = after_breaks(engineer, start, takes)
        if high is not None and start > high and problem is None:
            problem = f"task {task.id} would start after its latest start"
        end = start + takes
        late = max(0, int((end - task.due_at).total_seconds())) if task.due_at else 0
        wait = int((start - arrive).total_seconds())
        pinned = task.pinned_to is not None
        visits.append(
            Visit(
                task.id,
                start,
                end,
                int(leg_metres[index]),
                int(leg_seconds[index]),
                wait,
                late,
                pinned,
            )
        )
        clock = end
    back = clock + dt.timedelta(seconds=int(leg_seconds[-1]))
    leave = engineer.shift_start
    if visits and visits[0].wait_s > 0:  # leave later rather than wait at the first task
        leave += dt.timedelta(seconds=visits[0].wait_s)
        visits[0].wait_s = 0
    if back > engineer.shift_end and problem is None:
        problem = "the engineer would be back after their shift ends"
    if engineer.max_hours is not None and problem is None:
        worked = (back - leave).total_seconds() - engineer.break_seconds(leave, back)
        if worked > engineer.max_hours * 3600 + 1:
            problem = f"longer than {engineer.max_hours:g} hours"
    route = Route(
        engineer.id,
        visits,
        int(sum(leg_metres)) if tasks else 0,
        int(sum(leg_seconds)) if tasks else 0,
        leave if tasks else None,
        back if tasks else None,
    )
    return Timing(route, problem)


def after_breaks(engineer: Engineer, start: dt.datetime, takes: dt.timedelta) -> dt.datetime:
    """The first start at or after ``start`` of a visit lasting ``takes`` that overlaps none
    of the engineer's breaks."""
    for begins, ends in engineer.breaks:
        if start < ends and start + takes > begins:
            start = ends
    return start


def time_tasks(travel, engineer: Engineer, tasks: Sequence[Task]) -> Timing:
    """Time ``tasks`` in order for ``engineer``, measuring each leg with ``travel``."""
    places = [engineer.start, *(task.location for task in tasks), engineer.end]
    metres, seconds = travel.matrices(places)
    legs = [(i, i + 1) for i in range(len(places) - 1)]
    return time_route(
        engineer,
        tasks,
        [int(metres[a, b]) for a, b in legs],
        [int(seconds[a, b]) for a, b in legs],
    )


def limit_hit(
    engineer: Engineer,
    tasks: Sequence[Task],
    leg_metres: Sequence[int],
    leg_seconds: Sequence[int],
) -> str | None:
    """``"tasks"`` or ``"hours"`` when a daily limit of the engineer is all that keeps this
    route from being feasible; None when it is feasible, or breaks another rule as well."""
    if engineer.max_tasks is None and engineer.max_hours is None:
        return None
    free = dataclasses.replace(engineer, max_tasks=None, max_hours=None)
    if not time_route(free, tasks, leg_metres, leg_seconds).feasible:
        return None
    if time_route(engineer, tasks, leg_metres, leg_seconds).feasible:
        return None
    if engineer.max_tasks is not None and len(tasks) > engineer.max_tasks:
        return "tasks"
    return "hours"

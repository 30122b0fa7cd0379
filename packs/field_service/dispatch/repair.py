"""After the solver: put in every left-out task that still fits the plan as it stands.

PyVRP tries to insert a task next to its geographic neighbours; when those are on routes of
engineers who may not do it, a route further away with room for it can be missed. An exact
pass over every qualified engineer and gap (``best_insertions``), most valuable tasks first,
keeps the solver's visits where they are and adds what fits.
"""

from __future__ import annotations

import dataclasses

from packs.field_service.dispatch.insertion import NoSlot, best_insertions
from packs.field_service.dispatch.model import Problem, Route, Task
from packs.field_service.dispatch.schedule import time_tasks


def fill_gaps(problem: Problem, routes: list[Route], left_out: list[Task]) -> set[int]:
    """Insert what fits of ``left_out`` into ``routes`` (changed in place); returns the ids."""
    tasks = {task.id: task for task in problem.tasks}
    engineers = {engineer.id: engineer for engineer in problem.engineers}
    by_engineer = {route.engineer_id: index for index, route in enumerate(routes)}
    added: set[int] = set()
    for task in sorted(left_out, key=lambda t: -t.value):
        if task.location is None or task.pinned_to is not None:
            continue
        schedule = [
            dataclasses.replace(tasks[v.task_id], pinned_to=r.engineer_id, pinned_start=v.start)
            for r in routes
            for v in r.visits
        ]
        try:
            [slot] = best_insertions(Problem(problem.engineers, schedule, problem.travel), task, 1)
        except NoSlot:
            continue
        index = by_engineer[slot.engineer_id]
        visits = [t for t in schedule if t.pinned_to == slot.engineer_id]
        visits.sort(key=lambda t: t.pinned_start)
        new = dataclasses.replace(task, pinned_to=slot.engineer_id, pinned_start=slot.start)
        visits.insert(slot.position, new)
        routes[index] = _timed(problem, engineers[slot.engineer_id], visits, tasks)
        added.add(task.id)
    return added


def _timed(problem: Problem, engineer, visits: list[Task], originals: dict[int, Task]) -> Route:
    route = time_tasks(problem.travel, engineer, visits).route
    for visit in route.visits:  # committed work stays marked as such
        visit.pinned = originals[visit.task_id].pinned_to is not None
    return route

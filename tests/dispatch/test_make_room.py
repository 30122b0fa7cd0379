"""The pass after the search that swaps a left-out task for lower-priority work."""

from __future__ import annotations

import datetime as dt
import time

from packs.field_service.dispatch.make_room import make_room
from packs.field_service.dispatch.schedule import time_tasks

from .days import at, engineer, north, task

FOREVER = float("inf")
TEN_MINUTES = dt.timedelta(minutes=10)


def _full_day(ann, tasks):
    """Ann's day: four 2-hour tasks booked back to back from 09:15 (10-minute windows)."""
    starts = [at(0.25 + 2 * i) for i in range(len(tasks))]
    return [
        task(10 + i, north(1 + i * 0.1), 120, window_start=s, window_end=s + TEN_MINUTES, **kw)
        for i, (s, kw) in enumerate(zip(starts, tasks, strict=True))
    ]


def _routes(problem, ann, booked):
    return [time_tasks(problem.travel, ann, booked).route]


def _order(routes):
    return [visit.task_id for visit in routes[0].visits]


def test_a_high_priority_task_takes_the_place_of_a_normal_one(problem):
    ann = engineer(1, hours=8.5)
    booked = _full_day(ann, [{"priority": "low"}, {}, {"priority": "low"}, {}])
    urgent = task(1, north(1.15), 90, priority="high", window_start=at(2.25), window_end=at(2.5))
    day = problem([ann], [*booked, urgent])
    routes = _routes(day, ann, booked)
    placed, removed = make_room(day, routes, [urgent], FOREVER)
    assert placed == {1}
    assert [t.id for t in removed] == [11]  # the normal task in its window, not a low one
    assert _order(routes) == [10, 1, 12, 13]
    visit = routes[0].visits[1]
    assert visit.start < at(2.5) and visit.late_s == 0


def test_two_lower_priority_tasks_can_make_room_together(problem):
    ann = engineer(1, hours=8.5)
    booked = _full_day(ann, [{}, {"priority": "low"}, {"priority": "low"}, {}])
    big = task(1, north(1.2), 200, priority="urgent", window_start=at(2.25), window_end=at(2.4))
    day = problem([ann], [*booked, big])
    routes = _routes(day, ann, booked)
    placed, removed = make_room(day, routes, [big], FOREVER)
    assert placed == {1}
    assert sorted(t.id for t in removed) == [11, 12]
    assert _order(routes) == [10, 1, 13]


def test_committed_work_and_equal_priority_work_stay(problem):
    ann = engineer(1, hours=8.5)
    booked = _full_day(ann, [{}, {"priority": "high"}, {}, {}])
    booked[0].pinned_to, booked[0].pinned_start = 1, at(0.25)
    high = task(1, north(1.1), 90, priority="high", window_start=at(0), window_end=at(2.5))
    day = problem([ann], [*booked, high])
    routes = _routes(day, ann, booked)
    assert make_room(day, routes, [high], FOREVER) == (set(), [])
    assert _order(routes) == [10, 11, 12, 13]
    assert routes[0].visits[0].pinned


def test_no_swap_when_the_extra_driving_costs_more_than_it_gains(problem):
    ann = engineer(1, hours=8.5)
    booked = _full_day(ann, [{"priority": "low"}] * 4)
    far = task(1, north(20), 60, window_start=at(2), window_end=at(6))  # normal: worth 25 km
    day = problem([ann], [*booked, far])
    routes = _routes(day, ann, booked)
    assert make_room(day, routes, [far], FOREVER) == (set(), [])


def test_unqualified_engineers_and_a_spent_deadline_are_respected(problem):
    ann = engineer(1, hours=8.5)
    booked = _full_day(ann, [{}] * 4)
    lift = task(1, north(1.1), 60, skill="lift", priority="urgent")
    day = problem([ann], [*booked, lift])
    routes = _routes(day, ann, booked)
    assert make_room(day, routes, [lift], FOREVER) == (set(), [])
    urgent = task(2, north(1.1), 60, priority="urgent")
    day = problem([ann], [*booked, urgent])
    assert make_room(day, routes, [urgent], time.perf_counter() - 1) == (set(), [])
    assert make_room(day, routes, [urgent], FOREVER)[0] == {2}

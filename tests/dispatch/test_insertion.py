"""Fitting a new task into a committed schedule, and timing routes."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from packs.field_service.dispatch import best_insertions
from packs.field_service.dispatch.insertion import NoSlot
from packs.field_service.dispatch.schedule import time_route
from tests.dispatch.days import HQ, START, at, engineer, north, task


def committed(id, engineer_id, place, hours):
    return task(id, place, pinned_to=engineer_id, pinned_start=at(hours))


def test_the_new_task_goes_into_the_gap_that_adds_least_driving(problem):
    ann, bob = engineer(1), engineer(2, home=north(15))
    schedule = [
        committed(1, 1, north(2), 0.5),
        committed(2, 1, north(4), 3),
        committed(3, 2, north(15.5), 1),
    ]
    new = task(9, north(3))
    [best, second] = best_insertions(problem([ann, bob], schedule), new)
    assert (best.engineer_id, best.position) == (1, 1)
    assert best.added_travel_m < 100  # on the way from task 1 to task 2
    assert best.start >= at(1.5) and best.end <= at(3)
    assert second.engineer_id == 2 and second.added_travel_m > 20_000


def test_on_time_beats_cheap_and_a_preferred_engineer_gets_a_bonus(problem):
    ann, bob = engineer(1), engineer(2, home=north(3))
    busy = [committed(1, 1, north(0.5), 0), committed(2, 1, north(0.6), 1.2)]
    due = task(9, north(0.5), due_at=at(1.5))
    [best, *_rest] = best_insertions(problem([ann, bob], busy), due)
    assert best.engineer_id == 2 and best.late_s == 0  # Ann is closer but could only be late
    preferred = task(10, north(1), preferred=2)
    assert best_insertions(problem([ann, bob], []), preferred)[0].engineer_id == 2


def test_no_slot_says_why(problem):
    ann = engineer(1, hours=2)
    with pytest.raises(NoSlot, match="needs skill lift"):
        best_insertions(problem([ann], []), task(9, HQ, skill="lift"))
    with pytest.raises(NoSlot, match="no location"):
        best_insertions(problem([ann], []), task(9, None))
    full = [committed(1, 1, north(0.1), 0), committed(2, 1, north(0.2), 1)]
    with pytest.raises(NoSlot, match="1 qualified engineers has a gap"):
        best_insertions(problem([ann], full), task(9, north(0.3)))


def test_the_best_slot_is_the_cheapest_of_every_feasible_one(problem):
    """Against an independent enumeration of every (engineer, position) on random days."""
    rng = random.Random(7)
    for _round in range(5):
        people = [
            engineer(k, home=north(rng.uniform(-5, 5), rng.uniform(-5, 5))) for k in (1, 2, 3)
        ]
        schedule, ids = [], itertools.count(1)
        for person in people:
            hour = 0.2
            for _visit in range(rng.randint(0, 4)):
                place = north(rng.uniform(-5, 5), rng.uniform(-5, 5))
                schedule.append(committed(next(ids), person.id, place, hour))
                hour += rng.uniform(1.3, 2.5)
        new = task(99, north(rng.uniform(-5, 5), rng.uniform(-5, 5)), minutes=45)
        day = problem(people, schedule)
        best = best_insertions(day, new)[0]
        costs = []
        for person in people:
            mine = sorted(
                (t for t in schedule if t.pinned_to == person.id), key=lambda t: t.pinned_start
            )
            for position in range(len(mine) + 1):
                order = mine[:position] + [new] + mine[position:]
                places = [person.start] + [t.location for t in order] + [person.end]
                metres, seconds = day.travel.matrices(places)
                legs = [(i, i + 1) for i in range(len(places) - 1)]
                timing = time_route(
                    person, order, [metres[a, b] for a, b in legs], [seconds[a, b] for a, b in legs]
                )
                if timing.feasible:
                    before = [person.start] + [t.location for t in mine] + [person.end]
                    m0, _ = day.travel.matrices(before)
                    base = sum(m0[i, i + 1] for i in range(len(before) - 1))
                    costs.append(timing.route.travel_m - base)
        assert best.added_travel_m == min(costs)


def test_a_route_is_timed_with_waiting_limits_and_shift_end():
    ann = engineer(1, hours=3, max_tasks=2)
    jobs = [task(1, HQ, window_start=at(1)), task(2, HQ, minutes=30)]
    timing = time_route(ann, jobs, [600, 0, 600], [600, 0, 600])
    assert timing.feasible
    first, second = timing.route.visits
    ten_minutes = dt.timedelta(minutes=10)
    assert first.start == at(1) and first.wait_s == 0
    assert timing.route.leave_at == at(1) - ten_minutes  # leaves late rather than waits
    assert second.start == at(2) and second.end == at(2.5)
    assert timing.route.back_at == at(2.5) + ten_minutes
    too_many = time_route(ann, [*jobs, task(3, HQ)], [0, 0, 0, 0], [0, 0, 0, 0])
    assert too_many.problem == "more than 2 tasks"
    overtime = time_route(engineer(1, hours=1), [task(1, HQ, minutes=90)], [0, 0], [0, 0])
    assert overtime.problem == "the engineer would be back after their shift ends"
    closed = time_route(ann, [task(1, HQ, latest_start=START)], [600, 600], [600, 600])
    assert closed.problem == "task 1 would start after its latest start"
    with pytest.raises(ValueError):
        time_route(ann, jobs, [0], [0])

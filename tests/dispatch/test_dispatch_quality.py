"""Plans a dispatcher would accept (issue 20), on small days without a database: workload
balance against least driving, lunch breaks, daily task and hours limits with reasons that
name them, and a claimed task kept on its claimant.

As in ``test_model``, the solver's budget is counted on a fake clock (a fixed number of
iterations), so what a solve finds does not depend on the machine.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from benchmarks.dispatch.city_day import team_day
from packs.field_service.dispatch import best_insertions, optimize
from packs.field_service.dispatch.eligibility import refusal
from packs.field_service.dispatch.insertion import NoSlot
from packs.field_service.dispatch.schedule import time_route
from plinth.testing import FakeClock
from tests.dispatch.days import HQ, at, engineer, north, task

TICK = 2**-10
MODULES = ("solver", "optimize", "make_room")
LUNCH = ((at(3), at(4)),)  # 12:00-13:00 in Shanghai


@pytest.fixture(autouse=True)
def solver_clock(monkeypatch) -> FakeClock:
    clock = FakeClock(step=TICK)
    for name in MODULES:
        monkeypatch.setattr(sys.modules[f"packs.field_service.dispatch.{name}"], "time", clock)
    return clock


def visits(plan) -> dict:
    return {v.task_id: (route.engineer_id, v) for route in plan.routes for v in route.visits}


def overloaded_beside_idle(problem, plan) -> list[tuple[int, int]]:
    """(busy, idle) pairs: an engineer whose load (on site and driving) is more than 1.5
    times the average while an engineer with nothing to do may do one of their tasks."""
    tasks = {t.id: t for t in problem.tasks}
    engineers = {e.id: e for e in problem.engineers}
    loads = {route.engineer_id: route.work_s for route in plan.routes}
    average = sum(loads.values()) / len(loads)
    idle = [route.engineer_id for route in plan.routes if not route.visits]
    return [
        (route.engineer_id, other)
        for route in plan.routes
        if loads[route.engineer_id] > 1.5 * average
        for other in idle
        if any(refusal(engineers[other], tasks[v.task_id]) is None for v in route.visits)
    ]


# ---- workload balance ----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 4])
def test_balance_keeps_nobody_idle_beside_an_overloaded_engineer_for_little_driving(seed):
    """Issue 20's day: six engineers who may all do every task, 42 short visits in one
    district. Least driving leaves engineers idle while others work far more than the
    average; the default balance spreads the work at most 10% more driving."""
    travel_only = optimize(team_day(6, 42, seed), 2, balance=0)
    day = team_day(6, 42, seed)
    balanced = optimize(day, 2)  # the default balance
    assert overloaded_beside_idle(team_day(6, 42, seed), travel_only)  # the problem
    assert overloaded_beside_idle(day, balanced) == []
    assert balanced.totals()["tasks_placed"] == travel_only.totals()["tasks_placed"] == 42
    assert balanced.totals()["travel_km"] <= 1.10 * travel_only.totals()["travel_km"]
    assert balanced.totals()["work_hours_most"] < travel_only.totals()["work_hours_most"]
    assert balanced.solver["balance"] == 50


def test_a_balance_of_100_evens_the_work_out_and_0_is_least_driving():
    plans = {weight: optimize(team_day(6, 42, 4), 2, balance=weight) for weight in (0, 100)}
    loads = {w: sorted(r.work_s / 3600 for r in plan.routes) for w, plan in plans.items()}
    assert loads[100][-1] - loads[100][0] < 1.5  # hours between the busiest and the least
    assert loads[0][0] == 0  # least driving leaves someone idle
    assert plans[0].totals()["travel_km"] < plans[100].totals()["travel_km"]


def test_balance_never_drops_work_it_would_otherwise_do(problem):
    """A full day: every engineer over any fair share. Balance changes who, not whether."""
    people = [engineer(k, home=north(3 * k), hours=4) for k in (1, 2)]
    work = [task(k, north(0.5 * k), minutes=50, priority="low") for k in range(1, 13)]
    placed = {
        weight: optimize(problem(people, work), 1, balance=weight).totals()["tasks_placed"]
        for weight in (0, 50, 100)
    }
    assert placed[50] == placed[100] == placed[0] > 0


# ---- lunch breaks ----------------------------------------------------------------------------
def test_no_visit_is_planned_across_the_lunch_break(problem):
    ann = engineer(1, breaks=LUNCH)
    morning = [task(k, north(0.3 * k), minutes=50) for k in range(1, 4)]
    straddles = task(9, north(1), minutes=90, window_start=at(2.5), window_end=at(4.5))
    plan = optimize(problem([ann], [*morning, straddles]), 0.5, balance=0)
    placed = visits(plan)
    assert set(placed) == {1, 2, 3, 9}
    for _who, visit in placed.values():
        assert visit.end <= at(3) or visit.start >= at(4), (visit.start, visit.end)
    assert placed[9][1].start == at(4)  # 90 minutes from 11:30 would cross lunch: at 13:00


def test_a_window_inside_the_lunch_break_is_said_to_be(problem):
    ann = engineer(1, breaks=LUNCH)
    over_lunch = task(1, north(1), minutes=60, window_start=at(3), window_end=at(3.5))
    plan = optimize(problem([ann], [over_lunch]), 0.5)
    assert plan.unplaced == [(1, "its time window falls in the engineers' breaks")]


def test_a_route_waits_out_the_break_and_hours_worked_leave_it_out():
    ann = engineer(1, breaks=LUNCH, max_hours=5)
    jobs = [task(1, HQ, minutes=150), task(2, HQ, minutes=120)]
    timing = time_route(ann, jobs, [0, 0, 0], [0, 0, 0])
    first, second = timing.route.visits
    assert (first.start, first.end) == (at(0), at(2.5))
    assert second.start == at(4)  # 2 hours would run into lunch: after it
    assert timing.problem is None  # 4.5 hours worked, 6 from leaving to being back
    shorter = time_route(engineer(1, breaks=LUNCH, max_hours=4), jobs, [0, 0, 0], [0, 0, 0])
    assert shorter.problem == "longer than 4 hours"


def test_an_hours_limit_counts_working_time_not_the_lunch_in_the_solver(problem):
    """Six hours of work in a 9-18 day with lunch and a 6-hour limit: the route lasts seven
    hours, lunch included, and all of it is planned."""
    ann = engineer(1, breaks=LUNCH, max_hours=6)
    work = [task(k, north(0.01 * k), minutes=88) for k in range(1, 5)]
    plan = optimize(problem([ann], work), 0.5)
    assert plan.totals()["tasks_placed"] == 4
    [route] = plan.routes
    assert (route.back_at - route.leave_at) > dt.timedelta(hours=6)


def test_a_route_the_solver_timed_otherwise_loses_its_least_valuable_visits(problem):
    """PyVRP's limit for a day with lunch is the hours limit plus lunch: an afternoon-only
    route may then work too long. The exact check takes out the least valuable visit."""
    from packs.field_service.dispatch.repair import keep_rules
    from packs.field_service.dispatch.schedule import time_tasks

    ann = engineer(1, breaks=LUNCH, max_hours=5.1)
    after_lunch = {"window_start": at(4), "minutes": 90}
    work = [
        task(1, north(0.1), priority="high", **after_lunch),
        task(2, north(0.2), priority="low", **after_lunch),
        task(3, north(0.3), priority="normal", **after_lunch),
        task(4, north(0.4), pinned_to=1, pinned_start=at(1)),
    ]
    day = problem([ann], work)
    order = [work[3], *work[:3]]
    routes = [time_tasks(day.travel, ann, order).route]
    assert not time_tasks(day.travel, ann, order).feasible
    assert keep_rules(day, routes, {1}) == [work[1]]
    assert [v.task_id for v in routes[0].visits] == [4, 1, 3]
    assert routes[0].visits[0].pinned and not routes[0].visits[1].pinned
    assert keep_rules(day, routes, set()) == []  # only the routes said to break a rule


# ---- daily limits and their reasons --------------------------------------------------------
def test_the_daily_task_limit_is_named_when_it_leaves_a_task_out(problem):
    ann = engineer(1, max_tasks=2)
    work = [task(k, north(0.2 * k), priority="high" if k < 3 else "low") for k in range(1, 4)]
    plan = optimize(problem([ann], work), 0.5)
    assert len(plan.routes[0].visits) == 2
    assert dict(plan.unplaced) == {
        3: "the one qualified engineer who could do it reached their daily task limit"
    }


def test_the_daily_hours_limit_is_named_when_it_leaves_a_task_out(problem):
    ann = engineer(1, max_hours=2.2)
    bob = engineer(2, home=north(1), max_hours=2.2)
    work = [task(k, north(0.1 * k), minutes=60) for k in range(1, 6)]
    plan = optimize(problem([ann, bob], work), 0.5)
    assert plan.totals()["tasks_placed"] == 4
    [(left_out, reason)] = plan.unplaced
    assert reason == "the 2 qualified engineers who could do it reached their daily hours limit"


def test_limits_mixed_with_a_full_day_are_counted_apart(problem):
    ann = engineer(1, max_tasks=1)
    bob = engineer(2, hours=1.5)  # no limits: his shift is full
    work = [task(k, north(0.01 * k), minutes=60, priority="urgent") for k in (1, 2)]
    work.append(task(3, north(0.03), minutes=60, priority="low"))
    plan = optimize(problem([ann, bob], work), 0.5)
    assert dict(plan.unplaced) == {
        3: "of the 2 qualified engineers who could do it, 1 reached the daily task limit, "
        "1 has no room left"
    }


def test_insertion_names_the_limit_that_leaves_no_slot(problem):
    """Two committed hours (10:00 and 11:03) leave room only after them: a third hour takes
    the day from 10:00 to past 13:00."""
    kept = [
        task(1, north(0.1), pinned_to=1, pinned_start=at(1)),
        task(2, north(0.2), pinned_to=1, pinned_start=at(2.05)),
    ]
    new = task(9, north(0.5))
    with pytest.raises(NoSlot, match="^the one qualified .* reached their daily task limit$"):
        best_insertions(problem([engineer(1, max_tasks=2)], kept), new)
    with pytest.raises(NoSlot, match="^the one qualified .* reached their daily hours limit$"):
        best_insertions(problem([engineer(1, max_hours=3)], kept), new)
    with pytest.raises(NoSlot, match="^none of the 1 qualified engineers has a gap"):
        best_insertions(problem([engineer(1, hours=4)], kept), new)
    assert best_insertions(problem([engineer(1, max_hours=4.5)], kept), new)[0].position == 2


# ---- claimed tasks ---------------------------------------------------------------------------
def test_a_claimed_task_stays_with_its_claimant(problem):
    ann, bob = engineer(1), engineer(2, home=north(10))
    claimed = task(1, north(0.1), pinned_to=2, claimed=True)  # next to Ann, claimed by Bob
    unclaimed = task(2, north(0.1))  # the same place: Ann's
    plan = optimize(problem([ann, bob], [claimed, unclaimed]), 0.5, balance=0)
    placed = visits(plan)
    assert placed[1][0] == 2 and placed[1][1].pinned
    assert optimize(problem([ann, bob], [unclaimed]), 0.5).routes[0].visits[0].task_id == 2


def test_a_claimed_task_whose_claimant_is_off_is_not_given_to_another(problem):
    claimed = task(1, north(0.1), pinned_to=2, claimed=True)
    plan = optimize(problem([engineer(1)], [claimed]), 0.5)
    assert plan.unplaced == [(1, "the engineer who claimed it is not working that day")]

"""The optimiser's rules on small days: skills, windows, due times, efficiency, limits,
preferences, committed work, priorities, and the reasons for what is left out; progress
reports and cancelling a running solve.

The optimiser's time budget is counted on a fake clock (``solver_clock``) that moves
``TICK`` (about a millisecond) each time the dispatch code reads it, once per solver
iteration: a budget of ``SECONDS`` is a fixed number of iterations, so the plans do not
depend on how fast or busy the machine is, and no test asserts how long anything took.
"""

from __future__ import annotations

import sys
import threading

import pytest

from packs.field_service.dispatch import optimize
from packs.field_service.dispatch.eligibility import refusal
from plinth.testing import FakeClock
from tests.dispatch.days import HQ, START, HaversineTravel, Problem, at, engineer, north, task

SECONDS = 0.5
TICK = 2**-10  # seconds per clock reading: a binary fraction, so sums of it are exact
MODULES = ("solver", "optimize", "make_room")  # the dispatch modules that read the clock
HANG = 120  # a liveness guard: fails a test only if the solve never returns


@pytest.fixture(autouse=True)
def solver_clock(monkeypatch) -> FakeClock:
    """One fake clock for the dispatch code, moving TICK per reading (set ``step`` to 0 to
    stop it: then only ``should_stop`` can end a search)."""
    clock = FakeClock(step=TICK)
    for name in MODULES:
        monkeypatch.setattr(sys.modules[f"packs.field_service.dispatch.{name}"], "time", clock)
    return clock


def returns(solve, guard: float = HANG):
    """``solve()``'s result, run in a thread; fails (rather than hangs) if it never returns."""
    done: list = []
    worker = threading.Thread(target=lambda: done.append(solve()), daemon=True)
    worker.start()
    worker.join(guard)  # a liveness guard, not a timing: the test asserts what the solve did
    assert done, "the solve did not return"
    return done[0]


@pytest.fixture
def searches(monkeypatch) -> list:
    """The PyVRP results of the searches ``optimize`` runs (their iteration counts)."""
    module = sys.modules["packs.field_service.dispatch.optimize"]
    real, seen = module.run_solver, []

    def spy(*args, **kwargs):
        seen.append(real(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(module, "run_solver", spy)
    return seen


def visits(plan) -> dict:
    return {
        visit.task_id: (route.engineer_id, visit) for route in plan.routes for visit in route.visits
    }


def check_rules(problem, plan) -> None:
    """An independent look at a plan: windows, shifts, no task twice, who may do what."""
    tasks = {t.id: t for t in problem.tasks}
    engineers = {e.id: e for e in problem.engineers}
    seen = set()
    for route in plan.routes:
        person = engineers[route.engineer_id]
        for visit in route.visits:
            assert visit.task_id not in seen
            seen.add(visit.task_id)
            job = tasks[visit.task_id]
            assert refusal(person, job) is None
            low, high = job.start_bounds()
            assert low is None or visit.start >= low
            assert high is None or visit.start <= high
            assert person.shift_start <= visit.start and visit.end <= person.shift_end
        if route.visits:
            assert route.back_at <= person.shift_end


def test_refusals_name_the_rule():
    ann = engineer(1, skills={"hvac": 2}, groups=frozenset({7}), resource_type="technician")
    assert refusal(ann, task(1, HQ, level=2)) is None
    assert refusal(ann, task(1, HQ, level=3)) == "needs skill hvac at level 3"
    assert refusal(ann, task(1, HQ, skill="lift")) == "needs skill lift at level 1"
    assert refusal(ann, task(1, HQ, service_group=8)) == "not in the task's service group"
    assert refusal(ann, task(1, HQ, excluded=frozenset({1}))) == "excluded"
    assert refusal(ann, task(1, HQ, required=2)) == "another engineer is required"
    assert refusal(ann, task(1, HQ, resource_type="crew")) == "needs a crew"
    assert refusal(ann, task(1, HQ, min_efficiency=1.5)) == "needs efficiency 1.5 or more"
    assert refusal(ann, task(1, HQ, pinned_to=2)) == "kept on another engineer"
    assert refusal(ann, task(1, HQ, skill="lift", pinned_to=1)) is None  # committed stays


def test_tasks_go_to_qualified_engineers_and_nearby_work_to_whoever_is_near(problem):
    ann = engineer(1, home=HQ, skills={"hvac": 3})
    bob = engineer(2, home=north(20), skills={"hvac": 3, "lift": 2})
    tasks = [task(10 + k, north(-0.5 * k)) for k in range(1, 4)]  # near Ann, south of her
    tasks += [task(20 + k, north(20 + 0.5 * k)) for k in range(1, 3)]  # near Bob
    lift = task(30, north(1), skill="lift", level=2)  # near Ann, but only Bob can
    day = problem([ann, bob], [*tasks, lift])
    plan = optimize(day, SECONDS)
    placed = visits(plan)
    assert {placed[t][0] for t in (11, 12, 13)} == {1}
    assert {placed[t][0] for t in (21, 22)} == {2}
    assert placed[30][0] == 2
    check_rules(day, plan)
    assert plan.totals()["tasks_placed"] == 6


def test_windows_are_kept_and_the_engineer_leaves_late_rather_than_waits(problem):
    ann = engineer(1)
    late = task(1, north(5), window_start=at(4), window_end=at(5))
    early = task(2, north(5.5), window_start=at(0), window_end=at(1))
    day = problem([ann], [late, early])
    plan = optimize(day, SECONDS)
    [route] = plan.routes
    assert [v.task_id for v in route.visits] == [2, 1]
    first = route.visits[0]
    assert first.start >= at(0) and first.wait_s == 0
    assert route.visits[1].start >= at(4)
    check_rules(day, plan)


def test_efficiency_scales_the_time_on_site(problem):
    quick = engineer(1, efficiency=2.0)
    slow = engineer(2, home=north(30), efficiency=0.5, skill_efficiency={"hvac": 1.0})
    day = problem([quick, slow], [task(1, north(1), minutes=60)])
    [(_, visit)] = visits(optimize(day, SECONDS)).values()
    assert (visit.end - visit.start).total_seconds() == 30 * 60
    assert slow.duration_seconds(day.tasks[0]) == 120 * 60
    skilled = engineer(3, skill_efficiency={"hvac": 1.5})
    assert skilled.duration_seconds(task(2, HQ, minutes=90)) == 60 * 60


def test_a_due_time_is_met_when_possible_and_missed_rather_than_dropped(problem):
    ann = engineer(1)
    on_time = task(1, north(2), due_at=at(2))
    hopeless = task(2, north(3), due_at=START)  # due before the day starts
    plan = optimize(problem([ann], [on_time, hopeless]), SECONDS)
    placed = visits(plan)
    assert placed[1][1].end <= at(2) and placed[1][1].late_s == 0
    assert placed[2][1].late_s > 0  # late, but done
    assert plan.totals()["late_tasks"] == 1 and plan.totals()["lateness_minutes"] > 0


def test_the_preferred_engineer_gets_the_task_for_a_small_detour(problem):
    ann, bob = engineer(1), engineer(2, home=north(2))
    near_ann = task(1, north(0.5), preferred=2)  # Bob drives 3 km instead of Ann's 1 km
    plan = optimize(problem([ann, bob], [near_ann]), SECONDS)
    assert visits(plan)[1][0] == 2
    unknown = task(2, north(0.5), preferred=3)
    assert visits(optimize(problem([ann, bob], [unknown]), SECONDS))[2][0] == 1
    too_far = task(3, north(0.5), preferred=4)  # 20 km more: more than the bonus is worth
    carl = engineer(4, home=north(-10))
    assert visits(optimize(problem([ann, carl], [too_far]), SECONDS))[3][0] == 1


def test_limits_on_tasks_and_hours_hold(problem):
    ann = engineer(1, max_tasks=2)
    bob = engineer(2, max_hours=2.5)
    tasks = [task(k, north(0.2 * k)) for k in range(1, 7)]
    day = problem([ann, bob], tasks)
    plan = optimize(day, SECONDS)
    routes = {route.engineer_id: route for route in plan.routes}
    assert len(routes[1].visits) <= 2
    bob_route = routes[2]
    assert (bob_route.back_at - bob_route.leave_at).total_seconds() <= 2.5 * 3600
    assert len(bob_route.visits) == 2
    assert plan.totals()["tasks_unplaced"] == 2
    check_rules(day, plan)


def test_committed_work_keeps_its_engineer_and_time(problem):
    ann, bob = engineer(1), engineer(2, home=north(10))
    kept = task(1, north(10), pinned_to=1, pinned_start=at(3))  # near Bob, but Ann's
    day = problem([ann, bob], [kept, task(2, north(0.5))])
    placed = visits(optimize(day, SECONDS))
    assert placed[1][0] == 1 and placed[1][1].start == at(3) and placed[1][1].pinned


def test_a_full_day_drops_low_priority_work_first_and_says_why(problem):
    ann = engineer(1, hours=4)
    urgent = [task(k, north(8 + k), minutes=50, priority="urgent") for k in range(1, 3)]
    low = [task(10 + k, north(0.3 * k), minutes=50, priority="low") for k in range(1, 4)]
    outside = task(20, north(1), window_start=at(6), window_end=at(7))
    unskilled = task(21, north(1), skill="lift")
    nowhere = task(22, None)
    plan = optimize(problem([ann], [*urgent, *low, outside, unskilled, nowhere]), SECONDS)
    placed = visits(plan)
    assert {1, 2} <= set(placed)
    reasons = dict(plan.unplaced)
    dropped_low = [t.id for t in low if t.id not in placed]
    assert dropped_low and all("no room left" in reasons[t] for t in dropped_low)
    assert reasons[20] == "its time window is outside the day's working hours"
    assert reasons[21] == "no qualified engineer: needs skill lift at level 1"
    assert reasons[22] == "the task has no location"
    totals = plan.totals()
    assert (
        totals["placed_by_priority"]["urgent"] == 2
        and totals["unplaced_by_priority"]["urgent"] == 0
    )


def busy_day(problem):
    tasks = [task(k, north(0.3 * k, 0.2 * (k % 5))) for k in range(1, 30)]
    return problem([engineer(1), engineer(2, home=north(3))], tasks)


def test_progress_is_reported_on_the_way_to_the_budget(problem, monkeypatch, searches):
    from packs.field_service.dispatch import solver

    monkeypatch.setattr(solver, "PROGRESS_EVERY_SECONDS", 64 * TICK)  # every 64 readings
    reports = []
    day = busy_day(problem)
    plan = optimize(day, 0.6, on_progress=reports.append)
    # a reading per stop check, counted for each search (with balance: two, one budget)
    assert len(reports) == sum((search.num_iterations + 1) // 64 for search in searches)
    fractions = [r.fraction for r in reports]
    assert fractions == sorted(fractions) and all(0 < f <= 1 for f in fractions)
    assert reports[-1].best_cost is not None
    check_rules(day, plan)


def test_a_cancelled_solve_stops_at_once_and_keeps_the_best_plan_so_far(
    problem, solver_clock, searches
):
    """Cancelling (``should_stop`` saying yes) ends the search at the next iteration. The
    clock stands still, so nothing else could end it: the budget would never run out."""
    solver_clock.step = 0.0
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return len(asked) >= 20

    day = busy_day(problem)
    plan = returns(lambda: optimize(day, 30, should_stop=should_stop))
    assert len(asked) == 20  # not asked again once it said yes: the search had stopped
    [search] = searches
    assert search.num_iterations == 19  # one iteration per "no", none after the "yes"
    check_rules(day, plan)  # the best plan found so far, kept to every rule
    assert plan.totals()["tasks_placed"] > 0


def test_a_solve_that_is_not_cancelled_runs_to_its_budget(problem, searches):
    asked = []

    def should_stop() -> bool:
        asked.append(True)
        return False

    optimize(busy_day(problem), 0.3, should_stop=should_stop)
    # asked before each iteration and once more when each search's budget ran out (with
    # balance there are two searches), never "yes"
    iterations = sum(search.num_iterations for search in searches)
    assert iterations == len(asked) - len(searches) > 200


def test_an_empty_day_gives_an_empty_plan(problem):
    plan = optimize(problem([engineer(1)], []), SECONDS)
    assert plan.totals()["tasks_placed"] == 0 and plan.routes[0].visits == []
    no_one = optimize(problem([], [task(1, HQ)]), SECONDS)
    assert no_one.unplaced == [(1, "no engineer is working that day")]


@pytest.mark.parametrize("level, placed", [(1, 1), (3, 1), (4, 0)])
def test_skill_levels_are_minimums(problem, level, placed):
    ann = engineer(1, skills={"hvac": 3})
    plan = optimize(problem([ann], [task(1, HQ, level=level)]), SECONDS)
    assert plan.totals()["tasks_placed"] == placed


def test_a_crowded_day_with_many_refusals_finishes_within_its_budget(problem, searches):
    """Regression: with penalties able to overflow, PyVRP's search never returned: now it
    runs the iterations of its budget and stops."""
    import random

    rng = random.Random(3)
    skills = ["hvac", "lift", "fire", "net"]
    people = [
        engineer(k, home=north(rng.uniform(-9, 9), rng.uniform(-9, 9)), max_tasks=6,
                 skills={s: rng.randint(1, 5) for s in rng.sample(skills, 2)})
        for k in range(1, 9)
    ]  # fmt: skip
    tasks = [
        task(100 + k, north(rng.uniform(-9, 9), rng.uniform(-9, 9)), skill=rng.choice(skills),
             level=rng.randint(1, 3), priority=rng.choice(["low", "normal", "high", "urgent"]),
             due_at=at(rng.uniform(1, 8)) if k % 4 == 0 else None)
        for k in range(120)
    ]  # fmt: skip
    tasks.append(task(1, north(1), pinned_to=1, pinned_start=at(2)))
    plan = returns(lambda: optimize(problem(people, tasks), 1))
    iterations = sum(search.num_iterations for search in searches)
    assert 500 < iterations < 1024  # a 1 s budget, TICK per iteration
    assert plan.totals()["tasks_placed"] > 0


def test_a_due_time_counts_with_the_slowest_qualified_engineer(problem):
    slow = engineer(1, efficiency=0.8)  # on site, but needs 75 minutes
    fast = engineer(2, home=north(2))  # 2 km away, needs 60 minutes
    due = task(1, HQ, due_at=at(66 / 60))
    who, visit = visits(optimize(problem([slow, fast], [due]), SECONDS))[1]
    assert who == 2 and visit.late_s == 0


def test_what_still_fits_after_the_search_is_put_in():
    from packs.field_service.dispatch.repair import fill_gaps
    from packs.field_service.dispatch.schedule import time_route

    ann = engineer(1)
    kept = task(1, north(1), pinned_to=1, pinned_start=at(1))
    first = task(2, north(2))
    day_tasks = [
        kept,
        first,
        task(3, north(1.5), priority="low"),
        task(4, north(3), priority="high"),
    ]
    day = Problem([ann], day_tasks, HaversineTravel(36, 1.0))
    metres, seconds = day.travel.matrices([ann.start, kept.location, first.location, ann.end])
    legs = [(0, 1), (1, 2), (2, 3)]
    route = time_route(
        ann, [kept, first], [metres[a, b] for a, b in legs], [seconds[a, b] for a, b in legs]
    ).route
    routes = [route]
    added = fill_gaps(day, routes, [day_tasks[2], day_tasks[3]])
    assert added == {3, 4}
    [route] = routes
    order = [visit.task_id for visit in route.visits]
    assert order.index(1) < order.index(2) and set(order) == {1, 2, 3, 4}
    by_id = {visit.task_id: visit for visit in route.visits}
    assert by_id[1].pinned and not by_id[3].pinned and by_id[1].start == at(1)
    ends = [visit.end for visit in route.visits]
    starts = [visit.start for visit in route.visits]
    assert all(end <= nxt for end, nxt in zip(ends, starts[1:], strict=False))


def test_a_task_only_its_preferred_engineer_can_do_is_still_placed(problem):
    ann = engineer(1, skills={"lift": 2})
    bob = engineer(2)
    only_ann = task(1, north(1), skill="lift", preferred=1, due_at=at(3))
    placed = visits(optimize(problem([ann, bob], [only_ann]), SECONDS))
    assert placed[1][0] == 1

"""A field-service day: the dispatch optimiser against a greedy dispatcher, in the same run.

One generated day (``city_day``: 30 engineers, 300 tasks by default) is planned by the greedy
baseline (``greedy``: nearest qualified engineer, in priority order) and by the optimiser
(``optimize``, 10 s budget). Both plans are verified by an independent checker in this file
(times, windows, shifts, travel, eligibility, each task once, the totals) before they count.
A third run, "same work", gives the optimiser only the tasks greedy placed: the optimiser
places more of a full day than greedy and that extra work costs driving too, so this is the
like-for-like comparison of routes. Prints tasks placed per priority, travel, lateness and
seconds, the ratios, and whether the goals hold: every urgent task placed, at least 25% less
travel than greedy for the same work while placing at least as many tasks of every
priority on the whole day, at least 25% less travel per placed task, within budget.

The optimiser runs in a child process killed after ``--hard-limit`` seconds, so a solver
that never returns is reported instead of hanging the benchmark.

    .venv/bin/python -m benchmarks.dispatch.field_day
    .venv/bin/python -m benchmarks.dispatch.field_day --seconds 5 --engineers 10 --tasks 100
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.dispatch import city_day, greedy  # noqa: E402
from packs.field_service.dispatch import optimize  # noqa: E402
from packs.field_service.dispatch.model import PRIORITIES, Plan, Problem  # noqa: E402
from packs.field_service.dispatch.optimize import DEFAULT_BALANCE  # noqa: E402
from packs.field_service.dispatch.travel import HaversineTravel  # noqa: E402
from plinth.runtime.field_types.geo import EARTH_RADIUS_KM  # noqa: E402

GOAL_LESS_TRAVEL = 0.25
BUDGET_TOLERANCE = 0.10  # building the model and reading the plan back: 10% over budget
SLACK_S = 5  # rounding of travel seconds along a route (each leg is rounded to 1 s)
SAME_WORK = "same work"
ORDER = sorted(PRIORITIES, key=PRIORITIES.get, reverse=True)


# ---- the independent checker --------------------------------------------------------------
def check(problem: Problem, plan: Plan) -> list[str]:
    """Every broken rule of ``plan`` for ``problem`` ([] = feasible), recomputed from scratch:
    no optimiser code, own distances, durations, eligibility, breaks and totals."""
    travel = problem.travel
    if not isinstance(travel, HaversineTravel):
        return ["the checker knows straight-line travel only"]
    engineers = {e.id: e for e in problem.engineers}
    tasks = {t.id: t for t in problem.tasks}
    problems: list[str] = []
    seen: dict[int, int] = {}
    routed: set[int] = set()
    for route in plan.routes:
        engineer = engineers.get(route.engineer_id)
        if engineer is None or route.engineer_id in routed:
            problems.append(f"route of unknown or repeated engineer {route.engineer_id}")
            continue
        routed.add(route.engineer_id)
        for visit in route.visits:
            seen[visit.task_id] = seen.get(visit.task_id, 0) + 1
        if any(v.task_id not in tasks for v in route.visits):
            problems.append(f"engineer {engineer.id}: a visit to an unknown task")
            continue
        problems += [f"engineer {engineer.id}: {p}" for p in _route(engineer, route, tasks, travel)]
    unplaced = [task_id for task_id, _ in plan.unplaced]
    problems += [f"task {t} placed {n} times" for t, n in sorted(seen.items()) if n > 1]
    problems += [f"task {t} both placed and unplaced" for t in sorted(set(seen) & set(unplaced))]
    if len(unplaced) != len(set(unplaced)):
        problems.append("a task is listed as unplaced twice")
    missing = set(tasks) - set(seen) - set(unplaced)
    if missing:
        problems.append(f"{len(missing)} tasks neither placed nor unplaced: {sorted(missing)[:5]}")
    return problems + _totals(plan, tasks)


def _route(engineer, route, tasks, travel) -> list[str]:
    if not route.visits:
        return [] if route.travel_m == 0 else ["travel without visits"]
    problems = []
    places = [engineer.start, *(tasks[v.task_id].location for v in route.visits), engineer.end]
    legs = [_leg(a, b, travel) for a, b in zip(places, places[1:], strict=False)]
    if route.leave_at is None or route.leave_at < engineer.shift_start:
        problems.append(f"leaves at {route.leave_at}, before the shift starts")
    ready = route.leave_at or engineer.shift_start
    for visit, (metres, seconds) in zip(route.visits, legs, strict=False):
        task = tasks[visit.task_id]
        why = _may_not(engineer, task)
        if why:
            problems.append(f"task {task.id}: {why}")
        arrive = _plus(ready, seconds)
        if visit.start < _plus(arrive, -SLACK_S):
            problems.append(f"task {task.id}: starts at {visit.start}, arrives at {arrive}")
        problems += [f"task {task.id}: {p}" for p in _window(task, visit.start)]
        problems += [f"task {task.id}: {p}" for p in _breaks(engineer, task, visit)]
        if abs((visit.end - visit.start).total_seconds() - _duration(engineer, task)) > 1:
            problems.append(f"task {task.id}: lasts {visit.end - visit.start}")
        late = max(0, (visit.end - task.due_at).total_seconds()) if task.due_at else 0
        if abs(visit.late_s - late) > 1:
            problems.append(f"task {task.id}: late {visit.late_s} s, recomputed {late:.0f} s")
        if abs(visit.travel_m - metres) > 2:
            problems.append(f"task {task.id}: leg of {visit.travel_m} m, recomputed {metres} m")
        ready = visit.end
    back = _plus(ready, legs[-1][1])
    if back > _plus(engineer.shift_end, SLACK_S):
        problems.append(f"back at {back}, after the shift ends at {engineer.shift_end}")
    if abs(route.travel_m - sum(m for m, _ in legs)) > 2 * len(legs):
        problems.append(f"travel {route.travel_m} m, recomputed {sum(m for m, _ in legs)} m")
    if engineer.max_tasks is not None and len(route.visits) > engineer.max_tasks:
        problems.append(f"{len(route.visits)} tasks, at most {engineer.max_tasks}")
    worked = (back - route.leave_at).total_seconds() - _in_breaks(engineer, route.leave_at, back)
    if engineer.max_hours is not None and worked > engineer.max_hours * 3600:
        problems.append(f"works over {engineer.max_hours} hours")
    return problems


def _breaks(engineer, task, visit) -> list[str]:
    """A visit that may move must not overlap a break of the engineer's working hours."""
    if task.pinned_start is not None:
        return []
    return [
        f"overlaps the break {begins:%H:%M}-{ends:%H:%M} UTC"
        for begins, ends in engineer.breaks
        if visit.start < ends and visit.end > begins
    ]


def _in_breaks(engineer, start, end) -> float:
    return sum(
        max(0.0, (min(end, b1) - max(start, b0)).total_seconds()) for b0, b1 in engineer.breaks
    )


def _window(task, start) -> list[str]:
    if task.pinned_to is not None and task.pinned_start is not None:
        return [] if start == task.pinned_start else [f"moved from {task.pinned_start}"]
    problems = []
    for name in ("earliest_start", "window_start"):
        bound = getattr(task, name)
        if bound is not None and start < bound:
            problems.append(f"starts at {start}, before its {name} {bound}")
    for name in ("latest_start", "window_end"):
        bound = getattr(task, name)
        if bound is not None and start > bound:
            problems.append(f"starts at {start}, after its {name} {bound}")
    return problems


def _may_not(engineer, task) -> str | None:
    """Why ``engineer`` may not do ``task`` (the pack's rules, written out again)."""
    if task.pinned_to is not None and task.pinned_to != engineer.id:
        return "committed to another engineer"
    if task.required is not None and task.required != engineer.id:
        return "another engineer is required"
    if engineer.id in task.excluded:
        return "the engineer is excluded"
    missing = [n.code for n in task.required_skills if engineer.skills.get(n.code, 0) < n.level]
    if missing:
        return f"lacks {', '.join(missing)} at the level needed"
    if task.service_group is not None and task.service_group not in engineer.groups:
        return "outside the engineer's service groups"
    if task.resource_type and task.resource_type != engineer.resource_type:
        return "wrong resource type"
    if task.min_efficiency is not None and engineer.efficiency < task.min_efficiency:
        return "efficiency too low"
    return None


def _duration(engineer, task) -> float:
    """Seconds on site: minutes / (efficiency x mean skill efficiency, in 5% steps)."""
    factors = [engineer.skill_efficiency.get(n.code, 1.0) for n in task.required_skills] or [1.0]
    factor = max(0.1, round(engineer.efficiency * sum(factors) / len(factors) * 20) / 20)
    return max(60, round(task.duration_minutes * 60 / factor))


def _leg(a, b, travel: HaversineTravel) -> tuple[int, int]:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    metres = 2 * EARTH_RADIUS_KM * 1000 * math.asin(min(1.0, math.sqrt(h))) * travel.detour_factor
    return round(metres), round(metres / (travel.speed_kmh / 3.6))


def _plus(instant, seconds):
    return instant + dt.timedelta(seconds=seconds)


def _totals(plan: Plan, tasks) -> list[str]:
    visits = [v for r in plan.routes for v in r.visits]
    totals = plan.totals()
    problems = []
    km = sum(r.travel_m for r in plan.routes) / 1000
    if abs(totals["travel_km"] - km) > 0.01:
        problems.append(f"totals say {totals['travel_km']} km, the routes {km:.2f} km")
    late = sum(v.late_s for v in visits) / 60
    if abs(totals["lateness_minutes"] - late) > 0.1:
        problems.append(f"totals say {totals['lateness_minutes']} late minutes, routes {late:.1f}")
    for name in ORDER:
        placed = sum(1 for v in visits if tasks[v.task_id].priority == name)
        if totals["placed_by_priority"][name] != placed:
            problems.append(f"totals say {totals['placed_by_priority'][name]} {name} placed")
    return problems


# ---- running both ---------------------------------------------------------------------------
def _optimise(conn, args, only: frozenset[int] | None) -> None:
    """Child process: generate the same day (only the tasks ``only`` names, when given),
    optimise it, send (plan, seconds) or an error."""
    try:
        problem = _day(args, only)
        started = time.perf_counter()
        plan = optimize(problem, args.seconds, balance=args.balance)
        conn.send(("plan", plan, time.perf_counter() - started))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0.0))
    finally:
        conn.close()


def _day(args, only: frozenset[int] | None = None) -> Problem:
    problem = city_day.generate(args.engineers, args.tasks, args.seed)
    if only is not None:
        problem.tasks = [task for task in problem.tasks if task.id in only]
    return problem


def run_optimiser(args, only=None) -> tuple[Plan | None, float, str | None]:
    """(plan, seconds, why there is none) from a child process with a hard time limit."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_optimise, args=(send, args, only), daemon=True)
    started = time.perf_counter()
    child.start()
    send.close()
    answer = receive.recv() if receive.poll(args.hard_limit) else None
    if answer is None:
        child.kill()
        child.join()
        waited = time.perf_counter() - started
        return None, waited, f"no answer within the hard limit of {args.hard_limit:g} s (killed)"
    child.join()
    kind, payload, seconds = answer
    return (payload, seconds, None) if kind == "plan" else (None, seconds, payload)


# ---- the report -----------------------------------------------------------------------------
def _column(plan: Plan | None, seconds: float, problem: Problem) -> dict[str, str]:
    if plan is None:
        return {"seconds": f"{seconds:.2f}"}
    totals = plan.totals()
    counts = {p: sum(1 for t in problem.tasks if t.priority == p) for p in ORDER}
    placed = totals["tasks_placed"]
    per_task = totals["travel_km"] / placed if placed else float("nan")
    cells = {
        "tasks placed": str(placed),
        **{f"  {p}": f"{totals['placed_by_priority'][p]}/{counts[p]}" for p in ORDER},
        "tasks unplaced": str(totals["tasks_unplaced"]),
        "travel km": f"{totals['travel_km']:.1f}",
        "travel km per placed task": f"{per_task:.2f}",
        "lateness minutes": f"{totals['lateness_minutes']:.1f}",
        "late tasks": str(totals["late_tasks"]),
        "engineers used": str(totals["engineers_used"]),
        "seconds": f"{seconds:.2f}",
    }
    return cells


ROWS = [
    "tasks placed",
    *(f"  {p}" for p in ORDER),
    "tasks unplaced",
    "travel km",
    "travel km per placed task",
    "lateness minutes",
    "late tasks",
    "engineers used",
    "seconds",
]


def report(problem, args, runs: dict, verdicts: dict) -> bool:
    """Print the table, ratios and goals; True when every goal holds."""
    print(
        f"\n## Field-service day: {args.engineers} engineers, {args.tasks} tasks, seed "
        f"{args.seed}; optimiser budget {args.seconds:g} s, balance {args.balance}\n"
    )
    print(city_day.describe(problem) + "\n")
    columns = {name: _column(plan, seconds, problem) for name, (plan, seconds, _) in runs.items()}
    print(f"{'':28} " + " ".join(f"{name:>10}" for name in runs))
    for row in ROWS:
        print(f"{row:28} " + " ".join(f"{columns[name].get(row, '-'):>10}" for name in runs))
    print(f"\n{SAME_WORK}: the optimiser given only the tasks greedy placed (like for like)")
    for name, (_plan, _seconds, why) in runs.items():
        if why:
            print(f"\n{name}: NO PLAN: {why}")
    print()
    for name, problems in verdicts.items():
        state = "feasible" if not problems else f"INFEASIBLE ({len(problems)} problems)"
        print(f"checker, {name}: {state}")
        for line in problems[:20]:
            print(f"  {line}")
    return _goals(problem, args, runs)


def _goals(problem, args, runs) -> bool:
    greedy_plan, _, _ = runs["greedy"]
    plan, seconds, _ = runs["optimiser"]
    same, same_seconds, _ = runs[SAME_WORK]
    urgent = sum(1 for t in problem.tasks if t.priority == "urgent")
    budget = args.seconds * (1 + BUDGET_TOLERANCE)
    if plan is None or same is None:
        print("\ngoals: NOT met (the optimiser gave no plan)")
        return False
    mine, theirs, like = plan.totals(), greedy_plan.totals(), same.totals()
    ratio = _ratio(mine["travel_km"], theirs["travel_km"])
    per_task = _ratio(
        mine["travel_km"] / max(1, mine["tasks_placed"]),
        theirs["travel_km"] / max(1, theirs["tasks_placed"]),
    )
    like_ratio = _ratio(like["travel_km"], theirs["travel_km"])
    placed_more = mine["tasks_placed"] - theirs["tasks_placed"]
    print(f"\noptimiser / greedy, travel km, whole day:       {ratio:.3f}")
    print(f"optimiser / greedy, travel km per placed task:  {per_task:.3f}")
    print(f"optimiser - greedy, tasks placed:               {placed_more:+d}")
    print(f"{SAME_WORK} / greedy, travel km:                 {like_ratio:.3f}")
    at_least = all(mine["placed_by_priority"][p] >= theirs["placed_by_priority"][p] for p in ORDER)
    goals = [
        ("all urgent tasks placed", mine["placed_by_priority"]["urgent"] == urgent,
         f"{mine['placed_by_priority']['urgent']}/{urgent}"),
        ("as many tasks of every priority as greedy", at_least, f"{placed_more:+d} in all"),
        (f">= {GOAL_LESS_TRAVEL:.0%} less travel than greedy, same work",
         like_ratio <= 1 - GOAL_LESS_TRAVEL,
         f"{1 - like_ratio:.1%} less; {like['tasks_placed']} of greedy's "
         f"{theirs['tasks_placed']} tasks"),
        (f">= {GOAL_LESS_TRAVEL:.0%} less travel per placed task, whole day",
         per_task <= 1 - GOAL_LESS_TRAVEL, f"{1 - per_task:.1%} less"),
        (f"within the {args.seconds:g} s budget (+{BUDGET_TOLERANCE:.0%})",
         max(seconds, same_seconds) <= budget, f"{seconds:.1f} s and {same_seconds:.1f} s"),
    ]  # fmt: skip
    print("\ngoals:")
    for label, held, detail in goals:
        print(f"  {label:50} {'met' if held else 'NOT met':>8}  ({detail})")
    print(
        f"  (whole day, for information: {1 - ratio:.1%} less travel than greedy while "
        f"placing {placed_more:+d} tasks)"
    )
    return all(held for _, held, _ in goals)


def _ratio(mine: float, theirs: float) -> float:
    return mine / theirs if theirs else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engineers", type=int, default=30)
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0, help="optimiser budget")
    parser.add_argument(
        "--hard-limit", type=float, default=120.0, help="kill the optimiser after this"
    )
    parser.add_argument(
        "--balance", type=int, default=DEFAULT_BALANCE, help="0 least driving - 100 balanced"
    )
    args = parser.parse_args()
    problem = city_day.generate(args.engineers, args.tasks, args.seed)
    started = time.perf_counter()
    greedy_plan = greedy.plan(problem)
    runs = {"greedy": (greedy_plan, time.perf_counter() - started, None)}
    runs["optimiser"] = run_optimiser(args)
    placed = frozenset(v.task_id for route in greedy_plan.routes for v in route.visits)
    runs[SAME_WORK] = run_optimiser(args, placed)
    days = {SAME_WORK: _day(args, placed)}
    verdicts = {
        name: check(days.get(name, problem), plan) for name, (plan, _, _) in runs.items() if plan
    }
    met = report(problem, args, runs, verdicts)
    infeasible = [name for name, problems in verdicts.items() if problems]
    if infeasible:
        print(f"\nFAILED: the checker rejects the {' and '.join(infeasible)} plan", file=sys.stderr)
        return 1
    if runs["optimiser"][0] is None or runs[SAME_WORK][0] is None:
        print("\nFAILED: the optimiser gave no plan", file=sys.stderr)
        return 1
    print(f"\nall goals {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

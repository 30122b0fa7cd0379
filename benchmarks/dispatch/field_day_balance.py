"""Workload balance against least driving, measured in the same run (issue 20).

Each day is optimised at balance 0 (least driving: the baseline), at the default (50) and
at 100, each in a child process with a hard time limit, and every plan is verified by the
independent checker of ``field_day``. The days:

- ``team``: ``city_day.team_day``, six engineers who may all do every task and 42 short
  visits in one district: the issue's day, on which least driving leaves engineers idle
  while others work far more than the average;
- ``light``: ``city_day.generate`` with 30 engineers and 150 tasks, half a day's work with
  the demo city's groups and skills;
- ``full``: 30 engineers and 300 tasks, more work than hours.

Prints, per day and weight: tasks placed, travel km and its ratio to the baseline, work
hours per engineer (on site and driving: the average and the most), idle engineers, and
"overloaded beside idle": engineers over 1.5 times the average load while an idle engineer
may do one of their tasks. The goals, at the default weight on each day: nobody
overloaded beside idle, travel within 10% of the baseline, every urgent and high task
placed that the baseline placed, and as many tasks in all within 2% (the noise of a
real-time budget on a full day).

    .venv/bin/python -m benchmarks.dispatch.field_day_balance
    .venv/bin/python -m benchmarks.dispatch.field_day_balance --seconds 5 --days team,light
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.dispatch import city_day  # noqa: E402
from benchmarks.dispatch.field_day import check  # noqa: E402
from packs.field_service.dispatch import optimize  # noqa: E402
from packs.field_service.dispatch.eligibility import refusal  # noqa: E402
from packs.field_service.dispatch.model import Plan, Problem  # noqa: E402
from packs.field_service.dispatch.optimize import DEFAULT_BALANCE  # noqa: E402

DAYS = {
    "team": lambda seed: city_day.team_day(6, 42, seed),
    "light": lambda seed: city_day.generate(30, 150, seed),
    "full": lambda seed: city_day.generate(30, 300, seed),
}
WEIGHTS = (0, DEFAULT_BALANCE, 100)
OVERLOAD = 1.5  # times the average load
MAX_MORE_TRAVEL = 0.10
KEPT = ("urgent", "high")
# Two real-time solves of a full day differ by a few tasks (how many iterations a busy
# machine allows): the count is compared with this tolerance, the urgent and high exactly.
PLACED_NOISE = 0.02


def overloaded_beside_idle(problem: Problem, plan: Plan) -> int:
    """Engineers over ``OVERLOAD`` times the average load (on site and driving) while an
    idle engineer may do one of their tasks."""
    tasks = {t.id: t for t in problem.tasks}
    engineers = {e.id: e for e in problem.engineers}
    loads = {route.engineer_id: route.work_s for route in plan.routes}
    average = sum(loads.values()) / max(1, len(loads))
    idle = [engineers[route.engineer_id] for route in plan.routes if not route.visits]
    return sum(
        1
        for route in plan.routes
        if loads[route.engineer_id] > OVERLOAD * average
        and any(refusal(e, tasks[v.task_id]) is None for e in idle for v in route.visits)
    )


# ---- running ----------------------------------------------------------------------------------
def _solve(conn, day: str, seed: int, seconds: float, balance: int) -> None:
    """Child process: generate the day, optimise it, send (plan, seconds) or an error."""
    try:
        problem = DAYS[day](seed)
        started = time.perf_counter()
        plan = optimize(problem, seconds, balance=balance)
        conn.send(("plan", plan, time.perf_counter() - started))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0.0))
    finally:
        conn.close()


def run(day: str, args, balance: int) -> tuple[Plan | None, float, str | None]:
    """(plan, seconds, why there is none) from a child process with a hard time limit."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(
        target=_solve, args=(send, day, args.seed, args.seconds, balance), daemon=True
    )
    child.start()
    send.close()
    answer = receive.recv() if receive.poll(args.hard_limit) else None
    if answer is None:
        child.kill()
        child.join()
        return None, args.hard_limit, f"no answer within {args.hard_limit:g} s (killed)"
    child.join()
    kind, payload, seconds = answer
    return (payload, seconds, None) if kind == "plan" else (None, seconds, payload)


# ---- the report -----------------------------------------------------------------------------
def _row(problem: Problem, plan: Plan, seconds: float, baseline: Plan) -> dict[str, str]:
    totals, base = plan.totals(), baseline.totals()
    ratio = totals["travel_km"] / base["travel_km"] if base["travel_km"] else float("nan")
    return {
        "placed": str(totals["tasks_placed"]),
        "travel km": f"{totals['travel_km']:.1f}",
        "/ baseline": f"{ratio:.3f}",
        "work h avg": f"{totals['work_hours_average']:.2f}",
        "work h most": f"{totals['work_hours_most']:.2f}",
        "idle": str(totals["engineers_idle"]),
        "overloaded beside idle": str(overloaded_beside_idle(problem, plan)),
        "seconds": f"{seconds:.1f}",
    }


COLUMNS = [
    "placed",
    "travel km",
    "/ baseline",
    "work h avg",
    "work h most",
    "idle",
    "overloaded beside idle",
    "seconds",
]


def report_day(day: str, args, runs: dict[int, tuple]) -> tuple[bool, list[str]]:
    """Print one day's table; (goals met at the default weight, checker problems)."""
    problem = DAYS[day](args.seed)
    print(f"\n### {day}: {city_day.describe(problem).splitlines()[0]}\n")
    print(f"{'balance':>8} " + " ".join(f"{c:>{max(8, len(c))}}" for c in COLUMNS))
    baseline = runs[0][0]
    problems: list[str] = []
    for weight, (plan, seconds, why) in runs.items():
        if plan is None or baseline is None:
            print(f"{weight:>8} NO PLAN: {why}")
            continue
        problems += [f"{day}, balance {weight}: {p}" for p in check(problem, plan)]
        row = _row(problem, plan, seconds, baseline)
        print(f"{weight:>8} " + " ".join(f"{row[c]:>{max(8, len(c))}}" for c in COLUMNS))
    return _goals(problem, runs), problems


def _goals(problem: Problem, runs: dict[int, tuple]) -> bool:
    baseline, chosen = runs[0][0], runs[DEFAULT_BALANCE][0]
    if baseline is None or chosen is None:
        print("goals: NOT met (no plan)")
        return False
    base, mine = baseline.totals(), chosen.totals()
    ratio = mine["travel_km"] / base["travel_km"] if base["travel_km"] else float("nan")
    goals = [
        ("nobody overloaded beside an idle engineer", overloaded_beside_idle(problem, chosen) == 0,
         f"{overloaded_beside_idle(problem, baseline)} at balance 0"),
        (f"travel within {MAX_MORE_TRAVEL:.0%} of least driving", ratio <= 1 + MAX_MORE_TRAVEL,
         f"{ratio - 1:+.1%}"),
        ("every urgent and high task placed that was",
         all(mine["placed_by_priority"][p] >= base["placed_by_priority"][p] for p in KEPT),
         ", ".join(f"{p} {mine['placed_by_priority'][p]}/{base['placed_by_priority'][p]}"
                   for p in KEPT)),
        (f"tasks placed within {PLACED_NOISE:.0%} of it",
         mine["tasks_placed"] >= (1 - PLACED_NOISE) * base["tasks_placed"],
         f"{mine['tasks_placed'] - base['tasks_placed']:+d}"),
    ]  # fmt: skip
    print(f"\ngoals at balance {DEFAULT_BALANCE}:")
    for label, held, detail in goals:
        print(f"  {label:45} {'met' if held else 'NOT met':>8}  ({detail})")
    return all(held for _, held, _ in goals)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", default=",".join(DAYS), help="of " + ", ".join(DAYS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0, help="optimiser budget")
    parser.add_argument("--hard-limit", type=float, default=120.0)
    args = parser.parse_args()
    days = [d for d in args.days.split(",") if d]
    unknown = [d for d in days if d not in DAYS]
    if unknown:
        parser.error(f"unknown days: {', '.join(unknown)}")
    print(f"## Workload balance against least driving: budget {args.seconds:g} s, seed {args.seed}")
    met, problems = {}, []
    for day in days:
        runs = {weight: run(day, args, weight) for weight in WEIGHTS}
        met[day], found = report_day(day, args, runs)
        problems += found
    print()
    for line in problems[:20]:
        print(f"checker: {line}")
    if problems:
        print(f"\nFAILED: the checker rejects {len(problems)} things", file=sys.stderr)
        return 1
    print("goals: " + ", ".join(f"{d} {'met' if held else 'NOT met'}" for d, held in met.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

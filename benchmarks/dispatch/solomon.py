"""Solomon VRPTW: the dispatch optimiser (PyVRP) against the best-known solutions and OR-Tools.

Every instance is solved by the product (``solve_vrptw``, the code path of
``plinth dispatch vrptw``) and by the best alternative measured, OR-Tools routing with guided
local search, with the same budget each, on one core each: the two run side by side in two
worker processes (the machine has 2 cores), or one after the other with ``--jobs 1``. Every
solution is verified by ``check_vrptw`` (an independent checker) before it counts. Distances
follow the DIMACS convention of the best-known solutions (``bks.csv``, DIMACS rows).

    .venv/bin/python -m benchmarks.dispatch.solomon                 # all 56, 10 s each (~10 min)
    .venv/bin/python -m benchmarks.dispatch.solomon --instances C101,R201 --seconds 2 --jobs 1

The instances are read from ``../shared/benchmarks/solomon`` (next to the repository), or
from ``$PLINTH_BENCHMARK_DATA/solomon``, or from ``--dir``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.dispatch import check_vrptw, ortools_vrptw  # noqa: E402

REPOSITORY = Path(__file__).resolve().parents[2]
DATA_ENV = "PLINTH_BENCHMARK_DATA"


def benchmark_data() -> Path:
    """The shared benchmark data: ``$PLINTH_BENCHMARK_DATA`` if set, else the folder
    ``shared/benchmarks`` next to the repository (``../shared/benchmarks`` from its root).

    A clean clone made elsewhere (CI clones into a scratch folder) looks next to the
    repository it was cloned from when that is a local folder."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV])
    beside = REPOSITORY.parent / "shared" / "benchmarks"
    if beside.exists():
        return beside
    origin = _local_origin()
    if origin is not None and (origin.parent / "shared" / "benchmarks").exists():
        return origin.parent / "shared" / "benchmarks"
    return beside


def _local_origin() -> Path | None:
    """The folder this clone was cloned from, when its ``origin`` is a local path."""
    try:
        url = subprocess.run(
            ["git", "-C", str(REPOSITORY), "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    url = url.removeprefix("file://")
    if not url or "://" in url or ":" in url.split("/")[0]:
        return None
    path = Path(url).resolve()
    return path if path.is_dir() else None


def solomon_dir() -> Path:
    """The 56 Solomon instances (``*.vrp``), their best-known solutions (``*.sol``) and
    ``bks.csv``."""
    return benchmark_data() / "solomon"


SOLOMON = solomon_dir()
SOLVERS = ("pyvrp", "ortools")
GOAL_AVERAGE, GOAL_MAX = 0.5, 2.0  # % over BKS


def best_known(directory: Path) -> dict[str, float]:
    """The DIMACS best-known distance of every instance."""
    with open(directory / "bks.csv", newline="") as fh:
        rows = csv.DictReader(fh)
        return {
            r["instance"]: float(r["distance"])
            for r in rows
            if r["convention"] == "dimacs_distance_only"
        }


def run(solver: str, path: Path, seconds: float, seed: int, strategy: str) -> dict:
    """One solve in this process: the result (or None) and the seconds it took."""
    started = time.perf_counter()
    if solver == "pyvrp":
        from packs.field_service.dispatch.vrplib import NoFeasibleSolution, solve_vrptw

        try:
            result = solve_vrptw(path, seconds, seed=seed)
        except NoFeasibleSolution:
            result = None
    else:
        result = ortools_vrptw.solve(path, seconds, strategy=strategy)
    return {"result": result, "seconds": time.perf_counter() - started}


def _pin(cores: multiprocessing.Queue) -> None:
    """Worker initialiser: one core per worker process."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cores.get()})


def solve_all(tasks: list[tuple[str, Path]], args) -> dict[tuple[str, str], dict]:
    """Run every (solver, instance) task, ``args.jobs`` at a time, reporting on stderr."""
    outcomes: dict[tuple[str, str], dict] = {}

    def note(solver: str, path: Path, outcome: dict) -> None:
        outcomes[solver, path.stem] = outcome
        result = outcome["result"]
        found = f"{result['distance']:.1f}" if result else "no solution"
        done = f"[{len(outcomes)}/{len(tasks)}]"
        print(f"{done} {path.stem} {solver}: {found} ({outcome['seconds']:.1f} s)", file=sys.stderr)

    extra = (args.seconds, args.seed, args.strategy)
    if args.jobs == 1:
        for solver, path in tasks:
            note(solver, path, run(solver, path, *extra))
        return outcomes
    cores = multiprocessing.Queue()
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = len(available) >= args.jobs
    for core in available[: args.jobs]:
        cores.put(core)
    with concurrent.futures.ProcessPoolExecutor(
        args.jobs, initializer=_pin if pin else None, initargs=(cores,) if pin else ()
    ) as pool:
        futures = {pool.submit(run, s, p, *extra): (s, p) for s, p in tasks}
        for future in concurrent.futures.as_completed(futures):
            note(*futures[future], future.result())
    return outcomes


def evaluate(path: Path, bks: float, outcome: dict) -> dict:
    """Distance, routes, gap to BKS and the checker's verdict of one outcome."""
    result = outcome["result"]
    if result is None:
        return {"distance": None, "routes": None, "gap": None, "ok": False, "why": "no solution"}
    problems = check_vrptw.check(path, result["routes"], result["distance"])
    return {
        "distance": result["distance"],
        "routes": len(result["routes"]),
        "gap": 100 * (result["distance"] - bks) / bks,
        "ok": not problems,
        "why": "; ".join(problems[:3]),
        "seconds": outcome["seconds"],
    }


def _cell(row: dict) -> str:
    if row["distance"] is None:
        return f"{'-':>9} {'-':>6} {'-':>6} {'NO':>4}"
    ok = "yes" if row["ok"] else "NO"
    return f"{row['distance']:9.1f} {row['routes']:6d} {row['gap']:6.2f} {ok:>4}"


def report(rows: list[dict], args) -> None:
    print(
        f"\n## Solomon VRPTW: {len(rows)} instances, {args.seconds:g} s per instance and solver, "
        f"one core each ({args.jobs} worker{'s' if args.jobs > 1 else ''})"
    )
    print(f"OR-Tools: {args.strategy} + GUIDED_LOCAL_SEARCH; PyVRP seed {args.seed}\n")
    print(f"{'':8} {'':>8} | {'PyVRP (product)':^28} | {'OR-Tools':^28}")
    head = f"{'dist':>9} {'routes':>6} {'gap %':>6} {'ok':>4}"
    print(f"{'instance':8} {'BKS':>8} | {head} | {head}")
    for row in rows:
        cells = " | ".join(_cell(row[solver]) for solver in SOLVERS)
        print(f"{row['name']:8} {row['bks']:8.1f} | {cells}")
    for row in rows:
        for solver in SOLVERS:
            if row[solver]["why"] and row[solver]["distance"] is not None:
                print(f"{row['name']} {solver} INFEASIBLE: {row[solver]['why']}")
    print()
    summary = {solver: _summary(rows, solver) for solver in SOLVERS}
    print(f"{'':34} {'PyVRP':>10} {'OR-Tools':>10}")
    for label, key, fmt in (
        ("average gap % (feasible ones)", "average", "{:10.2f}"),
        ("max gap %", "max", "{:10.2f}"),
        ("instances over 2%", "over", "{:10d}"),
        ("infeasible or no solution", "failed", "{:10d}"),
        ("average distance (both feasible)", "distance", "{:10.1f}"),
        ("average seconds per solve", "seconds", "{:10.1f}"),
    ):
        cells = [
            fmt.format(s[key]) if s[key] is not None else f"{'-':>10}" for s in summary.values()
        ]
        print(f"{label:34} {' '.join(cells)}")
    pyvrp, ortools = summary["pyvrp"], summary["ortools"]
    if pyvrp["distance"] and ortools["distance"]:
        ratio = pyvrp["distance"] / ortools["distance"]
        print(f"\nPyVRP / OR-Tools, average distance (instances both solved): {ratio:.4f}")
    if pyvrp["average"] and ortools["average"] is not None:
        times = ortools["average"] / pyvrp["average"]
        print(f"OR-Tools average gap / PyVRP average gap: {times:.1f}x")
    met = (
        pyvrp["failed"] == 0
        and pyvrp["average"] is not None
        and pyvrp["average"] <= GOAL_AVERAGE
        and pyvrp["over"] == 0
    )
    goal = f"average <= {GOAL_AVERAGE}%, none over {GOAL_MAX}%, all verified feasible"
    print(f"goal ({goal}): {'met' if met else 'NOT met'}")


def _summary(rows: list[dict], solver: str) -> dict:
    feasible = [row[solver] for row in rows if row[solver]["ok"]]
    gaps = [r["gap"] for r in feasible]
    both = [row for row in rows if row["pyvrp"]["ok"] and row["ortools"]["ok"]]
    return {
        "average": statistics.fmean(gaps) if gaps else None,
        "max": max(gaps) if gaps else None,
        "over": sum(gap > GOAL_MAX for gap in gaps),
        "failed": len(rows) - len(feasible),
        "distance": statistics.fmean(row[solver]["distance"] for row in both) if both else None,
        "seconds": statistics.fmean(r["seconds"] for r in feasible) if feasible else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", help="comma-separated names, e.g. C101,R201 (default all)")
    parser.add_argument("--seconds", type=float, default=10.0, help="budget per solve")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, one core each")
    parser.add_argument("--seed", type=int, default=1, help="PyVRP seed")
    parser.add_argument(
        "--strategy", default=ortools_vrptw.STRATEGY, help="OR-Tools first-solution strategy"
    )
    parser.add_argument("--dir", type=Path, default=SOLOMON, help="instances and bks.csv")
    args = parser.parse_args()
    if not (args.dir / "bks.csv").exists():
        parser.error(f"no Solomon instances in {args.dir}: set {DATA_ENV} or pass --dir")
    bks = best_known(args.dir)
    names = args.instances.split(",") if args.instances else sorted(bks)
    unknown = [n for n in names if n not in bks or not (args.dir / f"{n}.vrp").exists()]
    if unknown:
        parser.error(f"unknown instances: {', '.join(unknown)}")
    paths = [args.dir / f"{name}.vrp" for name in names]
    outcomes = solve_all([(solver, path) for path in paths for solver in SOLVERS], args)
    rows = [
        {
            "name": path.stem,
            "bks": bks[path.stem],
            **{s: evaluate(path, bks[path.stem], outcomes[s, path.stem]) for s in SOLVERS},
        }
        for path in paths
    ]
    report(rows, args)


if __name__ == "__main__":
    main()

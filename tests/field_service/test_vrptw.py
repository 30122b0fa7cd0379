"""`plinth dispatch vrptw`: CVRPTW instances in VRPLIB format, verified by an independent checker.

The Solomon instances are not in the repository: they are read from ``../shared/benchmarks``
next to it, or from ``$PLINTH_BENCHMARK_DATA`` (``benchmarks.dispatch.solomon.solomon_dir``).
Without them these tests are skipped, and fail under ``PLINTH_REQUIRE_SERVICES=1`` (CI).

The solver's time budget is counted on a fake clock that moves a millisecond each time the
solver reads it, once per iteration: ``--seconds 2`` is 2,000 iterations on any machine, so
what a solve finds does not depend on how fast or busy the machine is.
"""

import json
import random

import pytest
from click.testing import CliRunner

from benchmarks.dispatch.check_vrptw import check, read_result
from benchmarks.dispatch.solomon import DATA_ENV, solomon_dir
from plinth.cli import cli
from plinth.testing import FakeClock, require_data

SOLOMON = solomon_dir()
C101 = SOLOMON / "C101.vrp"
ITERATIONS_PER_SECOND = 1000


@pytest.fixture(autouse=True)
def iterations_not_seconds(monkeypatch):
    """The solver's budget in iterations: its clock moves 1 ms per reading (one per iteration)."""
    from packs.field_service.dispatch import solver

    clock = FakeClock(step=1 / ITERATIONS_PER_SECOND)
    monkeypatch.setattr(solver, "time", clock)
    return clock


@pytest.fixture
def solomon():
    """The folder of the Solomon instances; a skip (a failure under CI) without it."""
    require_data("the Solomon VRPTW instances", C101, f"set {DATA_ENV} to the benchmarks folder")
    return SOLOMON


needs_solomon = pytest.mark.usefixtures("solomon")


def vrptw(*args):
    result = CliRunner().invoke(cli, ["dispatch", "vrptw", *map(str, args)])
    return result.exit_code, result.output


def solve(path, seconds):
    code, out = vrptw(path, "--seconds", seconds, "--json")
    assert code == 0, out
    assert len(out.strip().splitlines()) == 1
    return json.loads(out)


@needs_solomon
def test_c101_reaches_the_best_known_solution():
    result = solve(C101, 2)
    assert result["instance"] == "C101"
    assert result["distance"] == 827.3
    assert result["vehicles"] == len(result["routes"]) == 10
    assert check(C101, result["routes"], result["distance"]) == []


@needs_solomon
def test_r101_is_feasible_and_close():
    result = solve(SOLOMON / "R101.vrp", 1.5)
    assert check(SOLOMON / "R101.vrp", result["routes"], result["distance"]) == []
    assert result["distance"] < 1637.7 * 1.03  # BKS 1637.7


@needs_solomon
def test_summary_without_json():
    code, out = vrptw(C101, "--seconds", 0.5)
    assert code == 0 and out.startswith("C101: 10 vehicles, distance 827.3, ")


def write_instance(path, customers, rng, vehicles=True, windows=True):
    """A random instance: depot in the middle, a SERVICE_TIME_SECTION, generous windows."""
    nodes = range(1, customers + 2)
    coords = {1: (50, 50)} | {n: (rng.randint(0, 100), rng.randint(0, 100)) for n in nodes}
    lines = [f"NAME : RANDOM{customers}", "TYPE : CVRPTW", f"DIMENSION : {customers + 1}"]
    lines += [f"VEHICLES : {customers // 4}"] if vehicles else []
    lines += ["CAPACITY : 100", "EDGE_WEIGHT_TYPE : EUC_2D", "NODE_COORD_SECTION"]
    lines += [f"{n} {x} {y}" for n, (x, y) in coords.items()]
    lines += ["DEMAND_SECTION", "1 0", *(f"{n} {rng.randint(1, 20)}" for n in nodes[1:])]
    lines += ["SERVICE_TIME_SECTION", "1 0", *(f"{n} {rng.randint(5, 30)}" for n in nodes[1:])]
    if windows:
        lines += ["TIME_WINDOW_SECTION", "1 0 5000"]
        for n in nodes[1:]:
            early = rng.randint(0, 2500)
            lines.append(f"{n} {early} {early + rng.randint(200, 2000)}")
    lines += ["DEPOT_SECTION", "1", "-1", "EOF"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_large_unseen_instance(tmp_path):
    path = write_instance(tmp_path / "random220.vrp", 220, random.Random(220))
    result = solve(path, 2)
    assert result["instance"] == "RANDOM220"
    assert sorted(k for route in result["routes"] for k in route) == list(range(1, 221))
    assert check(path, result["routes"], result["distance"]) == []


def test_no_time_windows_and_no_vehicle_count(tmp_path):
    path = write_instance(
        tmp_path / "open.vrp", 12, random.Random(3), vehicles=False, windows=False
    )
    result = solve(path, 0.3)
    assert check(path, result["routes"], result["distance"]) == []


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "cannot read"),
        ("hello\nworld\n", "is not a VRPLIB instance"),
        ("NAME : X\nDIMENSION : 3\n", "is not a VRPLIB instance"),
        (b"\x00\xff\xfe binary", "is not a VRPLIB instance"),
    ],
)
def test_a_bad_file_is_a_one_line_error(tmp_path, content, message):
    path = tmp_path / "bad.vrp"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, out = vrptw(path, "--seconds", 0.1)
    assert code != 0
    assert out.startswith("Error: ") and message in out and len(out.strip().splitlines()) == 1


def test_no_feasible_solution_is_an_error_not_a_result(tmp_path):
    path = tmp_path / "infeasible.vrp"
    path.write_text(
        "NAME : X\nDIMENSION : 3\nVEHICLES : 2\nCAPACITY : 10\nEDGE_WEIGHT_TYPE : EUC_2D\n"
        "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 1 1\nDEMAND_SECTION\n1 0\n2 11\n3 1\n"
        "DEPOT_SECTION\n1\n-1\nEOF\n"
    )
    code, out = vrptw(path, "--seconds", 0.2, "--json")
    assert code != 0 and out.startswith("Error: X: no feasible solution found")


# The checker itself, on the best-known C101 solution and broken copies of it.


@pytest.fixture
def bks(solomon):
    routes, cost = read_result(solomon / "C101.sol")
    assert cost == 827.3
    return routes


def problems(routes, claimed=None):
    return " | ".join(check(C101, routes, claimed))


def test_checker_accepts_the_best_known_solution(bks):
    assert check(C101, bks, 827.3) == []


def test_checker_finds_a_missing_customer(bks):
    bks[0].remove(75)
    assert "1 customers not served: 75" in problems(bks)


def test_checker_finds_a_duplicated_customer(bks):
    bks[1].append(bks[0][0])
    assert f"served more than once: {bks[0][0]}" in problems(bks)


def test_checker_finds_an_over_capacity_route(tmp_path):
    path = tmp_path / "small.vrp"
    path.write_text(
        "NAME : S\nDIMENSION : 4\nVEHICLES : 3\nCAPACITY : 10\nEDGE_WEIGHT_TYPE : EUC_2D\n"
        "NODE_COORD_SECTION\n1 0 0\n2 3 4\n3 0 1\n4 1 0\nDEMAND_SECTION\n1 0\n2 6\n3 5\n4 4\n"
        "DEPOT_SECTION\n1\n-1\nEOF\n"
    )
    assert check(path, [[1], [2, 3]], 13.4) == []  # 10 + 1 + 1.4 (1.414...) + 1
    assert check(path, [[1, 2], [3]]) == ["route 1: load 11 over capacity 10"]


def test_checker_finds_a_time_window_violation(bks):
    bks[0].reverse()
    assert "route 1: customer" in problems(bks) and "> latest" in problems(bks)


def test_checker_finds_too_many_routes(bks):
    singles = [[k] for route in bks for k in route]
    found = problems(singles)
    assert "100 routes, only 25 vehicles" in found
    assert "route 1:" not in found  # each customer alone is feasible


def test_checker_finds_a_wrong_claimed_distance(bks):
    assert "claimed distance 827.2, recomputed 827.3" in problems(bks, 827.2)
    assert problems(bks, 827.3) == ""


def test_checker_finds_an_unknown_customer(bks):
    bks[0].append(101)
    assert "customer 101 is not in 1..100" in problems(bks)

"""An independent feasibility checker for CVRPTW solutions (no vrplib, pyvrp or packs code).

Reads the VRPLIB instance with its own small parser and checks a solution given as routes of
customer numbers (customer k is node k+1, as in the ``.sol`` files): every customer exactly
once, capacity, time windows (waiting allowed, service starts within the window), return to
the depot by its latest time, at most VEHICLES routes, and the DIMACS distance
(floor(10 * euclid) / 10 per arc, travel time = distance) against the claimed one. Exact
arithmetic (fractions) throughout.

    python -m benchmarks.dispatch.check_vrptw C101.vrp C101.sol
    plinth dispatch vrptw C101.vrp --json > r.json
    python -m benchmarks.dispatch.check_vrptw C101.vrp r.json
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import numbers
import sys
from fractions import Fraction
from pathlib import Path


@dataclasses.dataclass
class Instance:
    name: str
    coords: list[tuple[Fraction, Fraction]]
    demand: list[Fraction]
    service: list[Fraction]
    windows: list[tuple[Fraction, Fraction]] | None
    capacity: Fraction | None
    vehicles: int

    @property
    def customers(self) -> int:
        return len(self.coords) - 1

    def distance(self, a: int, b: int) -> Fraction:
        """DIMACS distance between nodes a and b (0 = depot): truncated to one decimal."""
        (xa, ya), (xb, yb) = self.coords[a], self.coords[b]
        squared = 100 * ((xa - xb) ** 2 + (ya - yb) ** 2)
        if squared.denominator == 1:
            return Fraction(math.isqrt(squared.numerator), 10)
        return Fraction(math.floor(math.sqrt(squared)), 10)

    def route_distance(self, route: list[int]) -> Fraction:
        """Depot, the customers of ``route`` in order, depot."""
        nodes = [0, *route, 0]
        return sum(itertools.starmap(self.distance, itertools.pairwise(nodes)), Fraction(0))


def parse(path: str | Path) -> Instance:
    """Parse the VRPLIB instance at ``path`` (header ``KEY : VALUE`` lines and sections)."""
    header: dict[str, str] = {}
    sections: dict[str, list[list[str]]] = {}
    current = None
    for line in Path(path).read_text().splitlines():
        words = line.split()
        if not words or words[0] == "EOF":
            continue
        if words[0].upper().endswith("_SECTION"):
            current = words[0].upper().removesuffix("_SECTION")
            sections[current] = []
        elif current is not None and (words[0][0].isdigit() or words[0][0] == "-"):
            sections[current].append(words)
        elif ":" in line:
            key, _, value = line.partition(":")
            header[key.strip().upper()] = value.strip()
            current = None
    size = int(header["DIMENSION"])

    def column(section: str, width: int) -> list[list[Fraction]] | None:
        rows = sections.get(section)
        if rows is None:
            return None
        by_node = {int(row[0]): [Fraction(v) for v in row[1 : 1 + width]] for row in rows}
        return [by_node[node] for node in range(1, size + 1)]

    coords = [(x, y) for x, y in column("NODE_COORD", 2)]
    demand = [d for (d,) in column("DEMAND", 1) or [[Fraction(0)]] * size]
    if "SERVICE_TIME" in sections:
        service = [s for (s,) in column("SERVICE_TIME", 1)]
    else:
        service = [Fraction(header.get("SERVICE_TIME", "0"))] * size
    service[0] = Fraction(0)  # customers only
    windows = column("TIME_WINDOW", 2)
    depots = [int(row[0]) for row in sections.get("DEPOT", []) if int(row[0]) != -1]
    if depots not in ([], [1]):
        raise ValueError(f"{path}: expected node 1 as the only depot, got {depots}")
    return Instance(
        name=header.get("NAME", Path(path).stem),
        coords=coords,
        demand=demand,
        service=service,
        windows=[(early, late) for early, late in windows] if windows else None,
        capacity=Fraction(header["CAPACITY"]) if "CAPACITY" in header else None,
        vehicles=int(header.get("VEHICLES", size - 1)),
    )


def check(instance_path, routes, claimed_distance=None) -> list[str]:
    """Every problem of ``routes`` (lists of customer numbers) on the instance; [] = feasible."""
    instance = parse(instance_path)
    problems: list[str] = []
    n = instance.customers
    if len(routes) > instance.vehicles:
        problems.append(f"{len(routes)} routes, only {instance.vehicles} vehicles")
    seen: dict[int, int] = {}
    total = Fraction(0)
    for number, route in enumerate(routes, start=1):
        valid = []
        for k in route:
            if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= n:
                problems.append(f"route {number}: customer {k!r} is not in 1..{n}")
                continue
            seen[int(k)] = seen.get(int(k), 0) + 1
            valid.append(int(k))
        problems.extend(f"route {number}: {p}" for p in _route_problems(instance, valid))
        total += instance.route_distance(valid)
    missing = sorted(set(range(1, n + 1)) - set(seen))
    if missing:
        problems.append(f"{len(missing)} customers not served: {_short(missing)}")
    repeated = sorted(k for k, times in seen.items() if times > 1)
    if repeated:
        problems.append(f"customers served more than once: {_short(repeated)}")
    if claimed_distance is not None:
        claimed = Fraction(str(claimed_distance))
        if abs(claimed - total) > Fraction(1, 200):
            problems.append(f"claimed distance {claimed_distance}, recomputed {float(total):.1f}")
    return problems


def distance(instance_path, routes) -> float:
    """The DIMACS distance of ``routes`` on the instance."""
    instance = parse(instance_path)
    return float(sum(instance.route_distance(route) for route in routes))


def _route_problems(instance: Instance, route: list[int]) -> list[str]:
    problems = []
    load = sum(instance.demand[k] for k in route)
    if instance.capacity is not None and load > instance.capacity:
        problems.append(f"load {load} over capacity {instance.capacity}")
    if instance.windows is None:
        return problems
    depot_open, depot_close = instance.windows[0]
    time, here = depot_open, 0
    for k in route:
        early, late = instance.windows[k]
        time = max(time + instance.distance(here, k), early)  # waiting allowed
        if time > late:
            problems.append(f"customer {k}: service starts at {float(time):g} > latest {late}")
        time, here = time + instance.service[k], k
    back = time + instance.distance(here, 0)
    if back > depot_close:
        problems.append(f"back at the depot at {float(back):g} > its latest {depot_close}")
    return problems


def _short(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:10])) + (", ..." if len(numbers) > 10 else "")


def read_result(path: str | Path) -> tuple[list[list[int]], float | None]:
    """Routes and claimed distance of a JSON result (the CLI's) or a ``.sol`` file."""
    text = Path(path).read_text()
    if text.lstrip().startswith("{"):
        result = json.loads(text)
        return result["routes"], result.get("distance")
    routes, cost = [], None
    for line in text.splitlines():
        if line.lower().startswith("route"):
            routes.append([int(k) for k in line.partition(":")[2].split()])
        elif line.lower().startswith("cost"):
            cost = float(line.split()[1])
    return routes, cost


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m benchmarks.dispatch.check_vrptw INSTANCE.vrp RESULT.json|.sol")
        return 2
    routes, claimed = read_result(args[1])
    problems = check(args[0], routes, claimed)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"feasible: {len(routes)} routes, distance {distance(args[0], routes):.1f}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""The alternative: OR-Tools routing (guided local search) on a VRPLIB CVRPTW instance.

Its own model, built from ``vrplib.read_instance`` (not from the product's code), with the
same DIMACS integer scaling as the product: distances floor(10 * euclid) in tenths, times
and service times x10, travel time = distance. OR-Tools routing runs on one core.

PARALLEL_CHEAPEST_INSERTION is the first-solution strategy: in the reference runs
(``baseline_runs_10s.csv``) PATH_CHEAPEST_ARC and AUTOMATIC found no feasible first solution
within 10 s on 7 of the 56 Solomon instances (R101-R106, RC101, RC105); it found one on all.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import vrplib
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

SCALE = 10
STRATEGY = "PARALLEL_CHEAPEST_INSERTION"
NO_HORIZON = 10**12  # no TIME_WINDOW_SECTION: no time limits at all


def _model(path: str | Path) -> dict[str, Any]:
    instance = vrplib.read_instance(path)
    coords = np.asarray(instance["node_coord"], dtype=np.float64)
    size = len(coords)
    delta = coords[:, None, :] - coords[None, :, :]
    distance = np.floor(np.sqrt(SCALE * SCALE * (delta**2).sum(axis=2))).astype(np.int64)
    service = np.broadcast_to(np.asarray(instance.get("service_time", 0), float), (size,))
    service = [0] + [math.ceil(SCALE * s - 1e-9) for s in service[1:]]
    if "time_window" in instance:
        windows = [
            (math.ceil(SCALE * early - 1e-9), math.floor(SCALE * late + 1e-9))
            for early, late in instance["time_window"]
        ]
    else:
        windows = [(0, NO_HORIZON)] * size
    demand = [int(round(d)) for d in instance.get("demand", [0] * size)]
    return {
        "name": instance.get("name", Path(path).stem),
        "distance": distance.tolist(),
        "service": service,
        "windows": windows,
        "demand": demand,
        "capacity": int(instance.get("capacity", max(sum(demand), 1))),
        "vehicles": int(instance.get("vehicles", size - 1)),
    }


def solve(path: str | Path, seconds: float, strategy: str = STRATEGY) -> dict[str, Any] | None:
    """Solve with OR-Tools within ``seconds``: the CLI's result dict, or None if no solution."""
    model = _model(path)
    size, vehicles = len(model["distance"]), model["vehicles"]
    manager = pywrapcp.RoutingIndexManager(size, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    arc = routing.RegisterTransitMatrix(model["distance"])
    routing.SetArcCostEvaluatorOfAllVehicles(arc)
    travel_and_service = [
        [model["service"][i] + d for d in row] for i, row in enumerate(model["distance"])
    ]
    horizon = model["windows"][0][1]
    routing.AddDimension(
        routing.RegisterTransitMatrix(travel_and_service), horizon, horizon, False, "time"
    )
    time = routing.GetDimensionOrDie("time")
    for node in range(1, size):
        time.CumulVar(manager.NodeToIndex(node)).SetRange(*model["windows"][node])
    for vehicle in range(vehicles):
        time.CumulVar(routing.Start(vehicle)).SetRange(*model["windows"][0])
        time.CumulVar(routing.End(vehicle)).SetRange(*model["windows"][0])
    load = routing.RegisterUnaryTransitVector(model["demand"])
    routing.AddDimensionWithVehicleCapacity(load, 0, [model["capacity"]] * vehicles, True, "load")
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, strategy)
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    parameters.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return None
    routes = []
    for vehicle in range(vehicles):
        index, route = solution.Value(routing.NextVar(routing.Start(vehicle))), []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    matrix = model["distance"]
    tenths = sum(matrix[a][b] for r in routes for a, b in zip([0, *r], [*r, 0], strict=True))
    return {
        "instance": model["name"],
        "vehicles": len(routes),
        "distance": round(tenths / SCALE, 1),
        "routes": routes,
    }

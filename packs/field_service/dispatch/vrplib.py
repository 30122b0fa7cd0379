"""Solving a CVRPTW instance in VRPLIB format (Solomon, Gehring & Homberger) with PyVRP.

Node 1 is the depot and customer k is node k+1. Distances follow the DIMACS convention:
Euclidean, truncated to one decimal, travel time = distance. The model works in integer
tenths: distances, times and service times are all scaled by ``SCALE``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyvrp
import vrplib
from pyvrp.exceptions import PenaltyBoundWarning

from packs.field_service.dispatch.solver import DEFAULT_SEED, run_solver

SCALE = 10
UNBOUNDED = np.iinfo(np.int64).max
_EPSILON = 1e-9  # absorbs float noise when scaling values that are already in tenths


class NoFeasibleSolution(Exception):
    """The solver found no solution that serves every customer within the constraints."""


def read_instance(path: str | Path) -> dict[str, Any]:
    """Read a VRPLIB CVRPTW file; a missing, unreadable or malformed file is a ValueError."""
    path = Path(path)
    try:
        instance = vrplib.read_instance(path)
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a VRPLIB instance (not a text file)") from None
    except Exception as exc:  # vrplib raises RuntimeError, ValueError, IndexError, ...
        raise ValueError(f"{path} is not a VRPLIB instance ({exc})") from None
    if "node_coord" not in instance or instance.get("dimension", 0) < 2:
        raise ValueError(f"{path} is not a VRPLIB instance (no NODE_COORD_SECTION)")
    if instance.get("edge_weight_type", "EUC_2D") != "EUC_2D":
        raise ValueError(f"{path}: only EDGE_WEIGHT_TYPE EUC_2D is supported")
    if list(instance.get("depot", [0])) != [0]:
        raise ValueError(f"{path}: the depot must be node 1 (and the only depot)")
    instance.setdefault("name", path.stem)
    return instance


def dimacs_matrix(coords: np.ndarray) -> np.ndarray:
    """Euclidean distances in tenths, truncated: floor(10 * euclid)."""
    coords = np.asarray(coords, dtype=np.float64)
    delta = coords[:, None, :] - coords[None, :, :]
    squared = SCALE * SCALE * (delta**2).sum(axis=2)
    return np.floor(np.sqrt(squared)).astype(np.int64)


def _per_node(instance: dict, key: str, size: int) -> np.ndarray:
    value = instance.get(key, 0)
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (size,)).copy()


def build_data(instance: dict) -> pyvrp.ProblemData:
    """The PyVRP model of a VRPLIB instance (read by ``read_instance``), in tenths."""
    size = instance["dimension"]
    customers = size - 1
    demand = _per_node(instance, "demand", size).round().astype(np.int64)
    service = np.ceil(SCALE * _per_node(instance, "service_time", size) - _EPSILON)
    service[0] = 0  # SERVICE_TIME applies to customers only
    if "time_window" in instance:
        windows = np.asarray(instance["time_window"], dtype=np.float64)
        early = np.ceil(SCALE * windows[:, 0] - _EPSILON).astype(np.int64)
        late = np.floor(SCALE * windows[:, 1] + _EPSILON).astype(np.int64)
    else:
        early, late = np.zeros(size, np.int64), np.full(size, UNBOUNDED)
    capacity = instance.get("capacity", max(int(demand.sum()), 1))
    vehicles = int(instance.get("vehicles", customers))
    matrix = dimacs_matrix(instance["node_coord"])
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x=float(x), y=float(y)) for x, y in instance["node_coord"]],
        clients=[
            pyvrp.Client(
                location=k,
                delivery=[int(demand[k])],
                service_duration=int(service[k]),
                tw_early=int(early[k]),
                tw_late=int(late[k]),
            )
            for k in range(1, size)
        ],
        depots=[pyvrp.Depot(location=0)],
        # The depot's window is the horizon: routes leave after its opening, return by its close.
        vehicle_types=[
            pyvrp.VehicleType(
                num_available=vehicles,
                capacity=[int(capacity)],
                tw_early=int(early[0]),
                tw_late=int(late[0]),
            )
        ],
        distance_matrices=[matrix],
        duration_matrices=[matrix],
    )


def solve_vrptw(path: str | Path, seconds: float, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Solve the instance at ``path`` within ``seconds``; the result dict of the CLI.

    Raises ValueError for a bad file and NoFeasibleSolution when no feasible solution was found.
    """
    instance = read_instance(path)
    try:
        data = build_data(instance)
    except (ValueError, TypeError, IndexError) as exc:
        raise ValueError(f"{path}: inconsistent instance ({exc})") from None
    with warnings.catch_warnings():  # "struggles to find a feasible solution": said below
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        best = run_solver(data, seconds, seed=seed).best
    if not best.is_feasible() or not best.is_complete():
        raise NoFeasibleSolution(
            f"{instance['name']}: no feasible solution found in {seconds:g} s "
            "(try a larger --seconds; the instance may be infeasible)"
        )
    clients = data.clients()
    routes = [
        [clients[visit.idx].location for visit in route if visit.is_client()]
        for route in best.routes()
    ]
    routes = [route for route in routes if route]
    matrix = data.distance_matrix(0)
    tenths = sum(
        int(matrix[a, b]) for route in routes for a, b in zip([0, *route], [*route, 0], strict=True)
    )
    return {
        "instance": instance["name"],
        "vehicles": len(routes),
        "distance": round(tenths / SCALE, 1),
        "routes": routes,
    }

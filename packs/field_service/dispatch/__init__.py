"""The dispatch optimiser ("智能派单"): schedule field tasks onto engineers with PyVRP.

The small interface the pack and the API call (no Flask, no database here):

- ``optimize(problem, seconds, ...)`` -> ``Plan``: a day's schedule for every engineer,
  the tasks that could not be placed and why, and totals;
- ``best_insertions(problem, task, ...)``: the best engineers and slots for one new task
  against the committed schedule;
- ``solve_vrptw(path, seconds)``: a CVRPTW instance in VRPLIB format (benchmarks, CLI).

Problems are described with the dataclasses of ``model``; travel comes from ``travel``.
"""

from packs.field_service.dispatch.insertion import Insertion, best_insertions
from packs.field_service.dispatch.model import (
    PRIORITIES,
    Engineer,
    Plan,
    Problem,
    Task,
)
from packs.field_service.dispatch.optimize import optimize
from packs.field_service.dispatch.travel import HaversineTravel, OsrmTravel, TravelModel
from packs.field_service.dispatch.vrplib import solve_vrptw

__all__ = [
    "PRIORITIES",
    "Engineer",
    "HaversineTravel",
    "Insertion",
    "OsrmTravel",
    "Plan",
    "Problem",
    "Task",
    "TravelModel",
    "best_insertions",
    "optimize",
    "solve_vrptw",
]

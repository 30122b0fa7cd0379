"""What a dispatch problem is made of: engineers, tasks and a day; and what a plan is.

Times are timezone-aware datetimes at the interface; the solver works in whole seconds
from the problem's ``origin``. Locations are ``(lat, lng)`` tuples in degrees.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from packs.field_service.dispatch.travel import HaversineTravel, TravelModel

Point = tuple[float, float]

# Priority -> value of placing the task, in metres of driving it is worth. A low-priority
# task is worth a 10 km detour (about 20 minutes at city speed), a normal one 25 km; a
# high-priority task outweighs ten normal ones and an urgent one ten high ones, so the
# solver drops low-priority work first and urgent work last (prize-collecting) and does not
# chase a marginal task across the city.
PRIORITIES: Mapping[str, int] = {
    "low": 10_000,
    "normal": 25_000,
    "high": 250_000,
    "urgent": 2_500_000,
}
DEFAULT_PRIORITY = "normal"
# Finishing a task after its due time is allowed but costs this share of its value.
LATE_PENALTY_SHARE = 0.4
# Driving this much further is worth it to give a task its preferred engineer.
PREFERRED_BONUS_M = 5_000


@dataclasses.dataclass(frozen=True)
class SkillNeed:
    code: str
    level: int = 1


@dataclasses.dataclass
class Engineer:
    """One engineer's day: when and where it starts and ends, and what they can do.

    ``breaks``: gaps in the working-hours calendar inside the shift (a lunch break), sorted;
    no visit is scheduled across one. ``max_tasks`` / ``max_hours``: what is left of the
    daily limits for this plan (hours worked exclude breaks)."""

    id: int
    name: str
    shift_start: dt.datetime
    shift_end: dt.datetime
    start: Point
    end: Point
    skills: Mapping[str, int] = dataclasses.field(default_factory=dict)
    skill_efficiency: Mapping[str, float] = dataclasses.field(default_factory=dict)
    efficiency: float = 1.0
    groups: frozenset[int] = frozenset()
    resource_type: str | None = None
    max_tasks: int | None = None
    max_hours: float | None = None
    breaks: tuple[tuple[dt.datetime, dt.datetime], ...] = ()

    def break_seconds(self, start: dt.datetime, end: dt.datetime) -> int:
        """Seconds of breaks between ``start`` and ``end``."""
        return sum(
            max(0, int((min(end, b1) - max(start, b0)).total_seconds())) for b0, b1 in self.breaks
        )

    def available_seconds(self) -> int:
        """Working seconds of the shift (breaks left out), capped by the hours limit."""
        seconds = int((self.shift_end - self.shift_start).total_seconds())
        seconds -= self.break_seconds(self.shift_start, self.shift_end)
        if self.max_hours is not None:
            seconds = min(seconds, int(self.max_hours * 3600))
        return max(0, seconds)

    def efficiency_for(self, task: Task) -> float:
        """How fast this engineer does ``task``: their efficiency times the mean efficiency of
        the task's skills (1 where the skill has none); durations are divided by it."""
        factors = [self.skill_efficiency.get(need.code, 1.0) for need in task.required_skills]
        skill_factor = sum(factors) / len(factors) if factors else 1.0
        # Rounded to 5% steps: engineers who work alike share a solver profile.
        return max(0.1, round(self.efficiency * skill_factor * 20) / 20)

    def duration_seconds(self, task: Task) -> int:
        return max(60, round(task.duration_minutes * 60 / self.efficiency_for(task)))


@dataclasses.dataclass
class Task:
    """A field task to place. ``pinned_to``/``pinned_start``: kept on that engineer at that
    time (committed work that may not move); ``pinned_to`` alone: kept on that engineer at
    any time (``claimed``: they took it from the grab pool)."""

    id: int
    location: Point | None
    duration_minutes: int
    priority: str = DEFAULT_PRIORITY
    earliest_start: dt.datetime | None = None
    latest_start: dt.datetime | None = None
    due_at: dt.datetime | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    required_skills: tuple[SkillNeed, ...] = ()
    service_group: int | None = None
    preferred: int | None = None
    required: int | None = None
    excluded: frozenset[int] = frozenset()
    resource_type: str | None = None
    min_efficiency: float | None = None
    pinned_to: int | None = None
    pinned_start: dt.datetime | None = None
    claimed: bool = False
    label: str = ""

    @property
    def value(self) -> int:
        return PRIORITIES.get(self.priority, PRIORITIES[DEFAULT_PRIORITY])

    def start_bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Earliest and latest start allowed by the task alone (window and start limits)."""
        lows = [t for t in (self.earliest_start, self.window_start) if t is not None]
        highs = [t for t in (self.latest_start, self.window_end) if t is not None]
        return (max(lows) if lows else None, min(highs) if highs else None)


@dataclasses.dataclass
class Problem:
    """A day to plan: engineers, tasks (movable and pinned) and how travel is measured."""

    engineers: list[Engineer]
    tasks: list[Task]
    travel: TravelModel = dataclasses.field(default_factory=HaversineTravel)

    @property
    def origin(self) -> dt.datetime:
        """Time zero of the solver: the earliest shift start (or task bound)."""
        starts = [e.shift_start for e in self.engineers]
        return min(starts) if starts else dt.datetime.now(dt.UTC)


@dataclasses.dataclass
class Visit:
    task_id: int
    start: dt.datetime
    end: dt.datetime
    travel_m: int
    travel_s: int
    wait_s: int
    late_s: int
    pinned: bool = False

    def as_dict(self) -> dict:
        return {
            "task": self.task_id,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "travel_km": round(self.travel_m / 1000, 2),
            "travel_minutes": round(self.travel_s / 60, 1),
            "wait_minutes": round(self.wait_s / 60, 1),
            "late_minutes": round(self.late_s / 60, 1),
            "pinned": self.pinned,
        }


@dataclasses.dataclass
class Route:
    engineer_id: int
    visits: list[Visit]
    travel_m: int
    travel_s: int
    leave_at: dt.datetime | None
    back_at: dt.datetime | None

    @property
    def work_s(self) -> int:
        """The engineer's load: seconds on site and driving."""
        on_site = sum((visit.end - visit.start).total_seconds() for visit in self.visits)
        return int(on_site) + self.travel_s

    def as_dict(self) -> dict:
        return {
            "engineer": self.engineer_id,
            "tasks": [visit.as_dict() for visit in self.visits],
            "leave_at": _iso(self.leave_at),
            "back_at": _iso(self.back_at),
            "travel_km": round(self.travel_m / 1000, 2),
            "travel_minutes": round(self.travel_s / 60, 1),
            "work_minutes": round(self.work_s / 60, 1),
        }


@dataclasses.dataclass
class Plan:
    """A proposal: each engineer's ordered visits, what could not be placed, and totals."""

    routes: list[Route]
    unplaced: list[tuple[int, str]]
    priorities: Mapping[int, str]
    solver: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def totals(self) -> dict:
        visits = [visit for route in self.routes for visit in route.visits]
        work = [route.work_s / 3600 for route in self.routes]
        placed: dict[str, int] = {name: 0 for name in PRIORITIES}
        unplaced: dict[str, int] = {name: 0 for name in PRIORITIES}
        for visit in visits:
            placed[self.priorities.get(visit.task_id, DEFAULT_PRIORITY)] += 1
        for task_id, _reason in self.unplaced:
            unplaced[self.priorities.get(task_id, DEFAULT_PRIORITY)] += 1
        return {
            "tasks_placed": len(visits),
            "tasks_unplaced": len(self.unplaced),
            "placed_by_priority": placed,
            "unplaced_by_priority": unplaced,
            "engineers_used": sum(1 for route in self.routes if route.visits),
            "travel_km": round(sum(r.travel_m for r in self.routes) / 1000, 2),
            "travel_minutes": round(sum(r.travel_s for r in self.routes) / 60, 1),
            "late_tasks": sum(1 for visit in visits if visit.late_s > 0),
            "lateness_minutes": round(sum(visit.late_s for visit in visits) / 60, 1),
            "work_hours_average": round(sum(work) / len(work), 2) if work else 0.0,
            "work_hours_most": round(max(work), 2) if work else 0.0,
            "engineers_idle": sum(1 for route in self.routes if not route.visits),
        }

    def as_dict(self) -> dict:
        return {
            "routes": [route.as_dict() for route in self.routes],
            "unplaced": [{"task": task_id, "reason": reason} for task_id, reason in self.unplaced],
            "totals": self.totals(),
            "solver": dict(self.solver),
        }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

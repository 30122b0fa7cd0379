"""A day's dispatch problem read from the records: who works when and where, which tasks
may move and which are committed. Used by the optimiser job and the insertion endpoint.

An engineer's day is their working-hours calendar on that date (first to last working
interval, in the calendar's time zone) minus absences (the longest part left is kept);
today it starts no earlier than now, at their last known location when it is recent
enough (``dispatch_last_location_hours``), else at their home base; a task they are
working on moves their start to its site and its expected end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from packs.field_service.dispatch.model import Engineer, Problem, SkillNeed, Task
from packs.field_service.dispatch.travel import HaversineTravel, OsrmTravel, TravelModel
from packs.field_service.records import all_records
from plinth.toolkit import Filter, calendar_for, get_setting, json_props

DEFAULT_CALENDAR = "fs_5x8"
NEW = "new"
DISPATCHED = "dispatched"
COMMITTED = ("accepted", "en_route")
WORKING = ("arrived", "in_service")
MOVES = {"none": (), "unassigned": (NEW,), "unstarted": (NEW, DISPATCHED)}
TASK_FIELDS = [
    "id", "version", "number", "status", "priority", "location", "duration", "service_group",
    "earliest_start", "latest_start", "due_at", "window_start", "window_end",
    "required_skills", "preferred_resource", "required_resource", "excluded_resources",
    "required_resource_type", "min_efficiency", "assigned_resource", "assigned_start",
    "started_at",
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Scope:
    """What to plan: a day, optionally one service group or some tasks, and what may move."""

    day: dt.date
    service_group: int | None = None
    move: str = "unassigned"
    task_ids: tuple[int, ...] | None = None


@dataclasses.dataclass
class Day:
    problem: Problem
    movable: dict[int, dict[str, Any]]  # task id -> record (id, version, status, ...)
    versions: dict[int, int]  # every task the plan depends on -> its version
    notes: list[str]


def load_day(session, scope: Scope, now: dt.datetime) -> Day:
    """The day's engineers and tasks as a dispatch ``Problem`` (read with ``session``)."""
    notes: list[str] = []
    engineers = _engineers(session, scope, now, notes)
    by_id = {engineer.id: engineer for engineer in engineers}
    movable: dict[int, dict] = {}
    tasks: list[Task] = []
    versions: dict[int, int] = {}
    if engineers:
        day_start = min(e.shift_start for e in engineers)
        day_end = max(e.shift_end for e in engineers)
    else:
        day_start = day_end = now
    statuses = sorted(set(MOVES[scope.move]) | {DISPATCHED, *COMMITTED, *WORKING})
    rows = all_records(session, "field_task", [Filter("status", "in", statuses)], None, TASK_FIELDS)
    for row in rows:
        engineer = by_id.get(row["assigned_resource"])
        task = task_from(row)
        if row["status"] in MOVES[scope.move] and _in_scope(row, task, scope, day_start, day_end):
            movable[row["id"]] = row
            versions[row["id"]] = row["version"]
            tasks.append(task)
        elif engineer is not None and row["status"] in WORKING:
            _start_after(engineer, row, task)
            versions[row["id"]] = row["version"]
        elif engineer is not None and _committed_on(row, engineer):
            task.pinned_to = engineer.id
            start = row["assigned_start"]
            task.pinned_start = start if start >= engineer.shift_start else None
            tasks.append(task)
            versions[row["id"]] = row["version"]
    problem = Problem(engineers, tasks, travel_for(session))
    return Day(problem, movable, versions, notes)


def travel_for(session) -> TravelModel:
    """The pack's travel settings: an OSRM server when one is set, else straight lines."""
    url = (get_setting(session, "field_service.dispatch_osrm_url") or "").strip()
    if url:
        return OsrmTravel(url)
    return HaversineTravel(
        get_setting(session, "field_service.average_speed_kmh"),
        get_setting(session, "field_service.dispatch_detour_factor"),
    )


def task_from(row: dict[str, Any]) -> Task:
    """A field task record as a dispatch task."""
    location = row.get("location")
    return Task(
        id=row["id"],
        location=(location["lat"], location["lng"]) if location else None,
        duration_minutes=int(row.get("duration") or 60),
        priority=row.get("priority") or "normal",
        earliest_start=row.get("earliest_start"),
        latest_start=row.get("latest_start"),
        due_at=row.get("due_at"),
        window_start=row.get("window_start"),
        window_end=row.get("window_end"),
        required_skills=_skill_needs(row.get("required_skills")),
        service_group=row.get("service_group"),
        preferred=row.get("preferred_resource"),
        required=row.get("required_resource"),
        excluded=_ids(row.get("excluded_resources")),
        resource_type=row.get("required_resource_type"),
        min_efficiency=float(row["min_efficiency"]) if row.get("min_efficiency") else None,
        label=row.get("number") or "",
    )


def _ids(value) -> frozenset[int]:
    """The ids (or digit strings) listed in a JSON field; anything else in it is ignored:
    the field takes any JSON, and int() of "²" or of 5000 digits raises."""
    if not isinstance(value, list):
        return frozenset()
    ids = (json_props.id_from_text(i) if isinstance(i, str) else i for i in value)
    return frozenset(i for i in ids if json_props.is_id(i))


def _skill_needs(value) -> tuple[SkillNeed, ...]:
    needs = []
    for item in value if isinstance(value, list) else ():  # a JSON field: any JSON
        if isinstance(item, str):
            needs.append(SkillNeed(item, 1))
        elif isinstance(item, dict) and isinstance(item.get("skill"), str):
            level = item.get("level", 1)
            needs.append(SkillNeed(item["skill"], int(level) if isinstance(level, int) else 1))
    return tuple(needs)


def _in_scope(row, task: Task, scope: Scope, day_start, day_end) -> bool:
    if scope.task_ids is not None and row["id"] not in scope.task_ids:
        return False
    if scope.service_group is not None and row.get("service_group") != scope.service_group:
        return False
    if row["status"] == DISPATCHED and row.get("assigned_start"):
        return day_start <= row["assigned_start"] < day_end
    low, high = task.start_bounds()
    return (low is None or low < day_end) and (high is None or high >= day_start)


def _committed_on(row, engineer: Engineer) -> bool:
    """A committed task of this engineer's day (overdue ones of the morning included)."""
    start = row.get("assigned_start")
    if start is None or row["status"] not in (DISPATCHED, *COMMITTED):
        return False
    return engineer.shift_start - dt.timedelta(hours=12) <= start < engineer.shift_end


def _start_after(engineer: Engineer, row, task: Task) -> None:
    """The engineer is at this task: their plan starts there, when it should be done."""
    location = row.get("location")
    if location:
        engineer.start = (location["lat"], location["lng"])
    begun = row.get("started_at") or row.get("assigned_start") or engineer.shift_start
    done = begun + dt.timedelta(seconds=engineer.duration_seconds(task))
    engineer.shift_start = min(max(engineer.shift_start, done), engineer.shift_end)


# ---- engineers ----------------------------------------------------------------------------
def _engineers(session, scope: Scope, now: dt.datetime, notes: list[str]) -> list[Engineer]:
    members = _group_members(session, scope)
    resources = [
        r
        for r in all_records(session, "service_resource", [Filter("active", "eq", True)])
        if members is None or r["id"] in members
    ]
    ids = [r["id"] for r in resources]
    skills = _by_resource(session, "resource_skill", ids)
    groups = _groups_of(session, ids, scope.day)
    absences = _by_resource(session, "resource_absence", ids)
    calendars = {
        name: calendar_for(doc) for name, doc in session.compiled.docs("calendars").items()
    }
    recent = dt.timedelta(hours=get_setting(session, "field_service.dispatch_last_location_hours"))
    engineers = []
    for resource in resources:
        calendar = calendars.get(resource.get("working_hours") or "") or calendars.get(
            DEFAULT_CALENDAR
        )
        if calendar is None:
            notes.append(f"{resource['name']}: no working-hours calendar")
            continue
        shift = _shift(calendar, scope.day, absences.get(resource["id"], []), now)
        if shift is None:
            continue
        start_place = _start_place(resource, now, recent, shift[0])
        home = resource.get("home_base")
        if start_place is None:
            notes.append(f"{resource['name']}: no home base or recent location")
            continue
        own_skills = skills.get(resource["id"], [])
        engineers.append(
            Engineer(
                id=resource["id"],
                name=resource["name"],
                shift_start=shift[0],
                shift_end=shift[1],
                start=start_place,
                end=(home["lat"], home["lng"]) if home else start_place,
                skills={s["skill_code"]: int(s["level"] or 1) for s in own_skills},
                skill_efficiency={s["skill_code"]: float(s["efficiency"] or 1) for s in own_skills},
                efficiency=float(resource.get("efficiency") or 1),
                groups=frozenset(groups.get(resource["id"], ())),
                resource_type=resource.get("resource_type"),
                max_tasks=resource.get("max_tasks_per_day"),
                max_hours=float(resource["max_hours_per_day"])
                if resource.get("max_hours_per_day")
                else None,
            )
        )
    return engineers


def _group_members(session, scope: Scope) -> set[int] | None:
    if scope.service_group is None:
        return None
    rows = all_records(
        session, "service_group_member", [Filter("group", "eq", scope.service_group)]
    )
    return {r["resource"] for r in rows if _member_on(r, scope.day)}


def _member_on(row, day: dt.date) -> bool:
    return (row.get("start_date") is None or row["start_date"] <= day) and (
        row.get("end_date") is None or day <= row["end_date"]
    )


def _groups_of(session, ids: list[int], day: dt.date) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for row in _rows_for(session, "service_group_member", ids):
        if _member_on(row, day):
            out.setdefault(row["resource"], set()).add(row["group"])
    return out


def _by_resource(session, object_name: str, ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for row in _rows_for(session, object_name, ids):
        out.setdefault(row["resource"], []).append(row)
    return out


def _rows_for(session, object_name: str, ids: list[int]):
    if not ids:
        return []
    return all_records(session, object_name, [Filter("resource", "in", ids)])


def _shift(calendar, day: dt.date, absences, now: dt.datetime):
    """(start, end) of the working day, absences taken out; None when not working."""
    midnight = dt.datetime.combine(day, dt.time(), calendar.zone)
    spans = list(calendar.intervals(midnight, midnight + dt.timedelta(days=1)))
    if not spans:
        return None
    pieces = [(spans[0][0], spans[-1][1])]
    for absence in absences:
        pieces = [part for piece in pieces for part in _minus(piece, absence)]
    pieces = [(max(start, now), end) for start, end in pieces if end > now]
    pieces = [(start, end) for start, end in pieces if end - start >= dt.timedelta(minutes=15)]
    if not pieces:
        return None
    return max(pieces, key=lambda piece: piece[1] - piece[0])


def _minus(piece, absence):
    start, end = piece
    off_start, off_end = absence["starts_at"], absence["ends_at"]
    if off_end <= start or off_start >= end:
        return [piece]
    return [(a, b) for a, b in ((start, off_start), (off_end, end)) if b > a]


def _start_place(resource, now, recent, shift_start):
    last, seen = resource.get("last_location"), resource.get("last_seen_at")
    if last and seen and now - seen <= recent and shift_start - now < dt.timedelta(hours=12):
        return (last["lat"], last["lng"])
    home = resource.get("home_base")
    return (home["lat"], home["lng"]) if home else None

"""A day's dispatch problem read from the records: who works when and where, which tasks
may move and which are committed. Used by the optimiser job and the insertion endpoint.

An engineer's day is their working-hours calendar on that date (first to last working
interval, in the calendar's time zone, the gaps between intervals kept as breaks: lunch)
minus absences (the longest part left is kept); today it starts no earlier than now, at
their last known location when it is recent enough (``dispatch_last_location_hours``),
else at their home base; a task they are working on moves their start to its site and its
expected end. Their daily limits (most tasks, most hours) count what they did that day
already: tasks done or under way, and their time on site.

A task an engineer claimed from the grab pool (``claimed_by``, set when they claim it) is
kept on them: it may move in time, never to someone else.
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
DONE = ("completed", "awaiting_acceptance", "closed")
MOVES = {"none": (), "unassigned": (NEW,), "unstarted": (NEW, DISPATCHED)}
TASK_FIELDS = [
    "id", "version", "number", "status", "priority", "location", "duration", "service_group",
    "earliest_start", "latest_start", "due_at", "window_start", "window_end",
    "required_skills", "preferred_resource", "required_resource", "excluded_resources",
    "required_resource_type", "min_efficiency", "assigned_resource", "assigned_start",
    "started_at", "completed_at", "claimed_by",
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
    engineers, days = _engineers(session, scope, now, notes)
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
    done: dict[int, list[tuple[dict, Task]]] = {}
    for row in rows:
        engineer = by_id.get(row["assigned_resource"])
        task = task_from(row)
        if row["status"] in MOVES[scope.move] and _in_scope(row, task, scope, day_start, day_end):
            movable[row["id"]] = row
            versions[row["id"]] = row["version"]
            tasks.append(task)
        elif engineer is not None and row["status"] in WORKING:
            _start_after(engineer, row, task)
            done.setdefault(engineer.id, []).append((row, task))
            versions[row["id"]] = row["version"]
        elif engineer is not None and _committed_on(row, engineer):
            task.pinned_to = engineer.id
            start = row["assigned_start"]
            task.pinned_start = start if start >= engineer.shift_start else None
            tasks.append(task)
            versions[row["id"]] = row["version"]
    for row, task in _done(session, days):
        done.setdefault(row["assigned_resource"], []).append((row, task))
    for engineer in engineers:
        _count_against_limits(engineer, done.get(engineer.id, []))
    problem = Problem(engineers, tasks, travel_for(session))
    return Day(problem, movable, versions, notes)


def note_claim(event) -> None:
    """before_save of a field task: an engineer who takes a new task for themselves (a claim
    from the grab pool; engineers may not set the assignee otherwise) is its claimant."""
    values, old = event.values, event.old
    if event.action != "update" or "assigned_resource" not in event.changed or old is None:
        return
    taken = values.get("assigned_resource")
    if taken is None or old.get("assigned_resource") is not None or values.get("status") != NEW:
        return
    actor = event.session.actor
    if actor.is_system or actor.id is None:
        return
    resource = event.session.as_system().records.get("service_resource", taken, ["login"])
    if resource.get("login") == actor.id:
        values["claimed_by"] = taken


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
    """A field task record as a dispatch task (kept on its claimant when it was claimed)."""
    location = row.get("location")
    claimed = row.get("claimed_by") is not None and row.get("claimed_by") == row.get(
        "assigned_resource"
    )
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
        pinned_to=row["claimed_by"] if claimed else None,
        claimed=claimed,
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


def _done(session, days: dict[int, tuple[dt.datetime, dt.datetime]]):
    """(record, task) of the tasks the day's engineers finished that day already."""
    if not days:
        return
    since = min(begin for begin, _end in days.values())
    filters = [
        Filter("assigned_resource", "in", sorted(days)),
        Filter("status", "in", list(DONE)),
        Filter("completed_at", "gte", since),
    ]
    for row in all_records(session, "field_task", filters, None, TASK_FIELDS):
        begin, end = days[row["assigned_resource"]]
        if begin <= row["completed_at"] < end:
            yield row, task_from(row)


def _count_against_limits(engineer: Engineer, today: list[tuple[dict, Task]]) -> None:
    """What is left of the engineer's daily limits after the day's tasks done or under way
    (each counts as a task, and its time on site as hours worked)."""
    if engineer.max_tasks is not None:
        engineer.max_tasks = max(0, engineer.max_tasks - len(today))
    if engineer.max_hours is not None:
        seconds = sum(_on_site(engineer, row, task) for row, task in today)
        engineer.max_hours = max(0.0, engineer.max_hours - seconds / 3600)


def _on_site(engineer: Engineer, row, task: Task) -> float:
    started, completed = row.get("started_at"), row.get("completed_at")
    if started and completed:
        return max(0.0, (completed - started).total_seconds())
    return float(engineer.duration_seconds(task))


def _start_after(engineer: Engineer, row, task: Task) -> None:
    """The engineer is at this task: their plan starts there, when it should be done."""
    location = row.get("location")
    if location:
        engineer.start = (location["lat"], location["lng"])
    begun = row.get("started_at") or row.get("assigned_start") or engineer.shift_start
    done = begun + dt.timedelta(seconds=engineer.duration_seconds(task))
    engineer.shift_start = min(max(engineer.shift_start, done), engineer.shift_end)


# ---- engineers ----------------------------------------------------------------------------
def _engineers(session, scope: Scope, now: dt.datetime, notes: list[str]):
    """The day's engineers, and each one's calendar day (midnight to midnight) by id."""
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
    engineers, days = [], {}
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
        midnight = dt.datetime.combine(scope.day, dt.time(), calendar.zone)
        days[resource["id"]] = (midnight, midnight + dt.timedelta(days=1))
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
                breaks=shift[2],
            )
        )
    return engineers, days


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
    """(start, end, breaks) of the working day, absences taken out; None when not working.
    The breaks are the calendar's gaps between working intervals (lunch) inside it."""
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
    start, end = max(pieces, key=lambda piece: piece[1] - piece[0])
    gaps = ((a[1], b[0]) for a, b in zip(spans, spans[1:], strict=False) if b[0] > a[1])
    breaks = tuple((max(g0, start), min(g1, end)) for g0, g1 in gaps if g0 < end and g1 > start)
    return start, end, breaks


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

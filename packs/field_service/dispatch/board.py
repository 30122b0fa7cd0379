"""The dispatch console's board: one or more days of engineers and tasks as the schedule
board draws them, read in a handful of queries with the caller's permissions.

- ``engineers``: one row per active service resource (of a service group on the first day,
  when one is chosen): their working intervals from their working-hours calendar (a lunch
  break is the gap between two intervals), absences, groups, skills, daily limits and last
  known position (``stale`` when older than ``dispatch_stale_position_minutes``);
- ``tasks``: the tasks scheduled in the range, each with its end, the travel before it
  (from the engineer's previous stop, else their start place) and SLA risk;
- ``queue``: tasks waiting for a dispatcher: new ones that can happen in the range (or are
  overdue), dispatched ones with no start, and scheduled ones that are late or at risk,
  sorted by SLA due.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from packs.field_service.dispatch.data import DEFAULT_CALENDAR
from packs.field_service.records import all_records
from plinth.toolkit import (
    Filter,
    business_calendars,
    distance_km,
    get_settings,
    sla_clocks,
    to_jsonable,
)

OPEN = ("dispatched", "accepted", "en_route", "arrived", "in_service", "waiting_parts")
DONE = ("completed", "awaiting_acceptance", "closed")
SHOWN = (*OPEN, *DONE)
# A task planned to finish (or, not placed, that would finish if started now) within this
# long of its SLA due time is at risk, as is one whose SLA policy's warning time has passed.
AT_RISK = dt.timedelta(minutes=30)
TASK_FIELDS = [
    "id", "version", "number", "status", "priority", "type", "description", "location",
    "site", "work_order", "service_group", "assigned_resource", "assigned_start", "duration",
    "earliest_start", "latest_start", "window_start", "window_end", "due_at",
    "required_skills", "dispatch_override", "started_at", "completed_at",
]  # fmt: skip
SETTINGS = (
    "field_service.average_speed_kmh",
    "field_service.dispatch_detour_factor",
    "field_service.dispatch_last_location_hours",
)


@dataclasses.dataclass(frozen=True)
class Window:
    """The board's range: ``days`` days from ``day`` in ``zone``, maybe one service group."""

    day: dt.date
    days: int
    zone: dt.tzinfo
    service_group: int | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.day, dt.time(), self.zone)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(days=self.days)


def board(session, window: Window) -> dict[str, Any]:
    """The board's data for ``window`` (see the module's docstring)."""
    now = session.tenant.clock()
    settings = get_settings(session, SETTINGS)
    engineers = _engineers(session, window, now, settings)
    rows = list(
        all_records(
            session,
            "field_task",
            [
                Filter("status", "in", list(SHOWN)),
                Filter("assigned_start", "gte", window.start),
                Filter("assigned_start", "lt", window.end),
            ],
            ["assigned_start", "id"],
            TASK_FIELDS,
        )
    )
    if window.service_group is not None:
        rows_in_group = {e["id"] for e in engineers}
        rows = [r for r in rows if r["assigned_resource"] in rows_in_group]
    waiting = _waiting(session, window, now)
    clocks = sla_clocks(session, "work_order", [r.get("work_order") for r in rows + waiting])
    tasks = [_bar(row, clocks, now) for row in rows]
    _travel(tasks, engineers, settings, window.zone)
    bars = {task["id"]: task for task in tasks}
    queue = [_bar(row, clocks, now) for row in waiting if row["id"] not in bars]
    queue += [t for t in tasks if t["risk"] in ("late", "at_risk") and t["status"] not in DONE]
    queue.sort(key=_by_due)
    return to_jsonable(
        {
            "date": window.day.isoformat(),
            "days": window.days,
            "zone": str(window.zone),
            "now": now,
            "start": window.start,
            "end": window.end,
            "engineers": engineers,
            "tasks": tasks,
            "queue": queue,
            "groups": _groups(session),
        }
    )


# ---- engineers ----------------------------------------------------------------------------
def _engineers(session, window: Window, now: dt.datetime, settings) -> list[dict[str, Any]]:
    resources = list(all_records(session, "service_resource", [Filter("active", "eq", True)]))
    ids = [r["id"] for r in resources]
    members = _by_resource(session, "service_group_member", ids)
    groups_on_day = {
        rid: sorted({m["group"] for m in rows if _member_on(m, window.day)})
        for rid, rows in members.items()
    }
    if window.service_group is not None:
        resources = [r for r in resources if window.service_group in groups_on_day.get(r["id"], ())]
    skills = _by_resource(session, "resource_skill", ids)
    absences = _by_resource(session, "resource_absence", ids)
    calendars = business_calendars(session)
    stale_after = dt.timedelta(minutes=_stale_minutes(session))
    recent = dt.timedelta(hours=float(settings["field_service.dispatch_last_location_hours"]))
    out = []
    for resource in sorted(resources, key=lambda r: (r.get("name") or "", r["id"])):
        name = resource.get("working_hours") or DEFAULT_CALENDAR
        calendar = calendars.get(name) or calendars.get(DEFAULT_CALENDAR)
        working = list(calendar.intervals(window.start, window.end)) if calendar else []
        seen = resource.get("last_seen_at")
        last = resource.get("last_location")
        position = None
        if last and seen:
            position = {"lat": last["lat"], "lng": last["lng"], "seen_at": seen}
            position["stale"] = now - seen > stale_after
        home = resource.get("home_base")
        fresh = bool(last and seen and now - seen <= recent)
        out.append(
            {
                "id": resource["id"],
                "name": resource.get("name") or f"#{resource['id']}",
                "resource_type": resource.get("resource_type"),
                "groups": groups_on_day.get(resource["id"], []),
                "skills": {
                    s["skill_code"]: int(s.get("level") or 1)
                    for s in skills.get(resource["id"], [])
                },
                "working": [[start, end] for start, end in working],
                "absences": [
                    [a["starts_at"], a["ends_at"], a.get("reason")]
                    for a in absences.get(resource["id"], [])
                    if a["ends_at"] > window.start and a["starts_at"] < window.end
                ],
                "max_tasks": resource.get("max_tasks_per_day"),
                "max_hours": _number(resource.get("max_hours_per_day")),
                "position": position,
                "home": {"lat": home["lat"], "lng": home["lng"]} if home else None,
                "start_place": (
                    {"lat": last["lat"], "lng": last["lng"]}
                    if fresh and last
                    else ({"lat": home["lat"], "lng": home["lng"]} if home else None)
                ),
            }
        )
    return out


def _stale_minutes(session) -> float:
    value = get_settings(session, ("field_service.dispatch_stale_position_minutes",))
    return float(value["field_service.dispatch_stale_position_minutes"])


def _member_on(row, day: dt.date) -> bool:
    return (row.get("start_date") is None or row["start_date"] <= day) and (
        row.get("end_date") is None or day <= row["end_date"]
    )


def _by_resource(session, object_name: str, ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    if ids:
        for row in all_records(session, object_name, [Filter("resource", "in", ids)]):
            out.setdefault(row["resource"], []).append(row)
    return out


def _groups(session) -> list[dict[str, Any]]:
    return [
        {
            "id": g["id"],
            "name": g.get("name") or f"#{g['id']}",
            "polygon": g["polygon"] if _corners(g.get("polygon")) else None,
        }
        for g in all_records(session, "service_group", None, ["name", "id"])
    ]


def _corners(value) -> bool:
    """Whether a polygon (a JSON field: any JSON) is a list of at least 3 [lat, lng]."""
    return (
        isinstance(value, list)
        and len(value) >= 3
        and all(
            isinstance(p, list)
            and len(p) == 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in p)
            for p in value
        )
    )


def _number(value) -> float | None:
    return None if value is None else float(value)


# ---- tasks --------------------------------------------------------------------------------
def _waiting(session, window: Window, now: dt.datetime) -> list[dict[str, Any]]:
    """New tasks that may happen in the window (or should have already), and dispatched
    ones without a start."""
    filters = [Filter("status", "eq", "new")]
    if window.service_group is not None:
        filters.append(Filter("service_group", "eq", window.service_group))
    rows = []
    for row in all_records(session, "field_task", filters, ["id"], TASK_FIELDS):
        low = max((t for t in (row["earliest_start"], row["window_start"]) if t), default=None)
        if low is None or low < window.end:
            rows.append(row)
    unscheduled = [
        Filter("status", "in", list(OPEN)),
        Filter("assigned_start", "isnull", True),
    ]
    rows += list(all_records(session, "field_task", unscheduled, ["id"], TASK_FIELDS))
    return rows


def _bar(row: dict[str, Any], clocks: dict[int, list[dict]], now: dt.datetime) -> dict:
    """A task as the board shows it: when, who, SLA due and risk, and its rules."""
    start = row.get("assigned_start")
    minutes = int(row.get("duration") or 60)
    end = start + dt.timedelta(minutes=minutes) if start else None
    due, warn = _sla_due(row, clocks.get(row.get("work_order"), []))
    # when it will be done: as planned, or (not placed yet) if it started now
    finish = row.get("completed_at") or end or now + dt.timedelta(minutes=minutes)
    if row["status"] in DONE:
        risk = "late" if due and finish > due else None
    elif due and max(finish, now) > due:
        risk = "late"
    elif due and ((warn is not None and now >= warn) or finish >= due - AT_RISK):
        risk = "at_risk"
    else:
        risk = None
    location = row.get("location")
    return {
        "id": row["id"],
        "version": row["version"],
        "number": row.get("number"),
        "status": row["status"],
        "priority": row.get("priority") or "normal",
        "type": row.get("type"),
        "description": (row.get("description") or "")[:200],
        "engineer": row.get("assigned_resource"),
        "start": start,
        "end": end,
        "duration": minutes,
        "location": {"lat": location["lat"], "lng": location["lng"]} if location else None,
        "site": row.get("site"),
        "work_order": row.get("work_order"),
        "service_group": row.get("service_group"),
        "required_skills": row.get("required_skills") or [],
        "window_start": row.get("window_start"),
        "window_end": row.get("window_end"),
        "earliest_start": row.get("earliest_start"),
        "latest_start": row.get("latest_start"),
        "sla_due": due,
        "minutes_left": None if due is None else round((due - now).total_seconds() / 60),
        "risk": risk,
        "override": row.get("dispatch_override"),
    }


def _sla_due(row, clocks: list[dict]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The earliest of the task's own due time and its work order's running SLA clocks."""
    candidates = [(row["due_at"], None)] if row.get("due_at") else []
    for clock in clocks:
        if clock["stopped_at"] is None and clock["due_at"] is not None:
            candidates.append((clock["due_at"], clock.get("warn_at")))
    if not candidates:
        return None, None
    return min(candidates, key=lambda pair: pair[0])


def _by_due(task: dict) -> tuple:
    due = task["sla_due"]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (due or far, task["id"])


def _travel(tasks: list[dict], engineers: list[dict], settings, zone: dt.tzinfo) -> None:
    """Each scheduled task's travel from the engineer's previous stop on the same day."""
    speed = float(settings["field_service.average_speed_kmh"])
    detour = float(settings["field_service.dispatch_detour_factor"])
    places = {e["id"]: e["start_place"] for e in engineers}
    previous: dict[tuple[int, dt.date], dict | None] = {}
    for task in tasks:  # sorted by start
        key = (task["engineer"], task["start"].astimezone(zone).date())
        here = previous.get(key, places.get(task["engineer"]))
        km = distance_km(here, task["location"])
        if km is None:
            task["travel_km"] = task["travel_minutes"] = None
        else:
            task["travel_km"] = round(km * detour, 1)
            task["travel_minutes"] = round(km * detour / speed * 60) if speed > 0 else None
        previous[key] = task["location"] or here

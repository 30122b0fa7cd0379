"""A task dropped on an engineer and a time in the dispatch console: every hard rule checked
at once, and the drop applied (forced past the rules that allow it, the override kept).

Each broken rule is a ``Violation``: a stable ``rule`` code, the ``params`` a page needs to
say it in the user's language, an English ``message``, and whether a dispatcher may
``force`` past it. Rules checked: the task can still move (``status``; an accepted task
keeps its engineer), the engineer is active, not excluded, the required engineer, skills and
levels, service group on that day, resource type, minimum efficiency, working hours,
absences, the appointment window, earliest and latest start, overlap with the engineer's
other tasks and the travel between them, and the engineer's daily task and hour limits.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from packs.field_service.dispatch.data import DEFAULT_CALENDAR, travel_for
from packs.field_service.records import all_records
from plinth.toolkit import Conflict, Filter, business_calendars, fire_transition, json_props

MOVABLE = ("new", "dispatched")
SAME_ENGINEER = ("accepted", "en_route")
BUSY = ("dispatched", "accepted", "en_route", "arrived", "in_service", "waiting_parts")
NEVER_FORCED = frozenset({"status", "accepted", "inactive", "excluded", "absence"})


@dataclasses.dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def forcible(self) -> bool:
        return self.rule not in NEVER_FORCED

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "params": self.params,
            "forcible": self.forcible,
        }


@dataclasses.dataclass(frozen=True)
class Drop:
    """Where the dispatcher dropped a task: on ``engineer`` at ``start`` for ``minutes``."""

    task: dict[str, Any]
    engineer: dict[str, Any]
    start: dt.datetime
    minutes: int

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.minutes)


def read_drop(session, task_id: int, engineer_id: int, start: dt.datetime, minutes) -> Drop:
    """The task and engineer records of a drop (NotFound when either is not readable)."""
    task = session.records.get("field_task", task_id)
    engineer = session.records.get("service_resource", engineer_id)
    return Drop(task, engineer, start, int(minutes or task.get("duration") or 60))


def check(session, drop: Drop) -> list[Violation]:
    """Every rule the drop breaks (empty when it keeps them all)."""
    found = _task_rules(drop) + _engineer_rules(session, drop) + _calendar_rules(session, drop)
    found += _day_rules(session, drop)
    return found


def apply(session, drop: Drop, force: bool, reason: str | None) -> dict[str, Any]:
    """Place the task (dispatching a new one through the workflow); 409 with the violations
    when a rule is broken and not forced, or cannot be forced."""
    violations = check(session, drop)
    refused = [v for v in violations if not force or not v.forcible]
    if refused:
        raise Conflict(
            "the drop breaks "
            + "; ".join(v.message for v in refused)
            + ("" if force else " (force it to place the task anyway)"),
            violations=[v.as_dict() for v in violations],
        )
    values: dict[str, Any] = {
        "assigned_resource": drop.engineer["id"],
        "assigned_start": drop.start,
        "duration": drop.minutes,
    }
    override = _override_note(violations, reason, session) if violations else None
    if override or drop.task.get("dispatch_override"):
        values["dispatch_override"] = override
    task = drop.task
    if task["status"] == "new":
        record = fire_transition(
            session,
            "field_task",
            task["id"],
            "dispatch",
            values,
            comment=override,
            expected_version=task["version"],
        )
        if record["assigned_start"] != drop.start:  # the dispatch step's own start rule
            record = session.records.update(
                "field_task",
                task["id"],
                {"assigned_start": drop.start},
                expected_version=record["version"],
            )
    else:
        record = session.records.update(
            "field_task", task["id"], values, expected_version=task["version"]
        )
    forced = [v.as_dict() for v in violations]
    return {"task": record, "violations": forced, "forced": bool(forced)}


def _override_note(violations: list[Violation], reason: str | None, session) -> str:
    who = session.actor.label or f"user {session.actor.id}"
    broken = "; ".join(v.message for v in violations)
    note = f"Forced by {who}: {broken}"
    return (note + (f". Reason: {reason.strip()}" if reason and reason.strip() else ""))[:2000]


# ---- the rules ----------------------------------------------------------------------------
def _task_rules(drop: Drop) -> list[Violation]:
    task, engineer = drop.task, drop.engineer
    status = task["status"]
    if status in SAME_ENGINEER and task.get("assigned_resource") != engineer["id"]:
        return [
            Violation(
                "accepted",
                f"task {task['number']} was accepted by its engineer; reassign it first",
                {"task": task["number"]},
            )
        ]
    if status not in MOVABLE and status not in SAME_ENGINEER:
        return [
            Violation(
                "status",
                f"task {task['number']} is {status} and can no longer be moved",
                {"task": task["number"], "status": status},
            )
        ]
    found = []
    if not engineer.get("active", True):
        found.append(Violation("inactive", f"{engineer['name']} is not active", {}))
    if engineer["id"] in _ids(task.get("excluded_resources")):
        found.append(Violation("excluded", f"{engineer['name']} is excluded from this task", {}))
    required = task.get("required_resource")
    if required is not None and required != engineer["id"]:
        found.append(Violation("required", "another engineer is required", {"engineer": required}))
    wanted_type = task.get("required_resource_type")
    if wanted_type and engineer.get("resource_type") != wanted_type:
        found.append(Violation("resource_type", f"needs a {wanted_type}", {"type": wanted_type}))
    low = task.get("min_efficiency")
    if low is not None and float(engineer.get("efficiency") or 1) < float(low):
        found.append(
            Violation("efficiency", f"needs efficiency {float(low):g} or more", {"min": float(low)})
        )
    return found


def _engineer_rules(session, drop: Drop) -> list[Violation]:
    """Skills and levels, and the service group on the drop's day."""
    engineer_id = drop.engineer["id"]
    found = []
    held = {
        s["skill_code"]: int(s.get("level") or 1)
        for s in all_records(session, "resource_skill", [Filter("resource", "eq", engineer_id)])
    }
    for skill, level in _skill_needs(drop.task.get("required_skills")):
        if held.get(skill, 0) < level:
            found.append(
                Violation(
                    "skill",
                    f"needs skill {skill} at level {level} (has {held.get(skill, 0)})",
                    {"skill": skill, "level": level, "has": held.get(skill, 0)},
                )
            )
    group = drop.task.get("service_group")
    if group is not None:
        day = drop.start.astimezone(_zone(session, drop.engineer)).date()
        members = all_records(
            session,
            "service_group_member",
            [Filter("resource", "eq", engineer_id), Filter("group", "eq", group)],
        )
        if not any(_member_on(m, day) for m in members):
            found.append(
                Violation("group", "not in the task's service group that day", {"group": group})
            )
    return found


def _calendar_rules(session, drop: Drop) -> list[Violation]:
    """Working hours, absences, the appointment window and the start limits."""
    found = []
    calendar = _calendar(session, drop.engineer)
    if calendar is not None:
        around = (drop.start - dt.timedelta(days=1), drop.end + dt.timedelta(days=1))
        spans = list(calendar.intervals(*around))
        if not any(a <= drop.start and drop.end <= b for a, b in spans):
            found.append(Violation("working_hours", "outside the engineer's working hours", {}))
    for absence in all_records(
        session,
        "resource_absence",
        [
            Filter("resource", "eq", drop.engineer["id"]),
            Filter("starts_at", "lt", drop.end),
            Filter("ends_at", "gt", drop.start),
        ],
    ):
        found.append(
            Violation(
                "absence",
                "the engineer is absent then",
                {"from": absence["starts_at"], "to": absence["ends_at"]},
            )
        )
    task = drop.task
    opens, closes = task.get("window_start"), task.get("window_end")
    if (opens and drop.start < opens) or (closes and drop.start > closes):
        found.append(
            Violation(
                "window",
                "starts outside the appointment window",
                {"from": opens, "to": closes},
            )
        )
    if task.get("earliest_start") and drop.start < task["earliest_start"]:
        found.append(
            Violation(
                "earliest_start", "starts before its earliest start", {"at": task["earliest_start"]}
            )
        )
    if task.get("latest_start") and drop.start > task["latest_start"]:
        found.append(
            Violation("latest_start", "starts after its latest start", {"at": task["latest_start"]})
        )
    return found


def _day_rules(session, drop: Drop) -> list[Violation]:
    """Overlap and travel with the engineer's other tasks that day, and the daily limits."""
    zone = _zone(session, drop.engineer)
    local = drop.start.astimezone(zone)
    midnight = dt.datetime.combine(local.date(), dt.time(), zone)
    others = [
        t
        for t in all_records(
            session,
            "field_task",
            [
                Filter("assigned_resource", "eq", drop.engineer["id"]),
                Filter("status", "in", list(BUSY)),
                Filter("assigned_start", "gte", midnight),
                Filter("assigned_start", "lt", midnight + dt.timedelta(days=1)),
            ],
            ["assigned_start"],
            ["id", "number", "assigned_start", "duration", "location"],
        )
        if t["id"] != drop.task["id"]
    ]
    found = []
    for other in others:
        other_end = other["assigned_start"] + dt.timedelta(minutes=int(other["duration"] or 60))
        if other["assigned_start"] < drop.end and drop.start < other_end:
            found.append(
                Violation("overlap", f"overlaps task {other['number']}", {"task": other["number"]})
            )
    found += _travel_rules(session, drop, others)
    limit = drop.engineer.get("max_tasks_per_day")
    if limit is not None and len(others) + 1 > int(limit):
        found.append(
            Violation(
                "daily_tasks",
                f"more than {limit} tasks that day",
                {"limit": int(limit), "count": len(others) + 1},
            )
        )
    hours_limit = drop.engineer.get("max_hours_per_day")
    if hours_limit is not None:
        hours = (sum(int(o["duration"] or 60) for o in others) + drop.minutes) / 60
        if hours > float(hours_limit):
            found.append(
                Violation(
                    "daily_hours",
                    f"more than {float(hours_limit):g} hours of work that day",
                    {"limit": float(hours_limit), "hours": round(hours, 1)},
                )
            )
    return found


def _travel_rules(session, drop: Drop, others: list[dict]) -> list[Violation]:
    """Not enough time to drive from the stop before, or to the stop after."""
    here = drop.task.get("location")
    if not here:
        return []
    before = [o for o in others if o["assigned_start"] < drop.start and o.get("location")]
    after = [o for o in others if o["assigned_start"] >= drop.start and o.get("location")]
    legs = []
    if before:
        last = before[-1]
        last_end = last["assigned_start"] + dt.timedelta(minutes=int(last["duration"] or 60))
        legs.append((last, last["location"], here, drop.start - last_end))
    if after:
        legs.append((after[0], here, after[0]["location"], after[0]["assigned_start"] - drop.end))
    if not legs:
        return []
    travel = travel_for(session)
    found = []
    for other, a, b, gap in legs:
        _metres, seconds = travel.matrices([(a["lat"], a["lng"])], [(b["lat"], b["lng"])])
        need = int(seconds[0][0])
        if gap.total_seconds() >= 0 and gap.total_seconds() < need:
            found.append(
                Violation(
                    "travel",
                    f"{round(need / 60)} min of travel to or from task {other['number']} "
                    f"do not fit",
                    {"task": other["number"], "minutes": round(need / 60)},
                )
            )
    return found


# ---- helpers ------------------------------------------------------------------------------
def _calendar(session, engineer: dict):
    calendars = business_calendars(session)
    return calendars.get(engineer.get("working_hours") or DEFAULT_CALENDAR) or calendars.get(
        DEFAULT_CALENDAR
    )


def _zone(session, engineer: dict) -> dt.tzinfo:
    calendar = _calendar(session, engineer)
    return calendar.zone if calendar is not None else dt.UTC


def _member_on(row, day: dt.date) -> bool:
    return (row.get("start_date") is None or row["start_date"] <= day) and (
        row.get("end_date") is None or day <= row["end_date"]
    )


def _ids(value) -> set[int]:
    if not isinstance(value, list):
        return set()
    ids = (json_props.id_from_text(i) if isinstance(i, str) else i for i in value)
    return {i for i in ids if json_props.is_id(i)}


def _skill_needs(value) -> list[tuple[str, int]]:
    needs = []
    for item in value if isinstance(value, list) else ():
        if isinstance(item, str):
            needs.append((item, 1))
        elif isinstance(item, dict) and isinstance(item.get("skill"), str):
            level = item.get("level", 1)
            needs.append((item["skill"], level if isinstance(level, int) else 1))
    return needs

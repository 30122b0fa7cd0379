"""A ready proposal against the schedule as it stands: what would change, shown before
anything is written.

- ``tasks``: every task the proposal may move, as ``assigned`` (new, gets an engineer),
  ``moved`` (another engineer or another time), ``unchanged`` or ``left_out`` (with the
  optimiser's reason), each with where it is now and where it would be;
- ``totals``: driving (km and minutes) now and with the proposal, late tasks (planned to
  finish after their due time) now and with it, tasks placed;
- ``engineers``: each engineer's load (tasks and hours of work) now and with it.

"Now" is the committed schedule of the proposal's day and scope, driven with the same
travel model as the optimiser (start place, the day's tasks in order, home).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from packs.field_service.dispatch.data import Scope, load_day
from packs.field_service.records import all_records
from plinth.toolkit import Filter, to_jsonable

FIELDS = ["id", "number", "status", "assigned_resource", "assigned_start", "duration", "due_at"]


def plan_diff(session, proposal: dict[str, Any]) -> dict[str, Any]:
    """The proposal's changes to the day (see the module's docstring)."""
    plan = proposal.get("plan") or {}
    routes = plan.get("routes", [])
    movable = set(plan.get("movable", []))
    planned = {
        visit["task"]: (route["engineer"], _instant(visit["start"]), _instant(visit["end"]))
        for route in routes
        for visit in route["tasks"]
    }
    ids = sorted(movable | set(planned))
    rows = (
        {
            r["id"]: r
            for r in all_records(session, "field_task", [Filter("id", "in", ids)], None, FIELDS)
        }
        if ids
        else {}
    )
    changes = []
    for task_id in sorted(movable, key=lambda i: (rows.get(i, {}).get("number") or "", i)):
        row = rows.get(task_id)
        if row is None:
            continue
        before = {"engineer": row["assigned_resource"], "start": row["assigned_start"]}
        if task_id in planned:
            engineer, start, end = planned[task_id]
            after = {"engineer": engineer, "start": start, "end": end}
            kind = _kind(row, engineer, start)
        else:
            after, kind = None, "left_out"
        changes.append(
            {
                "task": task_id,
                "number": row.get("number"),
                "change": kind,
                "before": before,
                "after": after,
                "reason": _reason(plan, task_id) if kind == "left_out" else None,
            }
        )
    scope = Scope(proposal["date"], proposal.get("service_group"), "none", None)
    day = load_day(session, scope, session.tenant.clock())
    current = _current_routes(day)
    counts: dict[str, int] = {}
    for change in changes:
        counts[change["change"]] = counts.get(change["change"], 0) + 1
    totals = plan.get("totals", {})
    result = {
        "proposal": proposal["id"],
        "status": proposal["status"],
        "tasks": changes,
        "counts": {k: counts.get(k, 0) for k in ("assigned", "moved", "unchanged", "left_out")},
        "totals": {
            "travel_km": {"now": current["km"], "proposed": totals.get("travel_km")},
            "travel_minutes": {"now": current["minutes"], "proposed": totals.get("travel_minutes")},
            "late_tasks": {"now": current["late"], "proposed": totals.get("late_tasks")},
            "tasks_placed": {"now": current["tasks"], "proposed": totals.get("tasks_placed")},
        },
        "engineers": _loads(day, current, routes),
    }
    return to_jsonable(result)


def _kind(row: dict, engineer: int, start: dt.datetime) -> str:
    if row["assigned_resource"] is None or row["status"] == "new":
        return "assigned"
    same_start = (
        row["assigned_start"] is not None
        and abs((row["assigned_start"] - start).total_seconds()) < 60
    )
    return "unchanged" if row["assigned_resource"] == engineer and same_start else "moved"


def _reason(plan: dict, task_id: int) -> str | None:
    return next((u["reason"] for u in plan.get("unplaced", []) if u["task"] == task_id), None)


def _current_routes(day) -> dict[str, Any]:
    """The committed schedule driven as it stands: km, minutes and tasks per engineer."""
    problem = day.problem
    per_engineer: dict[int, dict[str, float]] = {}
    total_m = total_s = 0.0
    placed = late = 0
    for engineer in problem.engineers:
        mine = sorted(
            (t for t in problem.tasks if t.pinned_to == engineer.id and t.location),
            key=lambda t: t.pinned_start or engineer.shift_start,
        )
        path = [engineer.start, *(t.location for t in mine), engineer.end]
        metres, seconds = problem.travel.matrices(path)
        legs = list(zip(range(len(path) - 1), range(1, len(path)), strict=True))
        driven_m = float(sum(metres[a][b] for a, b in legs)) if mine else 0.0
        driven_s = float(sum(seconds[a][b] for a, b in legs)) if mine else 0.0
        hours = sum(t.duration_minutes for t in mine) / 60
        for task in mine:
            start = task.pinned_start or engineer.shift_start
            late += bool(
                task.due_at and start + dt.timedelta(minutes=task.duration_minutes) > task.due_at
            )
        per_engineer[engineer.id] = {"tasks": len(mine), "hours": round(hours, 2)}
        total_m += driven_m
        total_s += driven_s
        placed += len(mine)
    return {
        "km": round(total_m / 1000, 2),
        "minutes": round(total_s / 60, 1),
        "tasks": placed,
        "late": late,
        "per_engineer": per_engineer,
    }


def _loads(day, current: dict, routes: list[dict]) -> list[dict[str, Any]]:
    proposed: dict[int, dict[str, float]] = {}
    for route in routes:
        hours = sum(
            (_instant(v["end"]) - _instant(v["start"])).total_seconds() / 3600
            for v in route["tasks"]
        )
        proposed[route["engineer"]] = {"tasks": len(route["tasks"]), "hours": round(hours, 2)}
    empty = {"tasks": 0, "hours": 0.0}
    return [
        {
            "engineer": e.id,
            "name": e.name,
            "now": current["per_engineer"].get(e.id, empty),
            "proposed": proposed.get(e.id, empty),
        }
        for e in day.problem.engineers
    ]


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

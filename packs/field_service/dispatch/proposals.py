"""Dispatch proposals: an optimisation run as a job with progress, and committing its plan.

A proposal record is created by the caller (so their permissions apply) and a long
running job solves it: it reads the day in one short transaction, solves with no
transaction open (reporting progress on the record about once a second), and stores the
plan. Committing checks that no task the plan depends on changed since, then dispatches
every placed task through the workflow, all in the caller's one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from packs.field_service.dispatch import optimize
from packs.field_service.dispatch.data import DISPATCHED, NEW, Scope, load_day, note_claim
from packs.field_service.dispatch.optimize import NoPlanFound
from packs.field_service.dispatch.travel import TravelError
from packs.field_service.records import all_records
from plinth.toolkit import SYSTEM, Conflict, Filter, fire_transition, get_setting

log = logging.getLogger(__name__)
JOB = "field_service.dispatch_optimize"
OBJECT = "dispatch_proposal"


def register(context) -> None:
    context.jobs.register(JOB, run_proposal, max_attempts=1, long_running=True)
    context.hooks.register("before_save", note_claim, objects=["field_task"])
    context.hooks.register("after_save", queue_when_created, objects=[OBJECT])


def queue_when_created(event) -> None:
    """A proposal created anywhere (the API, the record pages, an import) is queued for its
    optimisation in the same transaction: the job is handed on when it commits."""
    if event.action != "create" or event.values.get("job"):
        return
    session = event.session
    key = session.tenant.jobs.enqueue(session, JOB, {"proposal": event.values["id"]})
    session.as_system().records.update(OBJECT, event.values["id"], {"job": key})


def start(session, scope: Scope, seconds: int, balance: int | None = None) -> dict[str, Any]:
    """Create a proposal as the caller (which queues its optimisation); returns the record.
    ``balance`` (0-100): from least driving to a balanced workload (None: the pack setting
    ``dispatch_balance_weight``)."""
    proposal = session.records.create(
        OBJECT,
        {
            "date": scope.day,
            "service_group": scope.service_group,
            "move": scope.move,
            "seconds": seconds,
            "balance": balance,
        },
    )
    if scope.task_ids:
        scoped = {"task_ids": list(scope.task_ids)}
        session.as_system().records.update(OBJECT, proposal["id"], {"fingerprint": scoped})
    return session.records.get(OBJECT, proposal["id"])


def run_proposal(ctx) -> None:
    """The job: solve one queued proposal (a proposal that already ran is left alone)."""
    tenant, proposal_id = ctx.tenant, ctx.payload["proposal"]
    with tenant.session(SYSTEM) as session:
        proposal = session.records.get(OBJECT, proposal_id)
        if proposal["status"] != "queued":
            return
        task_ids = (proposal.get("fingerprint") or {}).get("task_ids")
        scope = Scope(
            proposal["date"],
            proposal.get("service_group"),
            proposal.get("move") or "unassigned",
            tuple(task_ids) if task_ids else None,
        )
        day = load_day(session, scope, tenant.clock())
        balance = proposal.get("balance")
        if balance is None:
            balance = get_setting(session, "field_service.dispatch_balance_weight")
        running = {"status": "running", "progress": 0, "balance": balance}
        session.records.update(OBJECT, proposal_id, running)

    def report(progress) -> None:
        percent = min(99, int(progress.fraction * 100))
        with tenant.session(SYSTEM) as session:
            session.records.update(OBJECT, proposal_id, {"progress": percent})

    try:
        seconds = float(proposal["seconds"])
        plan = optimize(day.problem, seconds, on_progress=report, balance=balance)
    except (NoPlanFound, TravelError, ValueError) as exc:
        _finish(tenant, proposal_id, {"status": "failed", "error": str(exc)[:2000]})
        return
    except Exception as exc:
        _finish(tenant, proposal_id, {"status": "failed", "error": f"internal error: {exc}"[:2000]})
        raise
    result = plan.as_dict()
    result["notes"] = day.notes
    result["movable"] = sorted(day.movable)
    totals = result["totals"]
    _finish(
        tenant,
        proposal_id,
        {
            "status": "ready",
            "progress": 100,
            "plan": result,
            "fingerprint": {
                "task_ids": task_ids,
                "versions": {str(k): v for k, v in day.versions.items()},
            },
            "tasks_placed": totals["tasks_placed"],
            "tasks_unplaced": totals["tasks_unplaced"],
            "travel_km": totals["travel_km"],
        },
    )


def _finish(tenant, proposal_id: int, values: dict) -> None:
    with tenant.session(SYSTEM) as session:
        session.records.update(OBJECT, proposal_id, values)


def commit(session, proposal_id: int) -> dict[str, Any]:
    """Apply a ready proposal as the caller; 409 when it is not ready or the data changed."""
    proposal = session.records.lock(OBJECT, proposal_id, "read")  # the dispatches check roles
    if proposal["status"] != "ready":
        raise Conflict(
            f"proposal {proposal['number']} is {proposal['status']}; only a ready one can be "
            "committed",
            state=proposal["status"],
        )
    seen = {int(k): v for k, v in (proposal["fingerprint"] or {}).get("versions", {}).items()}
    changed = _changed_tasks(session.as_system(), seen)
    if changed:
        raise Conflict(
            f"{len(changed)} task(s) changed since the proposal was made; optimise again",
            changed_tasks=changed,
        )
    movable = set(proposal["plan"].get("movable", []))
    counts = {"dispatched": 0, "rescheduled": 0, "unchanged": 0}
    for route in proposal["plan"]["routes"]:
        for visit in route["tasks"]:
            if visit["task"] in movable:
                counts[_apply(session, visit, route["engineer"], seen[visit["task"]])] += 1
    session.as_system().records.update(
        OBJECT, proposal_id, {"status": "committed", "committed_at": session.tenant.clock()}
    )
    return {"proposal": proposal_id, **counts}


def _changed_tasks(system, seen: dict[int, int]) -> list[int]:
    if not seen:
        return []
    rows = all_records(
        system, "field_task", [Filter("id", "in", sorted(seen))], None, ["id", "version"]
    )
    current = {row["id"]: row["version"] for row in rows}
    return sorted(task_id for task_id, version in seen.items() if current.get(task_id) != version)


def _apply(session, visit: dict, engineer_id: int, version: int) -> str:
    start = dt.datetime.fromisoformat(visit["start"].replace("Z", "+00:00"))
    values = {"assigned_resource": engineer_id, "assigned_start": start}
    task = session.records.get(
        "field_task", visit["task"], ["id", "status", "assigned_resource", "assigned_start"]
    )
    if task["status"] == NEW:
        fire_transition(
            session, "field_task", task["id"], "dispatch", values, expected_version=version
        )
        return "dispatched"
    if task["status"] == DISPATCHED:
        if task["assigned_resource"] == engineer_id and task["assigned_start"] == start:
            return "unchanged"
        session.records.update("field_task", task["id"], values, expected_version=version)
        return "rescheduled"
    raise Conflict(f"task {task['id']} is {task['status']}; optimise again")

"""Committing a proposal so that it can be undone, and undoing it.

Committing keeps, on the proposal, each task it may move as it was (status, engineer,
start) and its version right after the commit. Undo puts every one of them back in one
transaction (a task that was new is recalled through the workflow, a rescheduled one gets
its engineer and start again) while none of them changed since; otherwise it refuses (409)
naming the tasks that changed, and nothing is written.
"""

from __future__ import annotations

from typing import Any

from packs.field_service.dispatch import proposals as dispatch_proposals
from packs.field_service.records import all_records
from plinth.toolkit import Conflict, Filter, fire_transition, to_jsonable

OBJECT = dispatch_proposals.OBJECT
FIELDS = ["id", "version", "status", "assigned_resource", "assigned_start"]


def commit(session, proposal_id: int) -> dict[str, Any]:
    """Commit a ready proposal as the caller, keeping what undo needs."""
    proposal = session.records.get(OBJECT, proposal_id)
    movable = sorted(set((proposal.get("plan") or {}).get("movable", [])))
    before = _tasks(session, movable)
    counts = dispatch_proposals.commit(session, proposal_id)
    after = _tasks(session, movable)
    kept = to_jsonable(
        {
            "before": {
                str(task_id): {
                    "status": row["status"],
                    "assigned_resource": row["assigned_resource"],
                    "assigned_start": row["assigned_start"],
                }
                for task_id, row in before.items()
            },
            "after": {str(task_id): row["version"] for task_id, row in after.items()},
        }
    )
    session.as_system().records.update(OBJECT, proposal_id, {"undo": kept})
    return {**counts, "undoable": True}


def undo(session, proposal_id: int) -> dict[str, Any]:
    """Restore the schedule a committed proposal replaced; 409 when anything changed."""
    proposal = session.records.lock(OBJECT, proposal_id, "read")
    kept = proposal.get("undo")
    if proposal["status"] != "committed" or not kept:
        raise Conflict(
            f"proposal {proposal['number']} is {proposal['status']}; only a committed one "
            "can be undone",
            state=proposal["status"],
        )
    versions = {int(k): v for k, v in kept["after"].items()}
    current = _tasks(session.as_system(), sorted(versions))
    changed = sorted(i for i, v in versions.items() if current.get(i, {}).get("version") != v)
    if changed:
        raise Conflict(
            f"{len(changed)} task(s) changed since the commit; undo would overwrite that",
            changed_tasks=changed,
        )
    restored = 0
    for key, was in kept["before"].items():
        task_id = int(key)
        now = current[task_id]
        if _same(now, was):
            continue
        version = now["version"]
        if was["status"] == "new" and now["status"] == "dispatched":
            recalled = fire_transition(
                session, "field_task", task_id, "recall", None, expected_version=version
            )
            version = recalled["version"]
        values = {
            "assigned_resource": was["assigned_resource"],
            "assigned_start": was["assigned_start"],
        }
        session.records.update("field_task", task_id, values, expected_version=version)
        restored += 1
    session.as_system().records.update(
        OBJECT, proposal_id, {"status": "undone", "undone_at": session.tenant.clock()}
    )
    return {"proposal": proposal_id, "restored": restored}


def _tasks(session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = all_records(session, "field_task", [Filter("id", "in", ids)], None, FIELDS)
    return {row["id"]: row for row in rows}


def _same(now: dict, was: dict) -> bool:
    """Whether the task is where it was (``was`` as kept: JSON)."""
    shown = to_jsonable({k: now[k] for k in ("status", "assigned_resource", "assigned_start")})
    return all(shown[k] == was[k] for k in shown)

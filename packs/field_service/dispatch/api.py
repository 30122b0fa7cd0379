"""The dispatch API: optimise a day (a job with progress), read and commit proposals, and
fit one new task into the committed schedule."""

from __future__ import annotations

import datetime as dt

from flask import jsonify

from packs.field_service.dispatch import best_insertions
from packs.field_service.dispatch import proposals as dispatch_proposals
from packs.field_service.dispatch import undo as dispatch_undo
from packs.field_service.dispatch.data import DEFAULT_CALENDAR, NEW, Scope, load_day, task_from
from packs.field_service.dispatch.insertion import NoSlot
from plinth.toolkit import (
    Conflict,
    answer,
    api_session,
    calendar_for,
    fire_transition,
    load_body,
    path_param,
    request_body,
    schemas,
)

TAG = ["dispatch"]


class OptimizeBody(schemas.Body):
    date = schemas.Day(required=True, metadata={"description": "The day to plan"})
    service_group = schemas.Id("service group", metadata={"description": "Only this group"})
    move = schemas.Choice(
        ["unassigned", "unstarted"],
        metadata={
            "default": "unassigned",
            "description": "unassigned: only new tasks are placed; unstarted: dispatched "
            "tasks not yet accepted may move too",
        },
    )
    tasks = schemas.ListOf(
        schemas.Id("field task"),
        5000,
        metadata={"description": "Only these tasks may move (default every task in scope)"},
    )
    seconds = schemas.Whole(1, 300, metadata={"default": 10})
    balance = schemas.Whole(
        0,
        100,
        metadata={
            "description": "Goal between least driving (0) and a balanced workload (100); "
            "default the setting field_service.dispatch_balance_weight"
        },
    )


class InsertBody(schemas.Body):
    task = schemas.Id("field task", required=True, metadata={"description": "A new task"})
    date = schemas.Day(metadata={"description": "Default: the task's day"})
    limit = schemas.Whole(1, 20, metadata={"default": 5})
    commit = schemas.Flag(
        metadata={"default": False, "description": "Dispatch the task into the best slot at once"}
    )


class Queued(schemas.Answer):
    """An optimisation on its way: poll the proposal (url) for its progress."""

    id = schemas.Whole(required=True)
    number = schemas.Text(required=True, allow_none=True)
    status = schemas.Text(required=True)
    job_id = schemas.Text(required=True, allow_none=True, metadata={"description": "its job key"})
    url = schemas.Text(required=True)


PROPOSAL_ID = path_param("proposal_id", {"type": "integer"})
OPTIMIZE_OPENAPI = {
    "post": {
        "summary": "Optimise a day's schedule (runs as a job; poll the proposal for progress)",
        "tags": TAG,
        "requestBody": request_body(OptimizeBody),
        "responses": {
            "202": {
                "description": "The queued proposal with its id and job id",
                "content": {"application/json": {"schema": Queued}},
            },
            "403": {"description": "Only dispatchers and service managers may optimise"},
            "422": {"description": "Invalid scope"},
        },
    }
}
PROPOSAL_OPENAPI = {
    "get": {
        "summary": "A proposal: status, progress, and when ready the plan (routes, unplaced "
        "tasks with reasons, totals)",
        "tags": TAG,
        "parameters": [PROPOSAL_ID],
        "responses": {"200": {"description": "The proposal"}, "404": {"description": "None"}},
    }
}
COMMIT_OPENAPI = {
    "post": {
        "summary": "Commit a ready proposal: dispatch its tasks through the workflow",
        "tags": TAG,
        "parameters": [PROPOSAL_ID],
        "responses": {
            "200": {"description": "How many tasks were dispatched or rescheduled; undoable"},
            "409": {"description": "Not ready, or tasks changed since (changed_tasks)"},
        },
    }
}
INSERT_OPENAPI = {
    "post": {
        "summary": "The best engineers and slots for one new task in the committed schedule",
        "tags": TAG,
        "requestBody": request_body(InsertBody),
        "responses": {
            "200": {"description": "best, alternatives (or reason when there is no slot)"},
            "409": {"description": "The task is not new, or commit asked and no slot"},
        },
    }
}


def register(context) -> None:
    route = context.api_route
    route("/dispatch/optimize", ["POST"], OPTIMIZE_OPENAPI)(optimize_day)
    route("/dispatch/proposals/<id:proposal_id>", ["GET"], PROPOSAL_OPENAPI)(get_proposal)
    route("/dispatch/proposals/<id:proposal_id>/commit", ["POST"], COMMIT_OPENAPI)(commit_proposal)
    route("/dispatch/insert", ["POST"], INSERT_OPENAPI)(insert_task)


def optimize_day():
    """Queue an optimisation of a day; answers at once with the proposal and job ids."""
    body = load_body(OptimizeBody)
    scope = Scope(
        body["date"],
        body.get("service_group"),
        body.get("move", "unassigned"),
        tuple(body["tasks"]) if body.get("tasks") else None,
    )
    with api_session() as s:
        proposal = dispatch_proposals.start(s, scope, body.get("seconds", 10), body.get("balance"))
    url = f"/api/v1/dispatch/proposals/{proposal['id']}"
    queued = {**proposal, "job_id": proposal["job"], "url": url}
    return answer(Queued, queued, 202, {"Location": url})


def get_proposal(proposal_id: int):
    with api_session() as s:
        return jsonify(s.records.get(dispatch_proposals.OBJECT, proposal_id))


def commit_proposal(proposal_id: int):
    """Apply a ready proposal, keeping what undo needs (POST .../undo)."""
    with api_session() as s:
        return jsonify(dispatch_undo.commit(s, proposal_id))


def insert_task():
    """Rank every qualified engineer's best gap for the task; optionally dispatch it there."""
    body = load_body(InsertBody)
    with api_session() as s:
        row = s.records.get("field_task", body["task"])
        if row["status"] != NEW:
            raise Conflict(f"task {row['number']} is {row['status']}, not new", state=row["status"])
        task = task_from(row)
        day = body.get("date") or _day_of(s, task)
        schedule = load_day(s, Scope(day, move="none"), s.tenant.clock()).problem
        schedule.tasks = [t for t in schedule.tasks if t.id != task.id]
        result = {"task": task.id, "date": day.isoformat(), "best": None, "alternatives": []}
        try:
            slots = best_insertions(schedule, task, body.get("limit", 5))
        except NoSlot as exc:
            if body.get("commit"):
                raise Conflict(f"no slot for task {row['number']}: {exc}") from None
            return jsonify({**result, "reason": str(exc)})
        result["best"] = slots[0].as_dict()
        result["alternatives"] = [slot.as_dict() for slot in slots[1:]]
        if body.get("commit"):
            values = {"assigned_resource": slots[0].engineer_id, "assigned_start": slots[0].start}
            fire_transition(
                s, "field_task", task.id, "dispatch", values, expected_version=row["version"]
            )
            result["committed"] = True
        return jsonify(result)


def _day_of(session, task) -> dt.date:
    """The task's day in the default working calendar's zone (today when it has no bound)."""
    docs = session.compiled.docs("calendars")
    zone = calendar_for(docs[DEFAULT_CALENDAR]).zone if DEFAULT_CALENDAR in docs else dt.UTC
    low, _high = task.start_bounds()
    return (low or session.tenant.clock()).astimezone(zone).date()

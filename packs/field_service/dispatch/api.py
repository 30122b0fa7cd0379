"""The dispatch API: optimise a day (a job with progress), read and commit proposals, and
fit one new task into the committed schedule."""

from __future__ import annotations

import datetime as dt

from flask import jsonify

from packs.field_service.dispatch import best_insertions
from packs.field_service.dispatch import proposals as dispatch_proposals
from packs.field_service.dispatch.data import DEFAULT_CALENDAR, NEW, Scope, load_day, task_from
from packs.field_service.dispatch.insertion import NoSlot
from plinth.toolkit import (
    Conflict,
    ValidationError,
    api_session,
    calendar_for,
    checked_body,
    fire_transition,
    json_props,
    path_param,
    request_body,
)

TAG = ["dispatch"]
ID = {"type": "integer", "minimum": 1, "maximum": json_props.MAX_ID}
OPTIMIZE_BODY = {
    "type": "object",
    "required": ["date"],
    "additionalProperties": False,
    "properties": {
        "date": {"type": "string", "format": "date", "description": "The day to plan"},
        "service_group": {**ID, "description": "Only this service group"},
        "move": {
            "enum": ["unassigned", "unstarted"],
            "default": "unassigned",
            "description": "unassigned: only new tasks are placed; unstarted: dispatched "
            "tasks not yet accepted may move too",
        },
        "tasks": {
            "type": "array",
            "items": ID,
            "maxItems": 5000,
            "description": "Only these tasks may move (default every task in scope)",
        },
        "seconds": {"type": "integer", "minimum": 1, "maximum": 300, "default": 10},
    },
}
INSERT_BODY = {
    "type": "object",
    "required": ["task"],
    "additionalProperties": False,
    "properties": {
        "task": {**ID, "description": "A new (undispatched) field task"},
        "date": {"type": "string", "format": "date", "description": "Default: the task's day"},
        "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        "commit": {
            "type": "boolean",
            "default": False,
            "description": "Dispatch the task into the best slot at once",
        },
    },
}
PROPOSAL_ID = path_param("proposal_id", {"type": "integer"})
OPTIMIZE_OPENAPI = {
    "post": {
        "summary": "Optimise a day's schedule (runs as a job; poll the proposal for progress)",
        "tags": TAG,
        "requestBody": request_body(OPTIMIZE_BODY),
        "responses": {
            "202": {"description": "The queued proposal with its id and job id"},
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
            "200": {"description": "How many tasks were dispatched or rescheduled"},
            "409": {"description": "Not ready, or tasks changed since (changed_tasks)"},
        },
    }
}
INSERT_OPENAPI = {
    "post": {
        "summary": "The best engineers and slots for one new task in the committed schedule",
        "tags": TAG,
        "requestBody": request_body(INSERT_BODY),
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
    body = checked_body(OPTIMIZE_BODY)
    scope = Scope(
        _date(body),
        body.get("service_group"),
        body.get("move", "unassigned"),
        tuple(body["tasks"]) if body.get("tasks") else None,
    )
    with api_session() as s:
        proposal = dispatch_proposals.start(s, scope, body.get("seconds", 10))
    answer = {
        "id": proposal["id"],
        "number": proposal["number"],
        "status": proposal["status"],
        "job_id": proposal["job"],
        "url": f"/api/v1/dispatch/proposals/{proposal['id']}",
    }
    response = jsonify(answer)
    response.status_code = 202
    response.headers["Location"] = answer["url"]
    return response


def get_proposal(proposal_id: int):
    with api_session() as s:
        return jsonify(s.records.get(dispatch_proposals.OBJECT, proposal_id))


def commit_proposal(proposal_id: int):
    with api_session() as s:
        return jsonify(dispatch_proposals.commit(s, proposal_id))


def insert_task():
    """Rank every qualified engineer's best gap for the task; optionally dispatch it there."""
    body = checked_body(INSERT_BODY)
    with api_session() as s:
        row = s.records.get("field_task", body["task"])
        if row["status"] != NEW:
            raise Conflict(f"task {row['number']} is {row['status']}, not new", state=row["status"])
        task = task_from(row)
        day = _date(body) if body.get("date") else _day_of(s, task)
        schedule = load_day(s, Scope(day, move="none"), s.tenant.clock()).problem
        schedule.tasks = [t for t in schedule.tasks if t.id != task.id]
        answer = {"task": task.id, "date": day.isoformat(), "best": None, "alternatives": []}
        try:
            slots = best_insertions(schedule, task, body.get("limit", 5))
        except NoSlot as exc:
            if body.get("commit"):
                raise Conflict(f"no slot for task {row['number']}: {exc}") from None
            return jsonify({**answer, "reason": str(exc)})
        answer["best"] = slots[0].as_dict()
        answer["alternatives"] = [slot.as_dict() for slot in slots[1:]]
        if body.get("commit"):
            values = {"assigned_resource": slots[0].engineer_id, "assigned_start": slots[0].start}
            fire_transition(
                s, "field_task", task.id, "dispatch", values, expected_version=row["version"]
            )
            answer["committed"] = True
        return jsonify(answer)


def _date(body: dict) -> dt.date:
    """The body's date; the schema checked its form, this its range (9999-12-31 has no
    next day to end it)."""
    day = json_props.date_from_text(body["date"])
    if day is None:
        raise ValidationError.single("date", "must be a date from 0001-01-02 to 9999-12-30")
    return day


def _day_of(session, task) -> dt.date:
    """The task's day in the default working calendar's zone (today when it has no bound)."""
    docs = session.compiled.docs("calendars")
    zone = calendar_for(docs[DEFAULT_CALENDAR]).zone if DEFAULT_CALENDAR in docs else dt.UTC
    low, _high = task.start_bounds()
    return (low or session.tenant.clock()).astimezone(zone).date()

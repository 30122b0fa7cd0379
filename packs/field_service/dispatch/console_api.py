"""The dispatch console's API: the board of a day or a week, checking a drop against every
hard rule, and placing a task (forced past the rules that allow it)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

from flask import Response, jsonify, request

from packs.field_service.dispatch import board as dispatch_board
from packs.field_service.dispatch import drops, plan_diff
from packs.field_service.dispatch import proposals as dispatch_proposals
from packs.field_service.dispatch import undo as dispatch_undo
from plinth.toolkit import (
    SYSTEM,
    PermissionDenied,
    api_session,
    current_tenant,
    date_arg,
    int_arg,
    latest_change,
    load_body,
    path_param,
    request_body,
    schemas,
)

TAG = ["dispatch"]
ROLES = frozenset({"dispatcher", "service_manager"})
# What the board shows: a change to any of these records is news for every open console.
WATCHED = ("field_task", "service_resource", "resource_absence", "service_group_member")
# The event stream looks for changes this often, and ends after STREAM_SECONDS (the browser
# reconnects at once, carrying the last stamp it saw): a console holds a server thread only
# that long at a time.
POLL_SECONDS = 0.3
STREAM_SECONDS = 25
KEEP_ALIVE_SECONDS = 10


class DropBody(schemas.Body):
    task = schemas.Id("field task", required=True)
    engineer = schemas.Id("service resource", required=True)
    start = schemas.Instant(required=True, metadata={"description": "The planned start"})
    duration = schemas.Whole(5, 10080, metadata={"description": "Minutes (default: the task's)"})


class PlaceBody(DropBody):
    force = schemas.Flag(
        metadata={"default": False, "description": "Place it past the rules that allow it"}
    )
    reason = schemas.Text(2000, allow_none=True, metadata={"description": "Why it was forced"})
    version = schemas.Whole(
        1, None, metadata={"description": "The task's version as the console saw it"}
    )


VIOLATIONS = {
    "description": "Every rule the drop breaks: rule, message, params, forcible",
}
BOARD_OPENAPI = {
    "get": {
        "summary": "The schedule board: engineers with working hours, absences and "
        "positions; scheduled tasks with travel and SLA risk; the queue of tasks to place",
        "tags": TAG,
        "parameters": [
            {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"}},
            {"name": "days", "in": "query", "schema": {"type": "integer", "enum": [1, 7]}},
            {"name": "service_group", "in": "query", "schema": {"type": "integer"}},
        ],
        "responses": {
            "200": {"description": "The board"},
            "403": {"description": "Only dispatchers and service managers"},
        },
    }
}
CHECK_OPENAPI = {
    "post": {
        "summary": "Check a task dropped on an engineer and a time against every hard rule",
        "tags": TAG,
        "requestBody": request_body(DropBody),
        "responses": {"200": {"description": "ok, and the violations (none when ok)"}},
    }
}
PLACE_OPENAPI = {
    "post": {
        "summary": "Place a task on an engineer and a time (a new task is dispatched)",
        "tags": TAG,
        "requestBody": request_body(PlaceBody),
        "responses": {
            "200": {"description": "The task as placed, and the rules forced past"},
            "409": {"description": "Rules broken and not forced, or not forcible: violations"},
        },
    }
}


EVENTS_OPENAPI = {
    "get": {
        "summary": "Server-sent events: `changed` (data: a stamp) whenever a task, an "
        "engineer, an absence or a group membership changes; the stream ends after "
        f"{STREAM_SECONDS} s and the browser reconnects (Last-Event-ID: the last stamp)",
        "tags": TAG,
        "responses": {"200": {"description": "text/event-stream"}},
    }
}
STAMP_OPENAPI = {
    "get": {
        "summary": "The latest change's stamp (the event stream's polling fallback)",
        "tags": TAG,
        "responses": {"200": {"description": "{stamp}: it grows with every change"}},
    }
}


PROPOSAL_ID = path_param("proposal_id", {"type": "integer"})
DIFF_OPENAPI = {
    "get": {
        "summary": "A proposal against the schedule as it stands: tasks assigned, moved, "
        "unchanged and left out (with reasons); driving, lateness and tasks placed now and "
        "proposed; each engineer's load now and proposed",
        "tags": TAG,
        "parameters": [PROPOSAL_ID],
        "responses": {"200": {"description": "The diff"}, "404": {"description": "None"}},
    }
}
UNDO_OPENAPI = {
    "post": {
        "summary": "Undo a committed proposal: every task it moved back where it was, in one "
        "step, while none of them changed since",
        "tags": TAG,
        "parameters": [PROPOSAL_ID],
        "responses": {
            "200": {"description": "How many tasks were restored"},
            "409": {"description": "Not committed, or tasks changed since (changed_tasks)"},
        },
    }
}


def register(context) -> None:
    route = context.api_route
    route("/dispatch/proposals/<id:proposal_id>/diff", ["GET"], DIFF_OPENAPI)(proposal_diff)
    route("/dispatch/proposals/<id:proposal_id>/undo", ["POST"], UNDO_OPENAPI)(undo_proposal)
    route("/dispatch/board", ["GET"], BOARD_OPENAPI)(get_board)
    route("/dispatch/events", ["GET"], EVENTS_OPENAPI)(board_events)
    route("/dispatch/stamp", ["GET"], STAMP_OPENAPI)(board_stamp)
    route("/dispatch/check", ["POST"], CHECK_OPENAPI)(check_drop)
    route("/dispatch/place", ["POST"], PLACE_OPENAPI)(place_task)


def dispatcher_only(session) -> None:
    """PermissionDenied unless the caller dispatches (dispatcher, service manager, admin)."""
    actor = session.actor
    if not (actor.is_admin or actor.is_system or ROLES & set(actor.roles)):
        raise PermissionDenied("only dispatchers and service managers use the dispatch console")


def get_board():
    """The board for ``date`` (default today in the caller's zone) and ``days`` (1 or 7)."""
    days = int_arg("days", 1, 1, 7)
    group = int_arg("service_group", None, 1, 2**63 - 1)
    with api_session(write=False) as s:
        dispatcher_only(s)
        zone = s.actor.zone
        day = date_arg("date") or s.tenant.clock().astimezone(zone).date()
        if days > 1:
            day -= dt.timedelta(days=day.weekday())  # a week starts on Monday
            days = 7
        window = dispatch_board.Window(day, days, zone, group)
        return jsonify(dispatch_board.board(s, window))


def check_drop():
    body = load_body(DropBody)
    with api_session(write=False) as s:
        dispatcher_only(s)
        drop = drops.read_drop(
            s, body["task"], body["engineer"], body["start"], body.get("duration")
        )
        found = drops.check(s, drop)
        return jsonify({"ok": not found, "violations": [v.as_dict() for v in found]})


def place_task():
    body = load_body(PlaceBody)
    with api_session() as s:
        dispatcher_only(s)
        drop = drops.read_drop(
            s, body["task"], body["engineer"], body["start"], body.get("duration")
        )
        if body.get("version") is not None and body["version"] != drop.task["version"]:
            drop.task["version"] = body["version"]  # the update then answers 409 if it moved
        placed = drops.apply(s, drop, bool(body.get("force")), body.get("reason"))
        return jsonify(placed)


def board_stamp():
    """The stamp of the latest change to what the board shows."""
    with api_session(write=False) as s:
        dispatcher_only(s)
        return jsonify({"stamp": latest_change(s, WATCHED)})


def board_events() -> Response:
    """Tell an open console, within a second, that the board changed (server-sent events)."""
    with api_session(write=False) as s:
        dispatcher_only(s)
        stamp = latest_change(s, WATCHED)
    tenant = current_tenant()
    seen = request.headers.get("Last-Event-ID", "")

    def events() -> Iterator[str]:
        current = stamp
        yield f"retry: 1000\nid: {current}\nevent: hello\ndata: {current}\n\n"
        if seen.isdigit() and int(seen) != current:  # changed while it reconnected
            yield f"id: {current}\nevent: changed\ndata: {current}\n\n"
        started = quiet = time.monotonic()
        while time.monotonic() - started < STREAM_SECONDS:
            time.sleep(POLL_SECONDS)
            with tenant.session(SYSTEM, write=False) as system:
                latest = latest_change(system, WATCHED)
            if latest != current:
                current, quiet = latest, time.monotonic()
                yield f"id: {current}\nevent: changed\ndata: {current}\n\n"
            elif time.monotonic() - quiet >= KEEP_ALIVE_SECONDS:
                quiet = time.monotonic()
                yield ": still here\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(events(), mimetype="text/event-stream", headers=headers)


def proposal_diff(proposal_id: int):
    """What a proposal would change, before anything is written."""
    with api_session(write=False) as s:
        dispatcher_only(s)
        proposal = s.records.get(dispatch_proposals.OBJECT, proposal_id)
        return jsonify(plan_diff.plan_diff(s, proposal))


def undo_proposal(proposal_id: int):
    with api_session() as s:
        dispatcher_only(s)
        return jsonify(dispatch_undo.undo(s, proposal_id))

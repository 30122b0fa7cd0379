"""The engineer's own endpoints: the day's tasks in planned order (each with its work
order's SLA clock due first), and parts for a task.

Everything else an engineer does is a field task transition
(``POST /api/v1/records/field_task/{id}/transitions/{accept|reject|depart|arrive|...}``)
or a record change (notes, photos, the signature) through the generic API.
"""

from __future__ import annotations

import datetime as dt
import decimal

from packs.field_service.geo import distance_m
from packs.field_service.resources.acting import my_resource
from plinth.toolkit import (
    Filter,
    ListQuery,
    ValidationError,
    api_session,
    date_arg,
    fire_transition,
    get_setting,
    json_body,
    json_props,
    listing,
    path_param,
    request_body,
    schemas,
    sla_clocks,
    to_jsonable,
)

ACTIVE_STATES = ["dispatched", "accepted", "en_route", "arrived", "in_service", "waiting_parts"]
MAX_LINES = 50
TAG = ["field service"]
SLA_FIELDS = ("policy", "target", "status", "paused", "due_at", "warn_at", "breached_at")


class MyTaskSla(schemas.Answer):
    """A running SLA clock, as ``GET /records/work_order/{id}/sla`` lists it (in part)."""

    policy = schemas.Text(required=True)
    target = schemas.Text(required=True, metadata={"description": "e.g. response, resolution"})
    status = schemas.Text(required=True, metadata={"description": "on_track, warning, breached"})
    paused = schemas.Flag(required=True)
    due_at = schemas.Instant(required=True, metadata={"description": "time left: due_at - now"})
    warn_at = schemas.Instant(required=True, allow_none=True)
    breached_at = schemas.Instant(required=True, allow_none=True)


class MyTask(schemas.Answer):
    """A field task with every field as ``GET /records/field_task/{id}`` answers it, and:"""

    id = schemas.Whole(required=True)
    planned_order = schemas.Whole(required=True, metadata={"description": "1, 2, … in the day"})
    distance_km = schemas.Number(
        required=True, allow_none=True, metadata={"description": "from the last location"}
    )
    travel_minutes = schemas.Whole(required=True, allow_none=True)
    overdue = schemas.Flag(
        required=True,
        metadata={"description": "scheduled on an earlier day and still open (asked for today)"},
    )
    sla = schemas.Nested(
        MyTaskSla,
        required=True,
        allow_none=True,
        metadata={
            "description": "the work order's running SLA clock due first (null: none running)"
        },
    )


MY_TASKS_OPENAPI = {
    "get": {
        "summary": "The caller's field tasks for a day, in planned order (today: overdue first)",
        "tags": TAG,
        "parameters": [
            {
                "name": "date",
                "in": "query",
                "schema": {"type": "string", "format": "date"},
                "description": "Day in the caller's time zone (default today)",
            }
        ],
        "responses": {
            "200": {
                "description": "Tasks with distance and travel time from the last location, "
                "and each work order's SLA clock due first",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["data", "resource", "date"],
                            "properties": {
                                "data": {"type": "array", "items": MyTask},
                                "resource": {"type": "integer"},
                                "date": {"type": "string", "format": "date"},
                            },
                        }
                    }
                },
            }
        },
    }
}
PARTS_OPENAPI = {
    "post": {
        "summary": "Record parts consumed from the caller's bag, or request parts from a warehouse",
        "tags": TAG,
        "parameters": [path_param("task_id", {"type": "integer"})],
        "requestBody": request_body(
            {
                "type": "object",
                "required": ["kind", "lines"],
                "properties": {
                    "kind": {"type": "string", "enum": ["consumption", "requisition"]},
                    "warehouse": {
                        "type": "integer",
                        "description": "Requisitions: the stock location to take from",
                    },
                    "lines": {
                        "type": "array",
                        "maxItems": MAX_LINES,
                        "items": {
                            "type": "object",
                            "required": ["part", "qty"],
                            "properties": {
                                "part": {"type": "integer"},
                                "qty": {"type": "number"},
                            },
                        },
                    },
                },
            }
        ),
        "responses": {"201": {"description": "The movements, posted or waiting for approval"}},
    }
}


def register(context) -> None:
    context.api_route("/fs/my/tasks", openapi=MY_TASKS_OPENAPI)(my_tasks)
    context.api_route("/fs/tasks/<id:task_id>/parts", ["POST"], PARTS_OPENAPI)(task_parts)


def _day() -> dt.date | None:
    return date_arg("date")  # 9999-12-31 would have no end of day (a 500)


def my_tasks():
    """For today: the still open tasks of earlier days first (flagged ``overdue``: nothing
    is hidden because its day passed); then tasks scheduled on the day (in the caller's time
    zone), then unscheduled active ones. Each with the distance and travel minutes from the
    resource's last location and its work order's SLA clock due first (all the day's
    clocks read in one query)."""
    day = _day()
    with api_session() as s:
        resource = my_resource(s)
        zone = s.actor.zone
        today = s.tenant.clock().astimezone(zone).date()
        day = day or today
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        end = start + dt.timedelta(days=1)
        mine = Filter("assigned_resource", "eq", resource["id"])
        overdue = _overdue(s, mine, start) if day == today else []
        scheduled = s.records.list(
            "field_task",
            ListQuery(
                [mine, Filter("assigned_start", "gte", start), Filter("assigned_start", "lt", end)],
                ["assigned_start"],
                200,
            ),
        ).data
        unscheduled = s.records.list(
            "field_task",
            ListQuery(
                [
                    mine,
                    Filter("assigned_start", "isnull", True),
                    Filter("status", "in", ACTIVE_STATES),
                ],
                ["priority", "id"],
                100,
            ),
        ).data
        speed = _speed(s)
        here = resource.get("last_location") or resource.get("home_base")
        day_tasks = overdue + scheduled + unscheduled
        clocks = sla_clocks(s, "work_order", [t.get("work_order") for t in day_tasks])
        tasks = []
        for order, task in enumerate(day_tasks, start=1):
            km = distance_m(here, task.get("location"))
            task["planned_order"] = order
            task["overdue"] = order <= len(overdue)
            task["distance_km"] = None if km is None else round(km / 1000, 2)
            task["travel_minutes"] = None if km is None else round(km / 1000 / speed * 60)
            task["sla"] = next_due(clocks.get(task.get("work_order"), []))
            tasks.append(task)
        return listing(tasks, resource=resource["id"], date=day.isoformat())


def _overdue(session, mine: Filter, today: dt.datetime) -> list[dict]:
    """The caller's tasks scheduled before today that are still open, oldest first."""
    return session.records.list(
        "field_task",
        ListQuery(
            [mine, Filter("assigned_start", "lt", today), Filter("status", "in", ACTIVE_STATES)],
            ["assigned_start"],
            100,
        ),
    ).data


def next_due(clocks: list[dict]) -> dict | None:
    """The running clock due first (not stopped, not paused before its due time, not met),
    in the answer's shape; None when no clock runs."""
    running = [
        c
        for c in clocks
        if c["stopped_at"] is None and c["due_at"] is not None and c["status"] != "met"
    ]
    if not running:
        return None
    first = min(running, key=lambda c: c["due_at"])
    return to_jsonable({name: first[name] for name in SLA_FIELDS})


def _speed(session) -> float:
    return float(get_setting(session, "field_service.average_speed_kmh"))


def _lines(body) -> list[tuple[int, decimal.Decimal]]:
    lines = body.get("lines")
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise ValidationError.single("lines", f"give 1 to {MAX_LINES} lines of {{part, qty}}")
    result = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            raise ValidationError.single(f"lines/{index}", "needs a part id and a qty")
        part = line.get("part")
        if isinstance(part, str):  # "12" has always been accepted
            part = json_props.id_from_text(part.strip())
        if not json_props.is_id(part):
            raise ValidationError.single(f"lines/{index}/part", "must be a part id")
        qty = _quantity(line.get("qty"))
        # NaN is refused before the comparison: Decimal("NaN") <= 0 raises InvalidOperation.
        if qty is None or qty <= 0:
            raise ValidationError.single(f"lines/{index}/qty", "must be a number more than 0")
        result.append((part, qty))
    return result


def _quantity(value) -> decimal.Decimal | None:
    """A finite number (or numeric text) as a Decimal, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, decimal.Decimal)):
        return None
    try:
        qty = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        return None
    return qty if qty.is_finite() else None


def task_parts(task_id: int):
    """Consumption lines are posted at once (from the caller's bag); requisition lines wait
    for a warehouse keeper's approval. All lines succeed or none does."""
    body = json_body()
    kind = body.get("kind")
    if kind not in ("consumption", "requisition"):
        raise ValidationError.single("kind", "must be consumption or requisition")
    lines = _lines(body)
    with api_session() as s:
        resource = my_resource(s)
        task = s.records.get("field_task", task_id, ["id", "assigned_resource", "status"])
        if task.get("assigned_resource") != resource["id"]:
            raise ValidationError.single("task_id", "the task is not assigned to you")
        bag = _bag_of(s, resource["id"])
        movements = []
        for part, qty in lines:
            values = {"kind": kind, "part": part, "qty": qty, "field_task": task["id"]}
            if kind == "consumption":
                values["from_location"] = bag
            else:
                if not body.get("warehouse"):
                    raise ValidationError.single("warehouse", "is required for a requisition")
                warehouse = json_props.record_id(body, "warehouse", "stock location")
                values.update(from_location=warehouse, to_location=bag)
            movement = s.records.create("part_movement", values)
            name = "post" if kind == "consumption" else "request"
            movements.append(fire_transition(s, "part_movement", movement["id"], name))
        response = listing(movements)
        response.status_code = 201
        return response


def _bag_of(session, resource_id: int) -> int:
    bags = (
        session.as_system()
        .records.list(
            "stock_location",
            ListQuery(
                [Filter("resource", "eq", resource_id), Filter("kind", "eq", "bag")], limit=1
            ),
        )
        .data
    )
    if not bags:
        raise ValidationError.single("resource", "you have no bag (a stock location of kind bag)")
    return bags[0]["id"]

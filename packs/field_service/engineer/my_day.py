"""The engineer's own endpoints: the day's tasks in planned order, and parts for a task.

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
)

ACTIVE_STATES = ["dispatched", "accepted", "en_route", "arrived", "in_service", "waiting_parts"]
MAX_LINES = 50
TAG = ["field service"]
MY_TASKS_OPENAPI = {
    "get": {
        "summary": "The caller's field tasks for a day, in planned order",
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
            "200": {"description": "Tasks with distance and travel time from the last location"}
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
    """Tasks scheduled on the day (in the caller's time zone), then unscheduled active
    ones, each with the distance and travel minutes from the resource's last location."""
    day = _day()
    with api_session() as s:
        resource = my_resource(s)
        zone = s.actor.zone
        day = day or s.tenant.clock().astimezone(zone).date()
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        end = start + dt.timedelta(days=1)
        mine = Filter("assigned_resource", "eq", resource["id"])
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
        tasks = []
        for order, task in enumerate(scheduled + unscheduled, start=1):
            km = distance_m(here, task.get("location"))
            task["planned_order"] = order
            task["distance_km"] = None if km is None else round(km / 1000, 2)
            task["travel_minutes"] = None if km is None else round(km / 1000 / speed * 60)
            tasks.append(task)
        return listing(tasks, resource=resource["id"], date=day.isoformat())


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

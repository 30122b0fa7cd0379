"""Check-ins: how far from its target a check-in was made, what it proves, what it stops.

A check-in's target is a field task (its location), else a site. The pack works out the
distance (allowing for the GPS accuracy reported, up to 100 m) and whether it counts as at
the target (within the ``field_service.check_in_radius_m`` setting). An at-site check-in
stops the arrival SLA clocks of the task and its work order and moves the resource's last
known location. ``GET /api/v1/fs/check-in/targets`` offers the nearest sites and tasks.
"""

from __future__ import annotations

from flask import request

from packs.field_service.geo import bounding_box, distance_m
from packs.field_service.resources.acting import require_own_resource, resource_of_user
from plinth.toolkit import (
    BadRequest,
    Filter,
    ListQuery,
    PermissionDenied,
    api_session,
    get_setting,
    listing,
    sla_event,
)

MAX_ACCURACY_ALLOWANCE_M = 100
OPEN_TASK_STATES = ["dispatched", "accepted", "en_route", "arrived", "in_service", "waiting_parts"]
TARGETS_OPENAPI = {
    "get": {
        "summary": "The nearest sites and your open field tasks, to pick a check-in target",
        "tags": ["field service"],
        "parameters": [
            {"name": n, "in": "query", "required": True, "schema": {"type": "number"}}
            for n in ("lat", "lng")
        ]
        + [
            {
                "name": "radius_m",
                "in": "query",
                "schema": {"type": "integer", "minimum": 10, "maximum": 50000},
            }
        ],
        "responses": {"200": {"description": "Targets nearest first"}},
    }
}


def register(context) -> None:
    context.hooks.register("before_save", measure, objects=["check_in"])
    context.hooks.register("after_save", record_arrival, objects=["check_in"])
    context.api_route("/fs/check-in/targets", openapi=TARGETS_OPENAPI)(check_in_targets)


def _target_location(session, values) -> dict | None:
    system = session.as_system()
    if values.get("field_task"):
        task = system.records.get("field_task", values["field_task"], fields=["location", "site"])
        if task.get("location"):
            return task["location"]
        values.setdefault("site", task.get("site"))
    if values.get("site"):
        return system.records.get("site", values["site"], fields=["location"]).get("location")
    return None


def measure(event) -> None:
    """Distance from the target and whether it counts as at the target (on create)."""
    if event.old is not None:
        if {"location", "field_task", "site", "resource"} & event.changed:
            raise PermissionDenied("a check-in's place, target and resource cannot change")
        return
    session, values = event.session, event.values
    require_own_resource(session, values.get("resource"))
    target = _target_location(session, values)
    distance = distance_m(values.get("location"), target)
    values["distance_m"] = None if distance is None else round(distance, 1)
    if distance is None:
        values["at_site"] = False
        return
    allowance = min(float(values.get("accuracy_m") or 0), MAX_ACCURACY_ALLOWANCE_M)
    radius = get_setting(session, "field_service.check_in_radius_m")
    values["at_site"] = distance - allowance <= radius


def record_arrival(event) -> None:
    """Stop arrival SLA clocks and move the resource's last known location."""
    if event.old is not None:
        return
    session, values = event.session.as_system(), event.values
    resource = session.records.get("service_resource", values["resource"], ["last_seen_at"])
    seen = resource.get("last_seen_at")
    if seen is None or values["checked_in_at"] >= seen:  # a back-dated check-in is no news
        session.records.update(
            "service_resource",
            values["resource"],
            {"last_location": values["location"], "last_seen_at": values["checked_in_at"]},
        )
    if not values.get("at_site") or not values.get("field_task"):
        return
    sla_event(session, "field_task", values["field_task"], "check_in")
    work_order = session.records.get("field_task", values["field_task"], ["work_order"])
    if work_order.get("work_order"):
        sla_event(session, "work_order", work_order["work_order"], "check_in")


def _float_arg(name: str, low: float, high: float, default: float | None = None) -> float:
    raw = request.args.get(name)
    if raw is None and default is not None:
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be a number") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be from {low:g} to {high:g}")
    return value


def check_in_targets():
    """Sites within ``radius_m`` (default 2 km) and the caller's open tasks, nearest first."""
    here = {"lat": _float_arg("lat", -90, 90), "lng": _float_arg("lng", -180, 180)}
    radius = _float_arg("radius_m", 10, 50000, 2000)
    box = ",".join(f"{v:.6f}" for v in bounding_box(here, radius))
    with api_session() as s:
        targets = []
        sites = s.records.list(
            "site", ListQuery([Filter("location", "within", box)], limit=200)
        ).data
        for site in sites:
            distance = distance_m(here, site.get("location"))
            if distance is not None and distance <= radius:
                targets.append(
                    {
                        "object": "site",
                        "id": site["id"],
                        "title": site.get("name"),
                        "distance_m": distance,
                    }
                )
        resource = resource_of_user(s, s.actor.id)
        if resource is not None:
            tasks = s.records.list(
                "field_task",
                ListQuery(
                    [
                        Filter("assigned_resource", "eq", resource["id"]),
                        Filter("status", "in", OPEN_TASK_STATES),
                    ],
                    limit=100,
                ),
            ).data
            for task in tasks:
                distance = distance_m(here, task.get("location"))
                targets.append(
                    {
                        "object": "field_task",
                        "id": task["id"],
                        "title": task.get("number"),
                        "site": task.get("site"),
                        "distance_m": distance,
                    }
                )
        targets.sort(key=lambda t: (t["distance_m"] is None, t["distance_m"] or 0))
        for target in targets:
            if target["distance_m"] is not None:
                target["distance_m"] = round(target["distance_m"], 1)
        return listing(targets[:50])

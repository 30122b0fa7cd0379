"""Location pings and daily tracks (足迹).

``POST /api/v1/fs/locations`` takes a batch of GPS points from an engineer's device,
idempotent by (resource, device, seq): the resource's record is locked before the known
sequence numbers are read, so a batch sent twice at once is stored once.
``GET /api/v1/fs/resources/{id}/track`` builds a day's track (kept points, distance, stops,
check-ins) and stores it as the ``track`` record; the hourly job
``field_service.build_tracks`` stores yesterday's tracks.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

import sqlalchemy as sa
from flask import jsonify

from packs.field_service.records import all_records
from packs.field_service.resources.acting import my_resource, require_own_resource
from packs.field_service.tracks.building import TrackRules, build_track
from plinth.toolkit import (
    Filter,
    ListQuery,
    ValidationError,
    api_session,
    date_arg,
    get_setting,
    json_body,
    json_props,
    path_param,
    request_body,
    to_jsonable,
)

MAX_POINTS = 1000
MAX_DEVICE_ID = 64
FUTURE_TOLERANCE = dt.timedelta(minutes=10)  # device clocks run a little fast
IN_CHUNK = 500  # values per ``in`` filter
IN_FLIGHT = dt.timedelta(minutes=5)  # a write may commit this long after its created_at
TAG = ["field service"]
POINT_SCHEMA = {
    "type": "object",
    "required": ["seq", "at", "lat", "lng"],
    "properties": {
        "seq": {"type": "integer", "minimum": 0, "description": "Per device, increasing"},
        "at": {"type": "string", "format": "date-time", "description": "With a UTC offset"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "lng": {"type": "number", "minimum": -180, "maximum": 180},
        "accuracy": {"type": "number", "minimum": 0, "description": "Metres"},
        "speed": {"type": "number", "minimum": 0, "description": "km/h"},
    },
}
LOCATIONS_OPENAPI = {
    "post": {
        "summary": "Send a batch of location points from a device (idempotent by device and seq)",
        "tags": TAG,
        "requestBody": request_body(
            {
                "type": "object",
                "required": ["device_id", "points"],
                "properties": {
                    "device_id": {"type": "string", "minLength": 1, "maxLength": 64},
                    "resource": {
                        "type": "integer",
                        "description": "Office roles only: the resource; default the caller's own",
                    },
                    "points": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_POINTS,
                        "items": POINT_SCHEMA,
                    },
                },
            }
        ),
        "responses": {
            "200": {
                "description": "How many points were new and how many were already stored",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "resource": {"type": "integer"},
                                "accepted": {"type": "integer"},
                                "duplicates": {"type": "integer"},
                            },
                        }
                    }
                },
            },
            "403": {"description": "An engineer sending for another resource"},
            "422": {"description": "A point is invalid (errors name points/<i>/<field>)"},
        },
    }
}
TRACK_OPENAPI = {
    "get": {
        "summary": "A resource's track for a day: kept points, distance, stops and check-ins",
        "tags": TAG,
        "parameters": [
            path_param("resource_id", {"type": "integer"}),
            {
                "name": "date",
                "in": "query",
                "schema": {"type": "string", "format": "date"},
                "description": "Day in the instance's time zone (default today)",
            },
        ],
        "responses": {
            "200": {"description": "The track (also stored as the day's track record)"},
            "404": {"description": "No such resource, or not yours (engineers)"},
        },
    }
}


def register(context) -> None:
    context.api_route("/fs/locations", ["POST"], LOCATIONS_OPENAPI)(post_locations)
    context.api_route("/fs/resources/<id:resource_id>/track", openapi=TRACK_OPENAPI)(resource_track)
    context.jobs.register("field_service.build_tracks", build_tracks_job)
    context.jobs.every("field_service.build_tracks", seconds=3600)


# ---- receiving points --------------------------------------------------------------------
def _number(point: dict, index: int, name: str, low: float, high: float, required: bool):
    value = point.get(name)
    if value is None and not required:
        return None
    try:
        number = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond floats
        number = None
    if number is None or isinstance(value, str) or not math.isfinite(number):
        raise ValidationError.single(f"points/{index}/{name}", "must be a number")
    if not low <= number <= high:
        raise ValidationError.single(f"points/{index}/{name}", f"must be from {low:g} to {high:g}")
    return number


def _instant(point: dict, index: int, latest: dt.datetime) -> dt.datetime:
    raw = point.get("at")
    try:
        at = dt.datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ValidationError.single(
            f"points/{index}/at", "must be an ISO 8601 instant with a UTC offset (…Z or …+08:00)"
        )
    try:
        at = at.astimezone(dt.UTC)
    except OverflowError:
        raise ValidationError.single(f"points/{index}/at", "is out of range") from None
    if at > latest:
        raise ValidationError.single(f"points/{index}/at", "is in the future")
    return at


def parse_points(body: dict, now: dt.datetime) -> tuple[str, list[dict]]:
    """The device id and checked points of a batch; 422 naming the first bad value."""
    device = body.get("device_id")
    if not isinstance(device, str) or not 1 <= len(device.strip()) <= MAX_DEVICE_ID:
        raise ValidationError.single("device_id", f"must be text of 1 to {MAX_DEVICE_ID} chars")
    points = body.get("points")
    if not isinstance(points, list) or not 1 <= len(points) <= MAX_POINTS:
        raise ValidationError.single("points", f"give 1 to {MAX_POINTS} points")
    parsed = []
    for index, point in enumerate(points):
        if not isinstance(point, dict):
            raise ValidationError.single(f"points/{index}", "must be an object")
        seq = point.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**63:
            raise ValidationError.single(f"points/{index}/seq", "must be a whole number >= 0")
        parsed.append(
            {
                "seq": seq,
                "at": _instant(point, index, now + FUTURE_TOLERANCE),
                "lat": _number(point, index, "lat", -90, 90, True),
                "lng": _number(point, index, "lng", -180, 180, True),
                "accuracy": _number(point, index, "accuracy", 0, 1e6, False),
                "speed": _number(point, index, "speed", 0, 1e4, False),
            }
        )
    return device.strip(), parsed


def _target_resource(session, given: Any) -> int:
    """The resource the batch is for: the caller's own, or (office roles) the one given."""
    if given is None:
        return my_resource(session)["id"]
    if not json_props.is_id(given):  # beyond 2^63 it would fail in SQL, not here
        raise ValidationError.single("resource", "must be a service resource id")
    require_own_resource(session, given)
    return given


def _known_seqs(session, resource_id: int, device: str, seqs: list[int]) -> set[int]:
    known: set[int] = set()
    for at in range(0, len(seqs), IN_CHUNK):
        chunk = seqs[at : at + IN_CHUNK]
        query = ListQuery(
            [
                Filter("resource", "eq", resource_id),
                Filter("device_id", "eq", device),
                Filter("seq", "in", chunk),
            ],
            limit=len(chunk),
            fields=["seq"],
        )
        known.update(row["seq"] for row in session.records.list("location_ping", query).data)
    return known


def post_locations():
    """Store the new points of a batch; repeated (resource, device, seq) are counted, not
    stored again. The resource's last location moves to the newest point if it is newer."""
    body = json_body()
    with api_session() as s:
        device, points = parse_points(body, s.tenant.clock())
        resource_id = _target_resource(s, body.get("resource"))
        system = s.as_system()
        resource = system.records.lock("service_resource", resource_id)
        known = _known_seqs(system, resource_id, device, sorted({p["seq"] for p in points}))
        accepted = []
        for point in points:
            if point["seq"] in known:
                continue
            known.add(point["seq"])
            system.records.create(
                "location_ping",
                {
                    "resource": resource_id,
                    "device_id": device,
                    "seq": point["seq"],
                    "recorded_at": point["at"],
                    "location": {"lat": point["lat"], "lng": point["lng"]},
                    "accuracy_m": _decimal(point["accuracy"], 1),
                    "speed_kmh": _decimal(point["speed"], 1),
                },
            )
            accepted.append(point)
        if accepted:
            newest = max(accepted, key=lambda p: p["at"])
            seen = resource.get("last_seen_at")
            if seen is None or newest["at"] > seen:
                system.records.update(
                    "service_resource",
                    resource_id,
                    {
                        "last_location": {"lat": newest["lat"], "lng": newest["lng"]},
                        "last_seen_at": newest["at"],
                    },
                )
        return jsonify(
            {
                "resource": resource_id,
                "accepted": len(accepted),
                "duplicates": len(points) - len(accepted),
            }
        )


def _decimal(value: float | None, places: int) -> decimal.Decimal | None:
    return None if value is None else round(decimal.Decimal(str(value)), places)


# ---- building tracks ---------------------------------------------------------------------
def _rules(session) -> TrackRules:
    return TrackRules(
        max_accuracy_m=get_setting(session, "field_service.track_max_accuracy_m"),
        stop_radius_m=get_setting(session, "field_service.track_stop_radius_m"),
        stop_minutes=get_setting(session, "field_service.track_stop_minutes"),
    )


def build_day(session, resource_id: int, start: dt.datetime, end: dt.datetime) -> dict:
    """The track of ``[start, end)`` from the pings and check-ins ``session`` may read,
    stored (as the system) as the ``track`` record of the day ``start`` falls on."""
    mine = Filter("resource", "eq", resource_id)
    pings = [
        {
            "at": row["recorded_at"],
            "lat": row["location"]["lat"],
            "lng": row["location"]["lng"],
            "accuracy": row.get("accuracy_m"),
        }
        for row in all_records(
            session,
            "location_ping",
            [mine, Filter("recorded_at", "gte", start), Filter("recorded_at", "lt", end)],
            ["recorded_at"],
            ["recorded_at", "location", "accuracy_m"],
        )
    ]
    check_ins = list(
        all_records(
            session,
            "check_in",
            [mine, Filter("checked_in_at", "gte", start), Filter("checked_in_at", "lt", end)],
            ["checked_in_at"],
            ["checked_in_at", "location", "at_site", "field_task"],
        )
    )
    track = build_track(pings, _rules(session))
    stops = to_jsonable(track.stops)
    day = start.date()
    distance_km = round(track.distance_m / 1000, 2)
    _store(
        session.as_system(),
        resource_id,
        day,
        {
            "distance_km": decimal.Decimal(f"{distance_km:.2f}"),
            "ping_count": len(pings),
            "stop_count": len(stops),
            "check_in_count": len(check_ins),
            "first_at": pings[0]["at"] if pings else None,
            "last_at": pings[-1]["at"] if pings else None,
            "stops": stops,
            "computed_at": session.tenant.clock(),
        },
    )
    return {
        "resource": resource_id,
        "day": day.isoformat(),
        "distance_km": distance_km,
        "ping_count": len(pings),
        "stops": stops,
        "points": [{"at": p["at"], "lat": p["lat"], "lng": p["lng"]} for p in track.points],
        "check_ins": check_ins,
    }


def _store(system, resource_id: int, day: dt.date, values: dict) -> dict:
    """Upsert the (resource, day) track; a concurrent creator may win the unique index,
    then its row is updated."""
    query = ListQuery([Filter("resource", "eq", resource_id), Filter("day", "eq", day)], limit=1)
    for attempt in range(2):
        rows = system.records.list("track", query).data
        if rows:
            return system.records.update("track", rows[0]["id"], values)
        try:
            with system.savepoint():
                return system.records.create(
                    "track", {"resource": resource_id, "day": day, **values}
                )
        except (sa.exc.IntegrityError, ValidationError):
            if attempt:
                raise
    raise AssertionError("unreachable")


def _day_bounds(day: dt.date, zone) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end


def resource_track(resource_id: int):
    """A resource's day (in the instance's time zone, like the stored tracks and the nightly
    job, so a day means the same to everyone); engineers see only their own."""
    day = date_arg("date")  # 9999-12-31 would have no end of day (a 500)
    with api_session(write=True) as s:
        s.records.get("service_resource", resource_id, fields=["id"])
        zone = s.tenant.zone
        day = day or s.tenant.clock().astimezone(zone).date()
        return jsonify(build_day(s, resource_id, *_day_bounds(day, zone)))


def store_track(session, resource_id: int, day: dt.date, zone=None) -> dict:
    """Build and store a resource's track of ``day`` (in ``zone``, default the tenant's)
    from what ``session`` may read; the track as the API answers it."""
    zone = zone or session.tenant.zone
    return build_day(session, resource_id, *_day_bounds(day, zone))


def build_tracks_job(job) -> None:
    """Store yesterday's track (in the tenant's time zone) of every resource with pings
    that day, unless its stored track was computed after the day with nothing sent since."""
    session = job.session
    tenant = session.tenant
    yesterday = tenant.clock().astimezone(tenant.zone).date() - dt.timedelta(days=1)
    start, end = _day_bounds(yesterday, tenant.zone)
    for resource in all_records(session, "service_resource", [], ["id"], ["id"]):
        day_pings = [
            Filter("resource", "eq", resource["id"]),
            Filter("recorded_at", "gte", start),
            Filter("recorded_at", "lt", end),
        ]
        if not session.records.count("location_ping", ListQuery(day_pings)):
            continue
        if _fresh(session, resource["id"], start, end, day_pings):
            continue
        store_track(session, resource["id"], yesterday)


def _fresh(session, resource_id: int, start: dt.datetime, end: dt.datetime, day_pings) -> bool:
    """Whether the stored track was computed after the day ended and no ping or check-in
    of the day has been stored since (allowing for transactions in flight while it was)."""
    day = Filter("day", "eq", start.date())
    rows = session.records.list("track", ListQuery([day_pings[0], day], limit=1)).data
    computed = rows[0].get("computed_at") if rows else None
    if computed is None or computed < end:
        return False
    later = [Filter("created_at", "gte", computed - IN_FLIGHT)]
    if session.records.count("location_ping", ListQuery(day_pings + later)):
        return False
    day_check_ins = [
        Filter("resource", "eq", resource_id),
        Filter("checked_in_at", "gte", start),
        Filter("checked_in_at", "lt", end),
    ]
    return not session.records.count("check_in", ListQuery(day_check_ins + later))

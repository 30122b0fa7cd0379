"""``GET /api/v1/fs/my/tasks`` carries each task's SLA clock due first (the engineer app shows
it on the day's cards without a ``/sla`` request per task), read for the whole day at once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from plinth.auth.actor import SYSTEM
from plinth.toolkit import sla_clocks
from tests.field_service.city import NEAR_HQ

SLA_FIELDS = {"policy", "target", "status", "paused", "due_at", "warn_at", "breached_at"}


def dispatched_task(city, subject: str) -> dict:
    """A work order sent to the field; its task given to Ann (unscheduled: on every day of
    hers while it is open) and dispatched."""
    ids, dora = city.ids, city.dispatcher
    created = dora.post(
        "/api/v1/records/work_order",
        json={
            "subject": subject,
            "customer": ids["customer"],
            "contact": ids["contact"],
            "site": ids["site"],
            "priority": "high",
            "channel": "phone",
        },
    )
    assert created.status == 201, created.json
    order = created.json["id"]
    sent = dora.post(f"/api/v1/records/work_order/{order}/transitions/send_to_field", json={})
    assert sent.status == 200, sent.json
    task = dora.get(f"/api/v1/records/field_task?work_order={order}").json["data"][0]
    given = dora.patch(
        f"/api/v1/records/field_task/{task['id']}",
        json={"assigned_resource": ids["ann_resource"], "assigned_start": None},
    )
    assert given.status == 200, given.json
    fired = dora.post(f"/api/v1/records/field_task/{task['id']}/transitions/dispatch", json={})
    assert fired.status == 200, fired.json
    return fired.json


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def due_first(city, work_order: int) -> dict:
    """The running clock due first, as ``/sla`` lists the work order's clocks."""
    clocks = city.dispatcher.get(f"/api/v1/records/work_order/{work_order}/sla").json["data"]
    running = [c for c in clocks if not c["stopped_at"] and c["due_at"] and c["status"] != "met"]
    return min(running, key=lambda c: c["due_at"])


def assert_same_clock(shown: dict, expected: dict) -> None:
    assert set(shown) == SLA_FIELDS
    for name in ("policy", "target", "status", "paused", "breached_at"):
        assert shown[name] == expected[name], name
    # both are "as of now", a moment apart: the same instant give or take rounding
    assert abs(instant(shown["due_at"]) - instant(expected["due_at"])) < dt.timedelta(seconds=1)


def test_my_tasks_carry_the_sla_clock_due_first(city):
    first = dispatched_task(city, "AC blows warm air")
    second = dispatched_task(city, "Check the chiller")
    day = city.engineer.get("/api/v1/fs/my/tasks")
    assert day.status == 200, day.json
    tasks = {t["id"]: t for t in day.json["data"]}
    assert set(tasks) == {first["id"], second["id"]}
    for task in (first, second):
        shown = tasks[task["id"]]["sla"]
        assert shown is not None and shown["status"] == "on_track"
        assert_same_clock(shown, due_first(city, task["work_order"]))

    # arriving stops the arrival clock: the next one due is shown instead
    ann = city.engineer
    arrival = {"values": {"arrival_location": NEAR_HQ, "arrival_accuracy": 15}}
    for name, body in (("accept", {}), ("depart", {}), ("arrive", arrival)):
        url = f"/api/v1/records/field_task/{first['id']}/transitions/{name}"
        moved = ann.post(url, json=body)
        assert moved.status == 200, moved.json
    after = {t["id"]: t for t in ann.get("/api/v1/fs/my/tasks").json["data"]}[first["id"]]
    assert after["sla"]["target"] != "arrival"
    assert_same_clock(after["sla"], due_first(city, first["work_order"]))

    # another engineer's day is empty; the bulk read answers records the reader may read
    assert city.other_engineer.get("/api/v1/fs/my/tasks").json["data"] == []


def test_the_bulk_read_takes_one_query_and_skips_records_without_clocks(city):
    tasks = [dispatched_task(city, f"Unit {n}") for n in range(3)]
    orders = [t["work_order"] for t in tasks]
    tenant = city.app_tenant
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    with tenant.session(SYSTEM) as s:
        s.compiled  # noqa: B018 - metadata read before counting
        sa.event.listen(tenant.database.engine, "before_cursor_execute", count)
        try:
            found = sla_clocks(s, "work_order", [*orders, 999_999, None, True])
        finally:
            sa.event.remove(tenant.database.engine, "before_cursor_execute", count)
        assert sla_clocks(s, "work_order", []) == {}
    assert len(sent) == 1
    assert set(found) == set(orders)
    for order in orders:
        assert {c["target"] for c in found[order]} >= {"arrival", "resolution"}


def test_the_answer_is_documented_with_its_sla(city):
    spec = city.engineer.get("/api/v1/openapi.json").json
    ok = spec["paths"]["/api/v1/fs/my/tasks"]["get"]["responses"]["200"]
    task = ok["content"]["application/json"]["schema"]["properties"]["data"]["items"]
    assert {"planned_order", "distance_km", "travel_minutes", "sla"} <= set(task["properties"])
    sla = task["properties"]["sla"]
    assert sla.get("nullable") is True or "null" in str(sla)
    clock = sla.get("allOf", [sla])[0]
    assert SLA_FIELDS <= set(clock["properties"])

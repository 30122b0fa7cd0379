"""The dispatch API on both backends: optimise a day as a job, commit, stale proposals,
unplaced reasons, inserting one task, permissions and input checks."""

from __future__ import annotations

import datetime as dt

import pytest

from plinth.auth.actor import SYSTEM
from tests.field_service.city import FAR, HQ

DAY = "2026-11-25"  # a Wednesday; the engineers work fs_7x24 (Asia/Shanghai)
NOW = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai


def near(lat_offset: float, lng_offset: float = 0.0) -> dict:
    return {"lat": HQ["lat"] + lat_offset, "lng": HQ["lng"] + lng_offset}


@pytest.fixture
def day(city):
    """The tenant's clock at 08:00 in Shanghai, and a helper making new field tasks."""
    city.app_tenant.clock = lambda: NOW

    def task(**values) -> dict:
        values.setdefault("description", "Fix the air conditioning")
        values.setdefault("location", near(0.01))
        values.setdefault("duration", 60)
        values.setdefault("required_skills", [{"skill": "hvac", "level": 2}])
        return city.create("field_task", values)

    return task


def optimise(city, **body) -> dict:
    body.setdefault("date", DAY)
    body.setdefault("seconds", 1)
    reply = city.dispatcher.post("/api/v1/dispatch/optimize", json=body)
    assert reply.status == 202, reply.json
    assert reply.headers["Location"] == reply.json["url"]
    assert reply.json["status"] == "queued" and reply.json["job_id"]
    city.app_tenant.jobs.dispatcher.wait(60)  # inline mode: a background thread
    proposal = city.dispatcher.get(reply.json["url"])
    assert proposal.status == 200
    assert proposal.json["status"] == "ready", proposal.json["error"]
    return proposal.json


def test_a_day_is_optimised_as_a_job_and_committed_through_the_workflow(city, day):
    near_ann = [day(location=near(0.002 * k), priority="normal") for k in range(1, 4)]
    near_bob = [day(location={"lat": FAR["lat"], "lng": FAR["lng"] + 0.003 * k}) for k in range(2)]
    urgent = day(priority="urgent", location=near(-0.01))
    proposal = optimise(city)
    assert proposal["status"] == "ready" and proposal["progress"] == 100
    plan = proposal["plan"]
    routes = {route["engineer"]: route for route in plan["routes"]}
    ann, bob = city.ids["ann_resource"], city.ids["bob_resource"]
    on_ann = {visit["task"] for visit in routes[ann]["tasks"]}
    on_bob = {visit["task"] for visit in routes[bob]["tasks"]}
    assert {t["id"] for t in near_ann} | {urgent["id"]} <= on_ann  # nearby work to Ann
    assert {t["id"] for t in near_bob} <= on_bob  # far work to Bob, who lives there
    assert plan["totals"]["tasks_placed"] == 6 and plan["unplaced"] == []
    assert plan["totals"]["placed_by_priority"]["urgent"] == 1
    assert plan["totals"]["travel_km"] > 0
    first = routes[ann]["tasks"][0]
    assert first["start"] >= "2026-11-25T00:00:00Z"  # not before now
    assert proposal["tasks_placed"] == 6

    committed = city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/commit")
    assert committed.status == 200, committed.json
    assert committed.json["dispatched"] == 6
    task = city.dispatcher.get(f"/api/v1/records/field_task/{urgent['id']}").json
    assert task["status"] == "dispatched" and task["assigned_resource"] == ann
    planned = next(v for v in routes[ann]["tasks"] if v["task"] == urgent["id"])
    assert task["assigned_start"] == planned["start"]
    history = city.dispatcher.get(f"/api/v1/records/field_task/{urgent['id']}/history").json
    assert {"assigned_start", "status"} <= {entry["field"] for entry in history["data"]}, [
        e["field"] for e in history["data"]
    ]
    again = city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/commit")
    assert again.status == 409  # committed once only


def test_commit_refuses_when_a_task_changed_since_the_proposal(city, day):
    first, second = day(), day(location=near(0.02))
    proposal = optimise(city)
    assert proposal["status"] == "ready"
    changed = city.dispatcher.patch(
        f"/api/v1/records/field_task/{second['id']}", json={"duration": 90}
    )
    assert changed.status == 200
    reply = city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/commit")
    assert reply.status == 409
    assert reply.json["changed_tasks"] == [second["id"]]
    untouched = city.dispatcher.get(f"/api/v1/records/field_task/{first['id']}").json
    assert untouched["status"] == "new"  # nothing half-done


def test_unplaced_tasks_come_with_their_reason(city, day):
    lift = day(required_skills=[{"skill": "lift", "level": 1}])
    expert = day(required_skills=[{"skill": "hvac", "level": 5}])
    nowhere = day(location=None)
    closed_window = day(
        window_start=dt.datetime(2026, 11, 20, 1, tzinfo=dt.UTC),
        window_end=dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC),
    )
    excluded = day(excluded_resources=[city.ids["ann_resource"], city.ids["bob_resource"]])
    fine = day()
    plan = optimise(city)["plan"]
    reasons = {item["task"]: item["reason"] for item in plan["unplaced"]}
    assert "needs skill lift at level 1" in reasons[lift["id"]]
    assert "needs skill hvac at level 5" in reasons[expert["id"]]
    assert reasons[nowhere["id"]] == "the task has no location"
    assert excluded["id"] in reasons and "excluded" in reasons[excluded["id"]]
    assert closed_window["id"] not in reasons  # another day's task is not in scope
    assert fine["id"] not in reasons
    assert plan["totals"]["tasks_placed"] == 1


def test_committed_work_stays_in_place_and_a_full_day_drops_low_priority_first(city, day):
    ann, bob = city.ids["ann_resource"], city.ids["bob_resource"]
    with city.app_tenant.session(SYSTEM) as s:
        s.records.update("service_resource", bob, {"active": False})
        s.records.update("service_resource", ann, {"max_tasks_per_day": 3})
    accepted = day(
        status="accepted",
        assigned_resource=ann,
        assigned_start=dt.datetime(2026, 11, 25, 4, tzinfo=dt.UTC),
    )
    low = [day(priority="low", location=near(0.001 * k)) for k in range(1, 4)]
    urgent = [day(priority="urgent", location=near(0.03 + 0.001 * k)) for k in range(2)]
    plan = optimise(city)["plan"]
    [route] = [r for r in plan["routes"] if r["engineer"] == ann]
    placed = {visit["task"]: visit for visit in route["tasks"]}
    assert placed[accepted["id"]]["pinned"] is True
    assert placed[accepted["id"]]["start"] == "2026-11-25T04:00:00Z"
    assert {u["id"] for u in urgent} <= set(placed)  # 3 a day: the kept task and both urgent
    assert not {t["id"] for t in low} & set(placed)
    assert plan["totals"]["unplaced_by_priority"]["low"] == 3
    full = {item["task"]: item["reason"] for item in plan["unplaced"]}
    # Ann's day has room, but not under her limit of 3 tasks: the reason says so
    assert full[low[0]["id"]] == (
        "the one qualified engineer who could do it reached their daily task limit"
    )


def test_insert_fits_a_new_task_next_to_the_committed_schedule(city, day):
    ann, bob = city.ids["ann_resource"], city.ids["bob_resource"]
    for hour, place in ((1, near(0.01)), (4, near(0.02))):
        day(status="dispatched", assigned_resource=ann, location=place,
            assigned_start=dt.datetime(2026, 11, 25, hour, tzinfo=dt.UTC))  # fmt: skip
    new = day(location=near(0.015), window_start=dt.datetime(2026, 11, 25, 1, tzinfo=dt.UTC))
    reply = city.dispatcher.post("/api/v1/dispatch/insert", json={"task": new["id"]})
    assert reply.status == 200, reply.json
    best = reply.json["best"]
    assert best["engineer"] == ann and best["position"] == 1  # between the two visits
    assert "2026-11-25T02:00:00Z" <= best["start"] < "2026-11-25T03:00:00Z"
    assert [alt["engineer"] for alt in reply.json["alternatives"]] == [bob]
    assert reply.json["alternatives"][0]["added_travel_km"] > best["added_travel_km"]

    done = city.dispatcher.post("/api/v1/dispatch/insert", json={"task": new["id"], "commit": True})
    assert done.status == 200 and done.json["committed"] is True
    task = city.dispatcher.get(f"/api/v1/records/field_task/{new['id']}").json
    assert task["status"] == "dispatched" and task["assigned_resource"] == ann
    assert task["assigned_start"] == best["start"]
    again = city.dispatcher.post("/api/v1/dispatch/insert", json={"task": new["id"]})
    assert again.status == 409  # no longer new

    lift = day(required_skills=[{"skill": "lift", "level": 1}])
    none = city.dispatcher.post("/api/v1/dispatch/insert", json={"task": lift["id"]})
    assert none.status == 200 and none.json["best"] is None
    assert "needs skill lift" in none.json["reason"]


def test_only_office_roles_optimise_and_bad_input_is_refused(city, day):
    reply = city.engineer.post("/api/v1/dispatch/optimize", json={"date": DAY})
    assert reply.status == 403
    for body, field in (
        ({}, "date"),
        ({"date": "2026-13-01"}, "date"),
        ({"date": DAY, "seconds": 0}, "seconds"),
        ({"date": DAY, "move": "everything"}, "move"),
        ({"date": DAY, "colour": "red"}, "colour"),
        ({"date": DAY, "tasks": ["x"]}, "tasks.0"),
    ):
        reply = city.dispatcher.post("/api/v1/dispatch/optimize", json=body)
        assert reply.status == 422 and field in reply.json["errors"], (body, reply.json)
    assert city.dispatcher.post("/api/v1/dispatch/insert", json={"task": "1"}).status == 422
    missing = city.dispatcher.post("/api/v1/dispatch/insert", json={"task": 999999})
    assert missing.status == 404
    assert city.dispatcher.get("/api/v1/dispatch/proposals/999999").status == 404
    assert city.engineer.post("/api/v1/dispatch/insert", json={"task": day()["id"]}).status in (
        403,
        404,
    )

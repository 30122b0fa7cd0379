"""The dispatch console's API on both backends: the board, checking a drop against every hard
rule, placing a task, forcing past the rules that allow it, and who may use it."""

from __future__ import annotations

import datetime as dt

import pytest

from plinth.auth.actor import SYSTEM
from tests.field_service.city import HQ

DAY = "2026-11-25"  # a Wednesday
NOW = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai


def at(hour: int, minute: int = 0) -> str:
    """An instant on DAY, given in Shanghai time, as the API takes it."""
    local = dt.datetime(2026, 11, 25, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return local.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def day(city):
    city.app_tenant.clock = lambda: NOW

    def task(**values) -> dict:
        values.setdefault("description", "Fix the air conditioning")
        values.setdefault("location", {"lat": HQ["lat"] + 0.01, "lng": HQ["lng"]})
        values.setdefault("duration", 60)
        values.setdefault("required_skills", [{"skill": "hvac", "level": 2}])
        values.setdefault("service_group", city.ids["group"])
        return city.create("field_task", values)

    return task


def check(city, task: dict, engineer: int, start: str, **more) -> dict:
    body = {"task": task["id"], "engineer": engineer, "start": start, **more}
    reply = city.dispatcher.post("/api/v1/dispatch/check", json=body)
    assert reply.status == 200, reply.json
    return reply.json


def rules(answer: dict) -> set[str]:
    return {v["rule"] for v in answer["violations"]}


def test_the_board_shows_engineers_their_hours_and_the_queue(city, day):
    waiting = day(priority="urgent", due_at=at(9, 20))
    placed = city.dispatcher.post(
        "/api/v1/dispatch/place",
        json={"task": day()["id"], "engineer": city.ids["ann_resource"], "start": at(10)},
    )
    assert placed.status == 200, placed.json
    board = city.dispatcher.get(f"/api/v1/dispatch/board?date={DAY}").json
    names = [e["name"] for e in board["engineers"]]
    assert names == ["Ann", "Bob"]
    ann = board["engineers"][0]
    assert ann["skills"] == {"hvac": 3} and ann["groups"] == [city.ids["group"]]
    assert ann["working"], "fs_7x24 works all day"
    bars = {t["id"]: t for t in board["tasks"]}
    bar = bars[placed.json["task"]["id"]]
    assert bar["engineer"] == ann["id"] and bar["status"] == "dispatched"
    assert bar["travel_km"] is not None and bar["travel_minutes"] >= 1  # from Ann's home
    queued = {t["id"]: t for t in board["queue"]}
    assert waiting["id"] in queued and queued[waiting["id"]]["sla_due"] == at(9, 20)
    assert queued[waiting["id"]]["risk"] == "at_risk"  # an hour's work due in 80 minutes
    assert queued[waiting["id"]]["minutes_left"] == 80
    assert bar["id"] not in queued
    week = city.dispatcher.get(f"/api/v1/dispatch/board?date={DAY}&days=7").json
    assert week["days"] == 7 and week["date"] == "2026-11-23"  # from Monday


def test_a_drop_is_checked_against_every_rule_at_once(city, day):
    ann, bob = city.ids["ann_resource"], city.ids["bob_resource"]
    with city.app_tenant.session(SYSTEM) as s:
        s.records.update("service_resource", bob, {"working_hours": "fs_5x8"})
        s.records.update("service_resource", ann, {"max_tasks_per_day": 1})
    assert check(city, day(), ann, at(10)) == {"ok": True, "violations": []}

    picky = day(required_skills=[{"skill": "plumbing", "level": 1}], window_start=at(14))
    found = check(city, picky, bob, at(12, 30))  # lunch at 12-13 in fs_5x8
    assert rules(found) == {"skill", "working_hours", "window"}, found
    skill = next(v for v in found["violations"] if v["rule"] == "skill")
    assert skill["params"] == {"skill": "plumbing", "level": 1, "has": 0}
    assert skill["forcible"] is True

    first = day()
    city.dispatcher.post(
        "/api/v1/dispatch/place", json={"task": first["id"], "engineer": ann, "start": at(10)}
    )
    clash = check(city, day(), ann, at(10, 30))
    assert {"overlap", "daily_tasks"} <= rules(clash), clash
    far = day(location={"lat": HQ["lat"] + 0.3, "lng": HQ["lng"]})  # ~43 km away
    tight = check(city, far, ann, at(11, 5))  # 5 minutes after the first task ends
    assert "travel" in rules(tight), tight


def test_a_broken_rule_is_refused_unless_forced_and_the_override_is_kept(city, day):
    ann = city.ids["ann_resource"]
    task = day(required_skills=[{"skill": "plumbing", "level": 1}])
    body = {"task": task["id"], "engineer": ann, "start": at(9)}
    refused = city.dispatcher.post("/api/v1/dispatch/place", json=body)
    assert refused.status == 409
    assert [v["rule"] for v in refused.json["violations"]] == ["skill"]
    assert city.dispatcher.get(f"/api/v1/records/field_task/{task['id']}").json["status"] == "new"

    forced = city.dispatcher.post(
        "/api/v1/dispatch/place", json={**body, "force": True, "reason": "only one free"}
    )
    assert forced.status == 200, forced.json
    record = forced.json["task"]
    assert record["status"] == "dispatched" and record["assigned_resource"] == ann
    assert record["assigned_start"] == at(9)
    assert "needs skill plumbing" in record["dispatch_override"]
    assert "only one free" in record["dispatch_override"]
    timeline = city.dispatcher.get(f"/api/v1/records/field_task/{task['id']}/timeline").json
    step = next(e for e in timeline["data"] if e["transition"] == "dispatch")
    assert "needs skill plumbing" in step["comment"]

    moved = city.dispatcher.post(
        "/api/v1/dispatch/place",
        json={"task": task["id"], "engineer": ann, "start": at(9, 30), "force": True},
    )
    assert moved.status == 200 and moved.json["task"]["assigned_start"] == at(9, 30)


def test_rules_that_cannot_be_forced(city, day):
    ann = city.ids["ann_resource"]
    task = day(excluded_resources=[ann])
    body = {"task": task["id"], "engineer": ann, "start": at(9), "force": True}
    refused = city.dispatcher.post("/api/v1/dispatch/place", json=body)
    assert refused.status == 409
    assert refused.json["violations"][0] == {
        "rule": "excluded",
        "message": "Ann is excluded from this task",
        "params": {},
        "forcible": False,
    }
    with city.app_tenant.session(SYSTEM) as s:
        s.records.create(
            "resource_absence",
            {"resource": ann, "starts_at": at(8), "ends_at": at(18), "reason": "sick"},
        )
    other = day()
    away = city.dispatcher.post(
        "/api/v1/dispatch/place",
        json={"task": other["id"], "engineer": ann, "start": at(9), "force": True},
    )
    assert away.status == 409 and "absence" in {v["rule"] for v in away.json["violations"]}


def test_only_dispatchers_use_the_console_and_input_is_checked(city, day):
    assert city.engineer.get(f"/api/v1/dispatch/board?date={DAY}").status == 403
    task = day()
    body = {"task": task["id"], "engineer": city.ids["ann_resource"], "start": at(9)}
    assert city.engineer.post("/api/v1/dispatch/place", json=body).status == 403
    bad = city.dispatcher.post("/api/v1/dispatch/check", json={**body, "start": "soon"})
    assert bad.status == 422 and "start" in bad.json["errors"]
    assert city.dispatcher.get("/api/v1/dispatch/board?date=2026-13-01").status == 400
    assert city.dispatcher.get("/api/v1/dispatch/board?days=0").status == 400
    missing = city.dispatcher.post("/api/v1/dispatch/check", json={**body, "task": 999999})
    assert missing.status == 404


def _events(city, **headers):
    """The console's event stream, as (event, data) pairs as they come."""
    token = city.dispatcher.token
    response = city.dispatcher.client.get(
        "/api/v1/dispatch/events",
        headers={"Authorization": f"Bearer {token}", **headers},
        buffered=False,
    )
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)

    def next_event() -> tuple[str, str]:
        while True:
            chunk = next(chunks)
            text = chunk.decode() if isinstance(chunk, bytes) else chunk
            fields = dict(line.split(": ", 1) for line in text.strip().splitlines() if ": " in line)
            if "event" in fields:
                return fields["event"], fields["data"]

    return response, next_event


def test_the_event_stream_tells_a_console_that_the_board_changed(city, day):
    response, next_event = _events(city)
    event, first = next_event()
    assert event == "hello"
    task = day()  # someone else creates a task
    event, stamp = next_event()
    assert event == "changed" and int(stamp) > int(first)
    stamp_now = city.dispatcher.get("/api/v1/dispatch/stamp").json["stamp"]
    assert stamp_now == int(stamp)
    city.dispatcher.post(
        "/api/v1/dispatch/place",
        json={"task": task["id"], "engineer": city.ids["ann_resource"], "start": at(10)},
    )
    event, later = next_event()
    assert event == "changed" and int(later) > int(stamp)
    response.close()

    # reconnecting with a stamp older than the latest: told at once
    response, next_event = _events(city, **{"Last-Event-ID": first})
    assert next_event()[0] == "hello"
    assert next_event() == ("changed", later)
    response.close()
    assert city.engineer.get("/api/v1/dispatch/events").status == 403
    assert city.engineer.get("/api/v1/dispatch/stamp").status == 403


def optimise(city) -> dict:
    reply = city.dispatcher.post("/api/v1/dispatch/optimize", json={"date": DAY, "seconds": 1})
    assert reply.status == 202, reply.json
    city.app_tenant.jobs.dispatcher.wait(60)  # inline jobs: a background thread
    proposal = city.dispatcher.get(reply.json["url"]).json
    assert proposal["status"] == "ready", proposal["error"]
    return proposal


def test_a_proposal_is_shown_as_a_diff_committed_and_undone(city, day):
    ann = city.ids["ann_resource"]
    placed = day()
    city.dispatcher.post(
        "/api/v1/dispatch/place", json={"task": placed["id"], "engineer": ann, "start": at(15)}
    )
    new = [day(location={"lat": HQ["lat"] + 0.002 * k, "lng": HQ["lng"]}) for k in range(3)]
    nobody = day(required_skills=[{"skill": "welding", "level": 1}])
    proposal = optimise(city)
    diff = city.dispatcher.get(f"/api/v1/dispatch/proposals/{proposal['id']}/diff").json
    changes = {c["task"]: c for c in diff["tasks"]}
    assert {changes[t["id"]]["change"] for t in new} == {"assigned"}
    assert changes[nobody["id"]]["change"] == "left_out"
    assert "qualified" in changes[nobody["id"]]["reason"]
    assert placed["id"] not in changes  # dispatched tasks stay put (move: unassigned)
    assert diff["counts"] == {"assigned": 3, "moved": 0, "unchanged": 0, "left_out": 1}
    assert diff["totals"]["tasks_placed"] == {"now": 1, "proposed": 4}
    assert diff["totals"]["travel_km"]["proposed"] >= diff["totals"]["travel_km"]["now"] > 0
    loads = {e["engineer"]: e for e in diff["engineers"]}
    assert loads[ann]["now"]["tasks"] == 1
    assert sum(e["proposed"]["tasks"] for e in diff["engineers"]) == 4
    # nothing written yet
    assert city.dispatcher.get(f"/api/v1/records/field_task/{new[0]['id']}").json["status"] == "new"

    committed = city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/commit")
    assert committed.status == 200 and committed.json["dispatched"] == 3
    assert committed.json["undoable"] is True
    undone = city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/undo")
    assert undone.status == 200, undone.json
    assert undone.json["restored"] == 3
    for task in new:
        record = city.dispatcher.get(f"/api/v1/records/field_task/{task['id']}").json
        assert record["status"] == "new"
        assert record["assigned_resource"] == task["assigned_resource"]
        assert record["assigned_start"] == task["assigned_start"]
        assert record["excluded_resources"] in (None, [])  # recalled, not rejected
    after = city.dispatcher.get(f"/api/v1/records/dispatch_proposal/{proposal['id']}").json
    assert after["status"] == "undone" and after["undone_at"]
    again = city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/undo")
    assert again.status == 409


def test_undo_is_refused_once_a_task_changed_since_the_commit(city, day):
    tasks = [day(location={"lat": HQ["lat"] + 0.002 * k, "lng": HQ["lng"]}) for k in range(2)]
    proposal = optimise(city)
    city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/commit")
    accepted = city.engineer.post(f"/api/v1/records/field_task/{tasks[0]['id']}/transitions/accept")
    if accepted.status != 200:  # given to Bob: he accepts
        city.other_engineer.post(f"/api/v1/records/field_task/{tasks[0]['id']}/transitions/accept")
    refused = city.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/undo")
    assert refused.status == 409
    assert refused.json["changed_tasks"] == [tasks[0]["id"]]
    other = city.dispatcher.get(f"/api/v1/records/field_task/{tasks[1]['id']}").json
    assert other["status"] == "dispatched"  # nothing was undone
    assert city.engineer.post(f"/api/v1/dispatch/proposals/{proposal['id']}/undo").status == 403


def test_a_proposal_created_as_a_record_is_optimised_too(city, day):
    """As the record pages create it (the generic record API): queued, run, ready."""
    day()
    made = city.dispatcher.post("/api/v1/records/dispatch_proposal", json={"seconds": 1})
    assert made.status == 201, made.json
    assert made.json["date"] == "2026-11-25"  # today in the dispatcher's zone (UTC here)
    assert made.json["status"] == "queued" and made.json["move"] == "unassigned"
    city.app_tenant.jobs.dispatcher.wait(60)
    ready = city.dispatcher.get(f"/api/v1/records/dispatch_proposal/{made.json['id']}").json
    assert ready["job"] and ready["status"] == "ready", ready["error"]
    assert ready["tasks_placed"] == 1

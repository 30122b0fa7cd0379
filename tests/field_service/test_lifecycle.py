"""The whole work order / field task lifecycle through the HTTP API, as a dispatcher and
as engineers."""

from __future__ import annotations

import base64

import sqlalchemy as sa

from plinth.runtime import system_tables as st
from tests.api.test_files_api import upload
from tests.field_service.city import FAR, NEAR_HQ

PNG = (
    "data:image/png;base64,"
    + base64.b64encode(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5a90000000049454e44ae426082"
        )
    ).decode()
)


def transition(api, object_name, record_id, name, **body):
    return api.post(f"/api/v1/records/{object_name}/{record_id}/transitions/{name}", json=body)


def test_work_order_to_closed_through_a_field_task(city):
    ids, dora, ann = city.ids, city.dispatcher, city.engineer
    created = dora.post(
        "/api/v1/records/work_order",
        json={
            "subject": "AC blows warm air",
            "customer": ids["customer"],
            "contact": ids["contact"],
            "site": ids["site"],
            "priority": "high",
            "channel": "phone",
        },
    )
    assert created.status == 201, created.json
    wo = created.json
    assert wo["number"].startswith("WO-") and wo["status"] == "new"
    assert wo["service_level"] == "premium" and wo["contact_email"] == "carl@acme.example"
    clocks = dora.get(f"/api/v1/records/work_order/{wo['id']}/sla").json["data"]
    assert {c["target"] for c in clocks} == {"response", "arrival", "resolution"}
    assert {c["policy"] for c in clocks} == {"work_order_premium"}

    moved = transition(dora, "work_order", wo["id"], "send_to_field")
    assert moved.status == 200, moved.json
    tasks = dora.get(f"/api/v1/records/field_task?work_order={wo['id']}").json["data"]
    assert len(tasks) == 1
    task = tasks[0]
    # best_match picked the engineer with the skill in the group nearest the site
    assert task["assigned_resource"] == ids["ann_resource"], task
    assert task["service_group"] == ids["group"] and task["location"]["lat"] > 31
    assert transition(dora, "field_task", task["id"], "dispatch").status == 200

    # the engineer sees it in the day's list and drives it
    day = ann.get("/api/v1/fs/my/tasks")
    assert day.status == 200, day.json
    assert [t["id"] for t in day.json["data"]] == [task["id"]]
    assert city.other_engineer.get(f"/api/v1/records/field_task/{task['id']}").status == 404
    assert transition(ann, "field_task", task["id"], "accept").status == 200
    departed = transition(ann, "field_task", task["id"], "depart")
    assert departed.status == 200 and departed.json["eta"], departed.json
    arrived = transition(
        ann,
        "field_task",
        task["id"],
        "arrive",
        values={"arrival_location": NEAR_HQ, "arrival_accuracy": 15},
    )
    assert arrived.status == 200, arrived.json
    check_ins = ann.get(f"/api/v1/records/check_in?field_task={task['id']}").json["data"]
    assert len(check_ins) == 1 and check_ins[0]["at_site"] is True
    assert 50 < check_ins[0]["distance_m"] < 200
    arrival = [
        c
        for c in dora.get(f"/api/v1/records/work_order/{wo['id']}/sla").json["data"]
        if c["target"] == "arrival"
    ][0]
    assert arrival["status"] == "met" and arrival["stopped_at"]

    assert transition(ann, "field_task", task["id"], "start").status == 200
    refused = transition(ann, "field_task", task["id"], "complete")
    assert refused.status == 422 and "customer_signature" in refused.problem["errors"]
    photo = upload(ann, base64.b64decode(PNG.split(",", 1)[1]), "unit.png", "image/png")
    assert photo.status == 201, photo.json
    patch = ann.patch(
        f"/api/v1/records/field_task/{task['id']}",
        json={
            "customer_signature": {"image": PNG, "signer": "Carl"},
            "photos": [photo.json["id"]],
            "resolution": "Replaced the filter",
            "notes": "dusty unit",
        },
    )
    assert patch.status == 200, patch.json
    assert patch.json["photos"] == [photo.json["id"]]
    assert patch.json["customer_signature"]["signer"] == "Carl"
    no_parts = transition(ann, "field_task", task["id"], "complete")
    assert no_parts.status == 422 and "parts" in no_parts.problem["detail"]
    city.post_stock(ids["part"], ids["ann_bag"], 3)
    used = ann.post(
        f"/api/v1/fs/tasks/{task['id']}/parts",
        json={"kind": "consumption", "lines": [{"part": ids["part"], "qty": 1}]},
    )
    assert used.status == 201, used.json
    assert used.json["data"][0]["status"] == "posted"
    done = transition(ann, "field_task", task["id"], "complete")
    assert done.status == 200, done.json
    wo_now = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert wo_now["status"] == "completed" and wo_now["completed_at"]

    expenses = dora.get(f"/api/v1/records/expense?field_task={task['id']}&sort=kind").json["data"]
    assert [e["kind"] for e in expenses] == ["labour", "parts"]
    assert expenses[1]["amount"] == 25

    assert transition(dora, "field_task", task["id"], "approve").status == 200
    assert dora.get(f"/api/v1/records/work_order/{wo['id']}").json["status"] == (
        "awaiting_acceptance"
    )
    assert transition(dora, "field_task", task["id"], "close").status == 200
    final = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert final["status"] == "closed" and final["closed_at"]
    # the customer was told about each key step by e-mail (a job per step)
    with city.app_tenant.database.transaction() as conn:
        told = (
            conn.execute(sa.select(st.job.c.payload).where(st.job.c.name == "rules.action"))
            .scalars()
            .all()
        )
    steps_told = [p for p in told if p["automation"] == "customer_status_email"]
    assert len(steps_told) == 4  # dispatched, en route, completed, closed
    steps = [
        e["transition"]
        for e in dora.get(f"/api/v1/records/field_task/{task['id']}/timeline").json["data"]
    ]
    assert steps[1:] == [
        "dispatch",
        "accept",
        "depart",
        "arrive",
        "start",
        "complete",
        "approve",
        "close",
    ]


def test_start_needs_a_check_in_at_the_site_unless_the_setting_allows(city, as_admin):
    ids, dora, ann = city.ids, city.dispatcher, city.engineer
    task = city.create(
        "field_task",
        {
            "description": "Check the pump",
            "site": ids["site"],
            "assigned_resource": ids["ann_resource"],
        },
    )
    for name in ("dispatch",):
        assert transition(dora, "field_task", task["id"], name).status == 200
    assert transition(ann, "field_task", task["id"], "accept").status == 200
    far = transition(ann, "field_task", task["id"], "arrive", values={"arrival_location": FAR})
    assert far.status == 200
    check_in = ann.get(f"/api/v1/records/check_in?field_task={task['id']}").json["data"][0]
    assert check_in["at_site"] is False and check_in["distance_m"] > 30000
    refused = transition(ann, "field_task", task["id"], "start")
    assert refused.status == 422
    assert "check in at the task's site first" in refused.problem["detail"]

    changed = as_admin.patch("/api/v1/settings", json={"field_service.require_check_in": False})
    assert changed.status == 200, changed.json
    assert transition(ann, "field_task", task["id"], "start").status == 200


def test_reject_sends_the_task_back_to_another_engineer(city):
    ids, dora, ann = city.ids, city.dispatcher, city.engineer
    task = city.create("field_task", {"description": "Noisy fan", "site": ids["site"]})
    assert task["assigned_resource"] == ids["ann_resource"]
    assert transition(dora, "field_task", task["id"], "dispatch").status == 200
    no_reason = transition(ann, "field_task", task["id"], "reject")
    assert no_reason.status == 422 and "comment" in no_reason.problem["errors"]
    rejected = transition(ann, "field_task", task["id"], "reject", comment="Not my area")
    assert rejected.status == 200
    again = dora.get(f"/api/v1/records/field_task/{task['id']}").json
    assert again["status"] == "new"
    assert again["assigned_resource"] == ids["bob_resource"]
    assert again["excluded_resources"] == [ids["ann_resource"]]
    # and ann can no longer see it
    assert ann.get(f"/api/v1/records/field_task/{task['id']}").status == 404


def test_low_priority_tasks_wait_in_the_pool_for_the_first_engineer_to_grab(city):
    ids, ann, bob = city.ids, city.engineer, city.other_engineer
    task = city.create(
        "field_task", {"description": "Replace a lamp", "site": ids["site"], "priority": "low"}
    )
    assert task["assigned_resource"] is None
    offered = ann.get("/api/v1/pool/field_task").json["data"]
    assert [o["record"]["id"] for o in offered] == [task["id"]]
    assert offered[0]["rule"] == "field_task_pool"
    grabbed = ann.post(f"/api/v1/records/field_task/{task['id']}/claim", json={})
    assert grabbed.status == 200, grabbed.json
    assert bob.post(f"/api/v1/records/field_task/{task['id']}/claim", json={}).status == 409
    mine = ann.get(f"/api/v1/records/field_task/{task['id']}").json
    assert mine["assigned_resource"] == ids["ann_resource"]


def test_sla_breach_marks_the_work_order_and_alerts_the_dispatcher(city):
    import datetime as dt

    from plinth.workflow import sla_tracking

    tenant, dora = city.app_tenant, city.dispatcher
    now = [dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)]
    tenant.clock = lambda: now[0]
    wo = city.create(
        "work_order",
        {"subject": "Lift stuck", "customer": city.ids["customer"], "priority": "urgent"},
    )
    clocks = {
        c["target"]: c for c in dora.get(f"/api/v1/records/work_order/{wo['id']}/sla").json["data"]
    }
    assert clocks["response"]["due_at"] == "2026-11-24T02:15:00Z"  # premium 7x24: 15 minutes
    now[0] += dt.timedelta(minutes=13)
    with tenant.session() as s:
        sla_tracking.sweep(s)
    assert (
        dora.get("/api/v1/notifications").json["data"][0]["title"] == f"SLA at risk: {wo['number']}"
    )
    now[0] += dt.timedelta(minutes=5)
    with tenant.session() as s:
        sla_tracking.sweep(s)
    breached = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert breached["sla_breached"] is True
    titles = [n["title"] for n in dora.get("/api/v1/notifications").json["data"]]
    assert f"SLA breached: {wo['number']}" in titles
    report = dora.get("/api/v1/sla/breaches?object=work_order").json["data"]
    assert [(r["record_id"], r["target"]) for r in report] == [(wo["id"], "response")]

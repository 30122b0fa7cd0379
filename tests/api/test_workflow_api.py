"""Workflows, approvals and SLA clocks over HTTP."""

import datetime as dt

import pytest
from openapi_spec_validator import validate

from plinth.metadata.publisher import Publisher, Put
from plinth.workflow.sla_tracking import sweep
from tests.workflow.ticket_flow import ROLES, TICKET, WORKFLOW

MON_0900 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
CALENDAR = {
    "name": "cn_5x8",
    "time_zone": "Asia/Shanghai",
    "hours": {
        d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    },
}
POLICY = {
    "name": "support",
    "object": "ticket",
    "calendar": "cn_5x8",
    "priority_field": "priority",
    "targets": [
        {"name": "response", "stop_states": ["open"], "durations": {"urgent": "2h", "normal": "8h"}}
    ],
}


@pytest.fixture
def now(app):
    tenant = app.extensions["plinth"].tenant
    current = [MON_0900]
    tenant.clock = lambda: current[0]
    Publisher(tenant).publish(
        [
            Put("objects", TICKET),
            *(Put(kind, document) for kind, document in ROLES),
            Put("workflows", WORKFLOW),
            Put("calendars", CALENDAR),
            Put("sla_policies", POLICY),
        ]
    )
    return current


@pytest.fixture
def team(now, people, as_user):
    agent, manager, approver = (
        people("agent", ["agent"]),
        people("boss", ["manager"]),
        people("pat", ["agent"]),
    )
    return {
        "agent": as_user(agent),
        "manager": as_user(manager),
        "approver": as_user(approver),
        "approver_id": approver["id"],
    }


def test_transitions_are_fired_with_etags_and_guarded(as_admin, now):
    created = as_admin.post("/api/v1/records/ticket", json={"title": "printer"}).json
    url = f"/api/v1/records/ticket/{created['id']}"
    record = as_admin.get(url).json
    assert record["status"] == "new"
    assert [t["name"] for t in record["_transitions"]] == ["start", "cancel"]

    refused = as_admin.patch(url, json={"status": "done"})
    assert refused.status == 422 and "status" in refused.problem["errors"]

    stale = as_admin.post(f"{url}/transitions/start", headers={"If-Match": '"7"'})
    assert stale.status == 412
    fired = as_admin.post(
        f"{url}/transitions/start", json={"comment": "on it"}, headers={"If-Match": '"1"'}
    )
    assert fired.status == 200, fired.json
    assert fired.json["status"] == "open" and fired.headers["ETag"] == '"2"'
    assert {t["name"] for t in fired.json["_transitions"]} == {"finish", "spend", "cancel", "note"}

    again = as_admin.post(f"{url}/transitions/start")
    assert again.status == 409 and "open" in again.problem["detail"]
    assert as_admin.post(f"{url}/transitions/fly").status == 404
    extra = as_admin.post(f"{url}/transitions/note", json={"comments": "typo"})
    assert extra.status == 422 and "comments" in extra.problem["errors"]
    missing = as_admin.post(f"{url}/transitions/finish")
    assert missing.status == 422 and "resolution" in missing.problem["errors"]
    uncommented = as_admin.post(f"{url}/transitions/cancel")
    assert uncommented.status == 422 and "comment" in uncommented.problem["errors"]

    now[0] = MON_0900 + dt.timedelta(minutes=30)
    done = as_admin.post(f"{url}/transitions/finish", json={"values": {"resolution": "toner"}})
    assert done.status == 200 and done.json["resolution"] == "toner"
    assert done.json["closed_by"] is not None

    timeline = as_admin.get(f"{url}/timeline").json
    assert [(e["transition"], e["from"], e["to"]) for e in timeline["data"]] == [
        (None, None, "new"),
        ("start", "new", "open"),
        ("finish", "open", "done"),
    ]
    assert timeline["data"][1]["comment"] == "on it"
    assert timeline["data"][1]["dwell_seconds"] == 1800
    assert timeline["time_in_states"]["open"] == 1800


def test_roles_decide_who_may_fire(team, now):
    ticket = team["agent"].post("/api/v1/records/ticket", json={"title": "x"}).json
    url = f"/api/v1/records/ticket/{ticket['id']}"
    team["agent"].post(f"{url}/transitions/start")
    offered = [t["name"] for t in team["manager"].get(f"{url}/transitions").json["data"]]
    assert "finish" not in offered  # finish is for agents
    denied = team["manager"].post(f"{url}/transitions/finish", json={"values": {"resolution": "r"}})
    assert denied.status == 403


def test_approval_levels_through_the_api(team, now):
    agent, manager, approver = team["agent"], team["manager"], team["approver"]
    ticket = agent.post(
        "/api/v1/records/ticket", json={"title": "laptop", "approver": team["approver_id"]}
    ).json
    url = f"/api/v1/records/ticket/{ticket['id']}"
    agent.post(f"{url}/transitions/start")
    submitted = agent.post(f"{url}/transitions/spend", json={"comment": "old one broke"})
    assert submitted.status == 200 and submitted.json["status"] == "approval"

    assert agent.get("/api/v1/approvals").json["data"] == []  # not theirs to decide
    inbox = manager.get("/api/v1/approvals").json["data"]
    assert [(a["record_id"], a["level"], a["status"]) for a in inbox] == [
        (ticket["id"], 0, "pending")
    ]
    approval = f"/api/v1/approvals/{inbox[0]['id']}"
    assert agent.post(f"{approval}/approve").status == 403
    assert manager.post(f"{approval}/reject").status == 422  # a rejection needs a comment
    first = manager.post(f"{approval}/approve", json={"comment": "fine"})
    assert first.status == 200 and first.json["level"] == 1
    assert approver.get("/api/v1/approvals").json["data"][0]["id"] == inbox[0]["id"]

    rejected = approver.post(f"{approval}/reject", json={"comment": "too expensive"})
    assert rejected.status == 200 and rejected.json["status"] == "rejected"
    assert [s["decision"] for s in rejected.json["steps"]] == ["approved", "rejected"]
    assert agent.get(url).json["status"] == "open"  # on_reject sent it back
    history = agent.get(f"{url}/approvals").json["data"]
    assert [a["status"] for a in history] == ["rejected"]
    assert agent.post(f"{approval}/approve").status == 409  # decided already


def test_sla_clocks_and_breach_report(as_admin, now):
    urgent = as_admin.post("/api/v1/records/ticket", json={"title": "u", "priority": "urgent"}).json
    clocks = as_admin.get(f"/api/v1/records/ticket/{urgent['id']}/sla").json["data"]
    assert [(c["policy"], c["target"], c["status"]) for c in clocks] == [
        ("support", "response", "on_track")
    ]
    due = dt.datetime.fromisoformat(clocks[0]["due_at"])
    assert due.utcoffset() is not None and due == dt.datetime.fromisoformat(
        "2026-11-23T11:00+08:00"
    )

    now[0] = MON_0900 + dt.timedelta(hours=3)
    tenant = as_admin.client.application.extensions["plinth"].tenant
    with tenant.session() as session:
        assert sweep(session) == 1
    report = as_admin.get("/api/v1/sla/breaches?object=ticket&from=2026-11-01&to=2026-12-01").json
    assert [(b["record_id"], b["status"]) for b in report["data"]] == [(urgent["id"], "breached")]
    assert as_admin.get("/api/v1/sla/breaches?object=ticket&to=2026-11-01").json["data"] == []
    assert as_admin.get("/api/v1/sla/breaches?object=ticket&from=March").status == 400
    assert as_admin.get("/api/v1/sla/breaches").status == 400


def test_the_document_describes_workflow_endpoints(as_admin, now):
    spec = as_admin.get("/api/v1/openapi.json").json
    validate(spec)
    fire = spec["paths"]["/api/v1/records/ticket/{id}/transitions/{name}"]
    names = next(p for p in fire["parameters"] if p["name"] == "name")["schema"]["enum"]
    assert names == sorted(t["name"] for t in WORKFLOW["transitions"])
    assert "/api/v1/records/ticket/{id}/sla" in spec["paths"]
    assert "/api/v1/approvals/{approval_id}/approve" in spec["paths"]

"""Assignment over HTTP: manual runs with dry run, the decision log, pools and claims."""

import pytest
from openapi_spec_validator import validate

from plinth.metadata.publisher import Publisher, Put
from tests.rules.assignment_docs import ENGINEER, JOB, JOB_FLOW, T0, rule

ROLE = {
    "name": "engineer_role",
    "objects": {
        "job": {"read": "own", "create": "all", "update": "own"},
        "engineer": {"read": "all"},
    },
}


@pytest.fixture
def shop(app):
    tenant = app.extensions["plinth"].tenant
    tenant.clock = lambda: T0

    def publish(*documents):
        Publisher(tenant).publish([Put(kind, doc) for kind, doc in documents])

    publish(("objects", ENGINEER), ("objects", JOB), ("workflows", JOB_FLOW), ("roles", ROLE))
    return publish


def test_manual_assignment_and_its_log(as_admin, shop):
    shop(rule("rr", "round_robin", when={"on": "manual"}))
    ann = as_admin.post("/api/v1/records/engineer", json={"name": "ann"}).json["id"]
    job = as_admin.post("/api/v1/records/job", json={"title": "x"}).json
    url = f"/api/v1/records/job/{job['id']}"

    preview = as_admin.post(f"{url}/assign", json={"dry_run": True})
    assert preview.status == 200 and preview.json["assignee"] == ann
    assert as_admin.get(url).json["engineer"] is None
    assert as_admin.get(f"{url}/assignments").json["data"] == []

    done = as_admin.post(f"{url}/assign", json={"rule": "rr"})
    assert done.status == 200 and done.json["dry_run"] is False
    assert as_admin.get(url).json["engineer"] == ann
    [entry] = as_admin.get(f"{url}/assignments").json["data"]
    assert (entry["rule"], entry["method"], entry["assignee"]) == ("rr", "round_robin", ann)

    assert as_admin.post(f"{url}/assign", json={"rule": "nope"}).status == 404
    assert as_admin.post(f"{url}/assign", json={"dry_run": "yes"}).status == 422
    assert as_admin.post(f"{url}/assign", json={"who": 1}).status == 422
    assert as_admin.post("/api/v1/records/job/999/assign").status == 404


def test_pool_listing_and_claiming(as_admin, shop, people, as_user):
    shop(rule("grab", "load_balancing", pool=True))
    ann_user = people("ann", ["engineer_role"])
    bob_user = people("bob", ["engineer_role"])
    outsider = people("cid", ["engineer_role"])
    for user in (ann_user, bob_user):
        as_admin.post("/api/v1/records/engineer", json={"name": user["email"], "login": user["id"]})
    job = as_admin.post("/api/v1/records/job", json={"title": "boiler"}).json
    ann, bob, cid = as_user(ann_user), as_user(bob_user), as_user(outsider)

    listed = ann.get("/api/v1/pool/job").json
    assert [item["record"]["title"] for item in listed["data"]] == ["boiler"]
    assert listed["next_cursor"] is None
    assert cid.get("/api/v1/pool/job").json["data"] == []
    assert ann.get(f"/api/v1/records/job/{job['id']}").status == 404  # not theirs yet

    assert cid.post(f"/api/v1/records/job/{job['id']}/claim").status == 403
    claimed = ann.post(f"/api/v1/records/job/{job['id']}/claim")
    assert claimed.status == 200 and claimed.json["engineer"] is not None
    late = bob.post(f"/api/v1/records/job/{job['id']}/claim")
    assert late.status == 409 and late.headers["Content-Type"] == "application/problem+json"
    assert bob.get("/api/v1/pool/job").json["data"] == []
    methods = [
        e["method"]
        for e in as_admin.get(f"/api/v1/records/job/{job['id']}/assignments").json["data"]
    ]
    assert methods == ["claim", "load_balancing:pool"]


def test_the_document_describes_assignment_endpoints(as_admin, shop):
    shop(rule("grab", "load_balancing", pool=True))
    spec = as_admin.get("/api/v1/openapi.json").json
    validate(spec)
    for path in ("/records/job/{id}/assign", "/records/job/{id}/claim", "/pool/job"):
        assert f"/api/v1{path}" in spec["paths"]

"""A step's own time (``occurred_at``): a phone that did a step offline sends it when it
replays the step; the server checks it, stamps with it and keeps it on the timeline."""

import copy
import datetime as dt

import pytest

from plinth.metadata.publisher import Publisher, Put
from tests.workflow.ticket_flow import ROLES, TICKET, WORKFLOW

T = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def stamped_flow():
    """The ticket flow whose start stamps started_at (and a note by an action)."""
    ticket, workflow = copy.deepcopy(TICKET), copy.deepcopy(WORKFLOW)
    ticket["fields"].append({"name": "started_at", "type": "datetime"})
    start = next(t for t in workflow["transitions"] if t["name"] == "start")
    start["set"] = {"started_at": "occurred_at"}
    start["actions"] = [
        {"type": "set_fields", "values": {"log": "=f'started {occurred_at:%H:%M}'"}}
    ]
    return ticket, workflow


@pytest.fixture
def now(app):
    tenant = app.extensions["plinth"].tenant
    current = [T]
    tenant.clock = lambda: current[0]
    ticket, workflow = stamped_flow()
    Publisher(tenant).publish(
        [Put("objects", ticket), *(Put(k, d) for k, d in ROLES), Put("workflows", workflow)]
    )
    return current


def new_ticket(api, now, at):
    now[0] = at
    created = api.post("/api/v1/records/ticket", {"title": "printer"})
    assert created.status == 201, created.json
    return f"/api/v1/records/ticket/{created.json['id']}"


def test_a_step_replayed_later_keeps_the_time_it_happened(as_admin, now):
    url = new_ticket(as_admin, now, T - dt.timedelta(hours=3))
    now[0] = T  # back online two hours after the step
    done_at = T - dt.timedelta(hours=2)
    fired = as_admin.post(f"{url}/transitions/start", {"occurred_at": iso(done_at)})
    assert fired.status == 200, fired.json
    assert fired.json["started_at"] == iso(done_at)
    assert fired.json["log"] == "started 07:00"  # actions see it too

    timeline = as_admin.get(f"{url}/timeline").json
    created, started = timeline["data"]
    assert (started["at"], started["occurred_at"]) == (iso(T), iso(done_at))
    assert created["occurred_at"] == created["at"] == iso(T - dt.timedelta(hours=3))
    assert created["dwell_seconds"] == 3600  # new: from creation to the real start
    assert started["dwell_seconds"] == 7200  # open: since the real start
    assert timeline["time_in_states"] == {"new": 3600, "open": 7200}


def test_without_occurred_at_the_step_is_now(as_admin, now):
    url = new_ticket(as_admin, now, T)
    now[0] = T + dt.timedelta(minutes=5)
    fired = as_admin.post(f"{url}/transitions/start")
    assert fired.status == 200 and fired.json["started_at"] == iso(now[0])
    started = as_admin.get(f"{url}/timeline").json["data"][1]
    assert started["occurred_at"] == started["at"] == iso(now[0])


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (
            dt.timedelta(minutes=6),
            "is later than the server's time (2026-11-23T09:00:00Z): check the device's clock",
        ),
        (dt.timedelta(hours=-80), "is more than 72 hours ago"),
        (dt.timedelta(hours=-2), "is before the record's last step (2026-11-23T08:00:00Z)"),
    ],
)
def test_a_time_in_the_future_too_old_or_out_of_order_is_refused(as_admin, now, offset, message):
    url = new_ticket(as_admin, now, T - dt.timedelta(hours=1))
    now[0] = T
    refused = as_admin.post(f"{url}/transitions/start", {"occurred_at": iso(T + offset)})
    assert refused.status == 422
    assert refused.problem["errors"] == {"occurred_at": [message]}
    assert as_admin.get(url).json["status"] == "new"  # nothing moved
    assert len(as_admin.get(f"{url}/timeline").json["data"]) == 1


@pytest.mark.parametrize(
    ("offset", "stamped"),
    [
        (dt.timedelta(minutes=4), dt.timedelta(0)),  # a clock a little fast: now
        (dt.timedelta(hours=-1, minutes=-4), dt.timedelta(hours=-1)),  # before creation: then
    ],
)
def test_a_device_clock_a_little_off_is_moved_to_the_bound(as_admin, now, offset, stamped):
    url = new_ticket(as_admin, now, T - dt.timedelta(hours=1))
    now[0] = T
    fired = as_admin.post(f"{url}/transitions/start", {"occurred_at": iso(T + offset)})
    assert fired.status == 200, fired.json
    assert fired.json["started_at"] == iso(T + stamped)


def test_occurred_at_must_be_an_instant(as_admin, now):
    url = new_ticket(as_admin, now, T)
    refused = as_admin.post(f"{url}/transitions/start", {"occurred_at": "this morning"})
    assert refused.status == 422 and "occurred_at" in refused.problem["errors"]
    naive = as_admin.post(f"{url}/transitions/start", {"occurred_at": "2026-11-23T09:00:00"})
    assert naive.status == 200 and naive.json["started_at"] == iso(T)  # UTC without a zone


def test_the_document_describes_occurred_at(as_admin, now):
    schemas = as_admin.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert schemas["FireRequest"]["properties"]["occurred_at"]["format"] == "date-time"
    assert "occurred_at" in schemas["TimelineEntry"]["required"]


def test_the_refusal_speaks_the_callers_language(as_admin, now):
    url = new_ticket(as_admin, now, T)
    now[0] = T + dt.timedelta(hours=100)
    refused = as_admin.post(
        f"{url}/transitions/start",
        {"occurred_at": iso(T)},
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status == 422
    assert refused.problem["errors"] == {"occurred_at": ["距今已超过 72 小时"]}

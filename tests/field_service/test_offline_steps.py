"""Steps an engineer did offline and the phone sent later, each with the time of the tap
(``occurred_at``): the task's stamps, the check-in, the labour and the work order say when
things happened; SLA clocks stay on the server's time."""

from __future__ import annotations

import datetime as dt

from tests.field_service.city import NEAR_HQ
from tests.field_service.test_lifecycle import PNG, transition

T = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_offline_steps_keep_their_own_times(city):
    ids, dora, ann = city.ids, city.dispatcher, city.engineer
    now = [T]
    city.app_tenant.clock = lambda: now[0]
    wo = dora.post(
        "/api/v1/records/work_order",
        json={"subject": "AC", "customer": ids["customer"], "site": ids["site"]},
    ).json
    assert transition(dora, "work_order", wo["id"], "send_to_field").status == 200
    task = dora.get(f"/api/v1/records/field_task?work_order={wo['id']}").json["data"][0]
    assert transition(dora, "field_task", task["id"], "dispatch").status == 200

    # The engineer works offline from 09:10; the phone is back online at 11:00.
    steps = [
        ("accept", 10, {}),
        ("depart", 15, {}),
        ("arrive", 40, {"values": {"arrival_location": NEAR_HQ, "arrival_accuracy": 10}}),
        ("start", 45, {}),
    ]
    now[0] = T + dt.timedelta(hours=2)
    for name, minute, body in steps:
        done_at = iso(T + dt.timedelta(minutes=minute))
        fired = transition(ann, "field_task", task["id"], name, occurred_at=done_at, **body)
        assert fired.status == 200, (name, fired.json)
    ann.patch(
        f"/api/v1/records/field_task/{task['id']}",
        json={
            "customer_signature": {"image": PNG, "signer": "Carl"},
            "resolution": "Cleaned the filter",
            "no_parts_used": True,
        },
    )
    completed = transition(
        ann, "field_task", task["id"], "complete", occurred_at=iso(T + dt.timedelta(minutes=75))
    )
    assert completed.status == 200, completed.json

    record = completed.json
    assert record["started_at"] == iso(T + dt.timedelta(minutes=45))
    assert record["completed_at"] == iso(T + dt.timedelta(minutes=75))
    assert record["eta"] >= iso(T + dt.timedelta(minutes=15))  # from the departure
    check_in = ann.get(f"/api/v1/records/check_in?field_task={task['id']}").json["data"][0]
    assert check_in["checked_in_at"] == iso(T + dt.timedelta(minutes=40))
    labour = dora.get(f"/api/v1/records/expense?field_task={task['id']}&kind=labour").json
    assert float(labour["data"][0]["quantity"]) == 0.5  # 09:45 to 10:15, not to 11:00
    order = dora.get(f"/api/v1/records/work_order/{wo['id']}").json
    assert order["completed_at"] == iso(T + dt.timedelta(minutes=75))  # set off by the task

    entries = dora.get(f"/api/v1/records/field_task/{task['id']}/timeline").json["data"]
    when = {e["transition"]: (e["at"], e["occurred_at"]) for e in entries}
    assert when["arrive"] == (iso(now[0]), iso(T + dt.timedelta(minutes=40)))
    assert when["dispatch"] == (iso(T), iso(T))
    clocks = dora.get(f"/api/v1/records/work_order/{wo['id']}/sla").json["data"]
    arrival = next(c for c in clocks if c["target"] == "arrival")
    assert arrival["stopped_at"] == iso(now[0])  # SLA clocks run on the server's time

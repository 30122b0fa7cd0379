"""SLA clocks in business time: start, pause, re-target, stop (by state or event), warning and
breach raised exactly once, and the breach report."""

import datetime as dt
import threading

import pytest

from plinth.workflow import sla_tracking

from .steps import move
from .ticket_flow import WORKFLOW

MON_0900 = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai, a Monday
HOUR = dt.timedelta(hours=1)

CALENDAR = {
    "name": "cn_5x8",
    "time_zone": "Asia/Shanghai",
    "hours": {
        d: [["09:00", "12:00"], ["13:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": ["2026-10-01"],
}

HOLDING_WORKFLOW = {
    **WORKFLOW,
    "transitions": [*WORKFLOW["transitions"], {"name": "hold", "from": ["open"], "to": "approval"}],
}


def policy(*targets, **extra):
    return (
        "sla_policies",
        {
            "name": "support",
            "object": "ticket",
            "calendar": "cn_5x8",
            "priority_field": "priority",
            "targets": list(targets),
            **extra,
        },
    )


RESPONSE = {
    "name": "response",
    "stop_states": ["open"],
    "durations": {"urgent": "2h", "normal": "8h"},
}
RESOLUTION = {"name": "resolution", "stop_states": ["done"], "durations": {"default": "16h"}}


@pytest.fixture
def sla(publish, flow, clock):
    clock[0] = MON_0900

    def install(*targets, **extra):
        publish(("calendars", CALENDAR), ("workflows", HOLDING_WORKFLOW), policy(*targets, **extra))

    return install


def clocks_of(tenant, record_id):
    with tenant.session() as session:
        return {c["target"]: c for c in sla_tracking.record_clocks(session, "ticket", record_id)}


def sweep(tenant):
    with tenant.session() as session:
        return sla_tracking.sweep(session)


def utc(value):
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(dt.UTC)


def test_due_and_warning_in_business_time_follow_a_priority_change(tenant, sla, records, clock):
    sla(RESPONSE, RESOLUTION)
    ticket = records("create", "ticket", {"title": "x", "priority": "urgent"})
    response = clocks_of(tenant, ticket["id"])["response"]
    assert response["status"] == "on_track" and response["target_seconds"] == 7200
    assert utc(response["due_at"]) == utc("2026-11-23T11:00:00+08:00")
    assert utc(response["warn_at"]) == utc("2026-11-23T10:36:00+08:00")  # 80% of 2h

    clock[0] = MON_0900 + HOUR
    records("update", "ticket", ticket["id"], {"priority": "normal"})
    response = clocks_of(tenant, ticket["id"])["response"]
    assert response["elapsed_seconds"] == 3600 and response["target_seconds"] == 8 * 3600
    assert utc(response["due_at"]) == utc("2026-11-23T18:00:00+08:00")  # lunch is not counted
    assert utc(response["warn_at"]) == utc("2026-11-23T16:24:00+08:00")

    clock[0] = MON_0900 + 2 * HOUR
    move(tenant, ticket["id"], "start")
    clock[0] = MON_0900 + 30 * HOUR  # a day later: a stopped clock stays as it stopped
    both = clocks_of(tenant, ticket["id"])
    assert both["response"]["status"] == "met"
    assert both["response"]["elapsed_seconds"] == 7200
    assert utc(both["response"]["stopped_at"]) == MON_0900 + 2 * HOUR
    assert both["resolution"]["stopped_at"] is None
    # Mon 09-12 + 13-18, Tue 09-12 + 13-15 (the 30 wall hours end Tue 15:00 local)
    assert both["resolution"]["elapsed_seconds"] == (3 + 5 + 3 + 2) * 3600


def test_clocks_pause_in_paused_states_and_resume(tenant, sla, records, clock):
    sla(RESOLUTION)
    ticket = records("create", "ticket", {"title": "x", "priority": "normal"})
    clock[0] = MON_0900 + HOUR
    move(tenant, ticket["id"], "start")
    clock[0] = MON_0900 + 2 * HOUR  # 11:00 local
    move(tenant, ticket["id"], "hold")
    clock[0] = MON_0900 + 3 * HOUR + dt.timedelta(minutes=30)
    paused = clocks_of(tenant, ticket["id"])["resolution"]
    assert paused["paused"] is True and paused["due_at"] is None and paused["warn_at"] is None
    assert paused["elapsed_seconds"] == 7200 and paused["paused_seconds"] == 3600

    clock[0] = MON_0900 + 4 * HOUR  # 13:00 local: 11-12 was paused, 12-13 is lunch
    move(tenant, ticket["id"], "send_back")
    resumed = clocks_of(tenant, ticket["id"])["resolution"]
    assert resumed["paused"] is False
    assert resumed["elapsed_seconds"] == 7200 and resumed["paused_seconds"] == 3600
    # 14h left from Mon 13:00: Mon 5h, Tue 8h, Wed 1h
    assert utc(resumed["due_at"]) == utc("2026-11-25T10:00:00+08:00")


def test_targets_start_on_entering_a_state_and_stop_on_an_event(tenant, sla, records, clock):
    fix = {
        "name": "fix",
        "start_states": ["open"],
        "stop_states": ["done"],
        "durations": {"default": "4h"},
    }
    arrival = {"name": "arrival", "stop_on": "check_in", "durations": {"default": "3h"}}
    sla(fix, arrival)
    ticket = records("create", "ticket", {"title": "x"})
    assert set(clocks_of(tenant, ticket["id"])) == {"arrival"}
    clock[0] = MON_0900 + HOUR
    move(tenant, ticket["id"], "start")
    clock[0] = MON_0900 + 2 * HOUR
    with tenant.session() as session:
        sla_tracking.stop_event(session, "ticket", ticket["id"], "check_in")
    clock[0] = MON_0900 + 5 * HOUR
    both = clocks_of(tenant, ticket["id"])
    assert both["arrival"]["status"] == "met" and both["arrival"]["elapsed_seconds"] == 7200
    assert both["fix"]["stopped_at"] is None
    assert utc(both["fix"]["started_at"]) == MON_0900 + HOUR
    assert both["fix"]["elapsed_seconds"] == 3 * 3600  # 10-12 and 13-14


def test_applies_if_starts_and_drops_clocks(tenant, sla, records):
    sla(RESPONSE, applies_if="priority == 'urgent'")
    ticket = records("create", "ticket", {"title": "x", "priority": "normal"})
    assert clocks_of(tenant, ticket["id"]) == {}
    records("update", "ticket", ticket["id"], {"priority": "urgent"})
    assert set(clocks_of(tenant, ticket["id"])) == {"response"}
    records("update", "ticket", ticket["id"], {"priority": "normal"})
    assert clocks_of(tenant, ticket["id"]) == {}
    records("update", "ticket", ticket["id"], {"priority": "urgent"})
    records("delete", "ticket", ticket["id"])
    with tenant.session() as session:
        assert session.conn.execute(sla_tracking.C.select()).first() is None


COUNT_EVENTS = [
    (
        "automations",
        {
            "name": f"sla_{event}",
            "object": "ticket",
            "trigger": {"type": "on_sla", "sla_event": event, "target": "response"},
            "actions": [{"type": "set_fields", "values": {"log": f"=(log or '') + '{event[0]}'"}}],
        },
    )
    for event in ("warning", "breach")
]


def test_warning_and_breach_are_raised_exactly_once(tenant, sla, publish, records, clock):
    sla(RESPONSE)
    publish(*COUNT_EVENTS)
    watched = records("create", "ticket", {"title": "watched", "priority": "urgent"})
    clock[0] = MON_0900 + dt.timedelta(minutes=100)  # past the warning at 96 minutes
    assert sweep(tenant) == 1
    assert sweep(tenant) == 0
    assert records("get", "ticket", watched["id"])["log"] == "w"
    assert clocks_of(tenant, watched["id"])["response"]["status"] == "warning"

    late = records("create", "ticket", {"title": "late", "priority": "urgent"})
    clock[0] = MON_0900 + dt.timedelta(hours=5)  # 14:00 local: past both due times
    assert sweep(tenant) == 2
    assert sweep(tenant) == 0
    assert records("get", "ticket", watched["id"])["log"] == "wb"
    assert records("get", "ticket", late["id"])["log"] == "b"  # no late warning after a breach
    breached = clocks_of(tenant, late["id"])["response"]
    assert breached["status"] == "breached"
    assert utc(breached["breached_at"]) == utc(
        "2026-11-23T13:40:00+08:00"
    )  # created 10:40, lunch skipped

    # a breached clock that stops is still breached, and is not reported again
    move(tenant, late["id"], "start")
    assert clocks_of(tenant, late["id"])["response"]["status"] == "breached"
    assert records("get", "ticket", late["id"])["log"] == "b"


def test_racing_sweeps_report_each_event_once(tenant, sla, publish, records, clock, backend):
    sla(RESPONSE)
    publish(*COUNT_EVENTS)
    ids = [
        records("create", "ticket", {"title": f"t{i}", "priority": "urgent"})["id"]
        for i in range(5)
    ]
    clock[0] = MON_0900 + dt.timedelta(hours=3)  # past the warning and the breach of all 5
    barrier = threading.Barrier(3)
    counts, errors = [], []

    def run():
        barrier.wait()
        try:
            counts.append(sweep(tenant))
        except Exception as exc:  # noqa: BLE001 - asserted below: no sweeper may fail
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)  # a liveness guard: fails only a sweeper that never returns
    assert errors == [] and len(counts) == 3  # every sweeper finished
    assert sum(counts) == 5  # each clock moved by exactly one of them, once
    assert all(0 <= count <= 5 for count in counts)
    assert [records("get", "ticket", i)["log"] for i in ids] == ["b"] * 5  # breach raised once
    assert sweep(tenant) == 0
    with tenant.session() as session:
        rows = session.conn.execute(sla_tracking.C.select()).mappings().all()
    assert len(rows) == 5 and all(row["breach_fired_at"] is not None for row in rows)
    assert {row["status"] for row in rows} == {"breached"}


def test_breach_report_by_period_honours_read_access(tenant, sla, records, clock):
    sla(RESPONSE)
    ticket = records("create", "ticket", {"title": "x", "priority": "urgent"})
    records("create", "ticket", {"title": "fine", "priority": "normal"})
    clock[0] = MON_0900 + dt.timedelta(hours=4)
    sweep(tenant)
    with tenant.session() as session:
        run = session.conn.execute
        november = run(
            sla_tracking.breached_between(
                session,
                "ticket",
                dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
            )
        ).all()
        october = run(
            sla_tracking.breached_between(
                session,
                "ticket",
                dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            )
        ).all()
    assert [row.record_id for row in november] == [ticket["id"]]
    assert october == []

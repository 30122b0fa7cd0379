"""Plans a dispatcher would accept (issue 20), through the API on both backends: workload
balance on a six-engineer day, the lunch break of the working hours, a claimed pool task
kept on its claimant, daily limits counting the day's finished work, the user who cancelled
a work order on its tasks' timelines, and overdue tasks on an engineer's day.

The optimiser's budget is counted on a fake clock (a fixed number of solver iterations), so
the plans do not depend on how busy the machine is.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from benchmarks.dispatch.city_day import team_day
from plinth.auth.actor import SYSTEM
from plinth.testing import FakeClock
from tests.field_service.city import HQ

DAY = "2026-11-25"  # a Wednesday
NOW = dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC)  # 08:00 in Shanghai
LUNCH = ("2026-11-25T04:00:00Z", "2026-11-25T05:00:00Z")  # 12:00-13:00 in Shanghai


@pytest.fixture(autouse=True)
def solver_clock(monkeypatch) -> FakeClock:
    clock = FakeClock(step=2**-10)
    for name in ("solver", "optimize", "make_room"):
        monkeypatch.setattr(sys.modules[f"packs.field_service.dispatch.{name}"], "time", clock)
    return clock


@pytest.fixture
def today(city):
    city.app_tenant.clock = lambda: NOW
    return city


def optimise(city, seconds: int = 1) -> dict:
    reply = city.dispatcher.post(
        "/api/v1/dispatch/optimize", json={"date": DAY, "seconds": seconds}
    )
    assert reply.status == 202, reply.json
    city.app_tenant.jobs.dispatcher.wait(120)
    proposal = city.dispatcher.get(reply.json["url"]).json
    assert proposal["status"] == "ready", proposal["error"]
    return proposal


def point(place: tuple[float, float]) -> dict:
    return {"lat": place[0], "lng": place[1]}


def task(city, **values) -> dict:
    values.setdefault("description", "Fix the air conditioning")
    values.setdefault("duration", 60)
    values.setdefault("required_skills", [{"skill": "hvac", "level": 1}])
    values.setdefault("service_group", city.ids["group"])
    return city.create("field_task", values)


def fs_5x8(city, *names: str) -> None:
    with city.app_tenant.session(SYSTEM) as s:
        for name in names:
            s.records.update(
                "service_resource", city.ids[f"{name}_resource"], {"working_hours": "fs_5x8"}
            )


# ---- workload balance ----------------------------------------------------------------------
def team(city, seed: int) -> dict[int, int]:
    """Issue 20's day (``team_day``) as records: Ann, Bob and four more engineers of the
    central group on office hours, 42 short visits in one district. Engineer number -> id."""
    day = team_day(6, 42, seed)
    ids = {}
    with city.app_tenant.session(SYSTEM) as s:
        for engineer in day.engineers:
            name = {1: "ann", 2: "bob"}.get(engineer.id)
            values = {"home_base": point(engineer.start), "working_hours": "fs_5x8"}
            if name:
                ids[engineer.id] = city.ids[f"{name}_resource"]
                s.records.update("service_resource", ids[engineer.id], values)
                continue
            made = s.records.create("service_resource", {"name": engineer.name, **values})
            ids[engineer.id] = made["id"]
            s.records.create(
                "resource_skill", {"resource": made["id"], "skill": city.ids["skill"], "level": 3}
            )
            s.records.create(
                "service_group_member", {"group": city.ids["group"], "resource": made["id"]}
            )
    for work in day.tasks:
        task(
            city,
            location=point(work.location),
            duration=work.duration_minutes,
            priority=work.priority,
            window_start=work.window_start,
            window_end=work.window_end,
        )
    return ids


def idle_beside_overloaded(plan: dict) -> list[tuple[int, int]]:
    """(busy, idle): an engineer working (on site and driving) more than 1.5 times the
    average while another, who may do any of these tasks, has nothing to do."""
    loads = {route["engineer"]: route["work_minutes"] for route in plan["routes"]}
    average = sum(loads.values()) / len(loads)
    idle = [route["engineer"] for route in plan["routes"] if not route["tasks"]]
    return [(busy, other) for busy, load in loads.items() if load > 1.5 * average for other in idle]


def test_balance_puts_idle_engineers_to_work_for_little_more_driving(today, as_admin):
    team(today, seed=1)
    assert (
        as_admin.patch("/api/v1/settings", json={"field_service.dispatch_balance_weight": 0}).status
        == 200
    )
    least_driving = optimise(today, 2)
    assert least_driving["balance"] == 0
    assert idle_beside_overloaded(least_driving["plan"])  # the day of the issue

    assert (
        as_admin.patch(
            "/api/v1/settings", json={"field_service.dispatch_balance_weight": 50}
        ).status
        == 200
    )
    balanced = optimise(today, 2)
    assert balanced["balance"] == 50
    plan, before = balanced["plan"], least_driving["plan"]
    assert idle_beside_overloaded(plan) == []
    assert plan["totals"]["tasks_placed"] == before["totals"]["tasks_placed"] == 42
    assert plan["totals"]["travel_km"] <= 1.10 * before["totals"]["travel_km"]
    assert plan["totals"]["engineers_idle"] < before["totals"]["engineers_idle"]
    assert plan["totals"]["work_hours_most"] < before["totals"]["work_hours_most"]


# ---- lunch ------------------------------------------------------------------------------------
def test_no_visit_is_planned_over_lunch(today):
    fs_5x8(today, "ann", "bob")
    with today.app_tenant.session(SYSTEM) as s:
        s.records.update("service_resource", today.ids["bob_resource"], {"active": False})
    near = {"lat": HQ["lat"] + 0.01, "lng": HQ["lng"]}
    morning = [task(today, location=near, duration=50) for _ in range(3)]
    # 90 minutes that may start from 11:30 to 13:30: not at 11:30, it would run into lunch
    across = task(
        today,
        location=near,
        duration=90,
        window_start=dt.datetime(2026, 11, 25, 3, 30, tzinfo=dt.UTC),
        window_end=dt.datetime(2026, 11, 25, 5, 30, tzinfo=dt.UTC),
    )
    plan = optimise(today)["plan"]
    [route] = [r for r in plan["routes"] if r["tasks"]]
    starts = {visit["task"]: visit for visit in route["tasks"]}
    assert set(starts) == {t["id"] for t in [*morning, across]}
    for visit in route["tasks"]:
        assert visit["end"] <= LUNCH[0] or visit["start"] >= LUNCH[1], visit
    assert starts[across["id"]]["start"] == LUNCH[1]


# ---- a claimed task ------------------------------------------------------------------------
def test_a_claimed_pool_task_stays_with_its_claimant(today):
    ids, bob = today.ids, today.other_engineer
    grab = today.create(
        "field_task", {"description": "Replace a lamp", "site": ids["site"], "priority": "low"}
    )
    assert grab["assigned_resource"] is None  # in the grab pool
    assert bob.post(f"/api/v1/records/field_task/{grab['id']}/claim", json={}).status == 200
    record = today.dispatcher.get(f"/api/v1/records/field_task/{grab['id']}").json
    assert record["claimed_by"] == record["assigned_resource"] == ids["bob_resource"]
    assert record["status"] == "new"

    # at HQ, where Ann lives: least driving would give it to her, but Bob claimed it
    proposal = optimise(today)
    [route] = [r for r in proposal["plan"]["routes"] if r["tasks"]]
    assert route["engineer"] == ids["bob_resource"] and route["tasks"][0]["pinned"] is True
    committed = today.dispatcher.post(f"/api/v1/dispatch/proposals/{proposal['id']}/commit")
    assert committed.status == 200, committed.json
    again = today.dispatcher.get(f"/api/v1/records/field_task/{grab['id']}").json
    assert again["status"] == "dispatched" and again["assigned_resource"] == ids["bob_resource"]

    rejected = bob.post(
        f"/api/v1/records/field_task/{grab['id']}/transitions/reject", json={"comment": "Too far"}
    )
    assert rejected.status == 200, rejected.json
    gone = today.dispatcher.get(f"/api/v1/records/field_task/{grab['id']}").json
    assert gone["claimed_by"] is None and gone["status"] == "new"


def test_a_dispatcher_choosing_an_engineer_is_not_a_claim(today):
    made = task(today, location=HQ, required_skills=[{"skill": "lift", "level": 1}])
    assert made["assigned_resource"] is None  # nobody has the skill: the rules leave it
    changed = today.dispatcher.patch(
        f"/api/v1/records/field_task/{made['id']}",
        json={"assigned_resource": today.ids["bob_resource"]},
    )
    assert changed.status == 200, changed.json
    assert changed.json["claimed_by"] is None


# ---- daily limits ------------------------------------------------------------------------
def test_the_days_finished_work_counts_against_the_daily_limits(today):
    ids = today.ids
    with today.app_tenant.session(SYSTEM) as s:
        s.records.update("service_resource", ids["bob_resource"], {"active": False})
        s.records.update("service_resource", ids["ann_resource"], {"max_tasks_per_day": 2})
    done = {"status": "completed", "assigned_resource": ids["ann_resource"]}
    task(today, location=HQ, **done, assigned_start=NOW - dt.timedelta(hours=1),
         started_at=NOW - dt.timedelta(minutes=50), completed_at=NOW - dt.timedelta(minutes=10))  # fmt: skip
    yesterday = NOW - dt.timedelta(days=1)
    task(today, location=HQ, **done, assigned_start=yesterday, started_at=yesterday,
         completed_at=yesterday + dt.timedelta(hours=1))  # fmt: skip
    new = [task(today, location={"lat": HQ["lat"] + 0.001 * k, "lng": HQ["lng"]}) for k in (1, 2)]
    plan = optimise(today)["plan"]
    assert plan["totals"]["tasks_placed"] == 1  # 2 a day, and one is done (yesterday's is not)
    [(left_out, reason)] = [(u["task"], u["reason"]) for u in plan["unplaced"]]
    assert left_out in {t["id"] for t in new}
    assert reason == "the one qualified engineer who could do it reached their daily task limit"


# ---- who cancelled -----------------------------------------------------------------------
def test_a_task_cancelled_with_its_work_order_shows_who_cancelled(today):
    ids, dora = today.ids, today.dispatcher
    order = dora.post(
        "/api/v1/records/work_order",
        json={
            "subject": "Leak",
            "customer": ids["customer"],
            "contact": ids["contact"],
            "site": ids["site"],
        },
    ).json
    assert (
        dora.post(
            f"/api/v1/records/work_order/{order['id']}/transitions/send_to_field", json={}
        ).status
        == 200
    )
    [field_task] = dora.get(f"/api/v1/records/field_task?work_order={order['id']}").json["data"]
    cancelled = dora.post(
        f"/api/v1/records/work_order/{order['id']}/transitions/cancel",
        json={"comment": "Customer called off"},
    )
    assert cancelled.status == 200, cancelled.json
    steps = dora.get(f"/api/v1/records/field_task/{field_task['id']}/timeline").json["data"]
    last = steps[-1]
    assert (last["transition"], last["to"], last["by"]) == ("cancel", "cancelled", ids["dora"])
    assert last["comment"] == "work order cancelled"
    order_steps = dora.get(f"/api/v1/records/work_order/{order['id']}/timeline").json["data"]
    assert order_steps[-1]["by"] == ids["dora"]


# ---- the engineer's day ------------------------------------------------------------------
def test_open_tasks_of_earlier_days_are_on_today_flagged_overdue(today):
    ids = today.ids
    mine = {"assigned_resource": ids["ann_resource"], "location": HQ}
    late = task(today, **mine, status="accepted", assigned_start=NOW - dt.timedelta(days=2))
    task(today, **mine, status="completed", assigned_start=NOW - dt.timedelta(days=1))
    now = task(today, **mine, status="dispatched", assigned_start=NOW + dt.timedelta(hours=2))
    day = today.engineer.get("/api/v1/fs/my/tasks")
    assert day.status == 200, day.json
    shown = [(t["id"], t["overdue"], t["planned_order"]) for t in day.json["data"]]
    assert shown == [(late["id"], True, 1), (now["id"], False, 2)]
    earlier = today.engineer.get("/api/v1/fs/my/tasks?date=2026-11-23").json["data"]
    assert [(t["id"], t["overdue"]) for t in earlier] == [(late["id"], False)]

"""The field service pack's assignment rules at night (issue 20): best_match judges who is
on duty when the task's window opens, not at the moment it is created, and the round robin
fallback, when nobody is on duty, still gives the task only to a qualified group member."""

from __future__ import annotations

import datetime as dt

import pytest

from plinth.auth.actor import SYSTEM
from tests.field_service.city import HQ

NIGHT = dt.datetime(2026, 11, 25, 14, 0, tzinfo=dt.UTC)  # Wednesday 22:00 in Shanghai
MORNING = dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)  # Thursday 09:30


@pytest.fixture
def night(city):
    """Ann and Bob on office hours; Carl (no HVAC) and Dan (HVAC, another group) too."""
    city.app_tenant.clock = lambda: NIGHT
    ids = city.ids
    with city.app_tenant.session(SYSTEM) as s:
        for name in ("ann", "bob"):
            s.records.update(
                "service_resource", ids[f"{name}_resource"], {"working_hours": "fs_5x8"}
            )
        other = s.records.create("service_group", {"code": "east", "name": "East"})["id"]
        for name, group, skill in (("carl", ids["group"], None), ("dan", other, ids["skill"])):
            resource = s.records.create(
                "service_resource",
                {"name": name.title(), "home_base": HQ, "working_hours": "fs_5x8"},
            )
            ids[f"{name}_resource"] = resource["id"]
            s.records.create("service_group_member", {"group": group, "resource": resource["id"]})
            if skill:
                s.records.create(
                    "resource_skill", {"resource": resource["id"], "skill": skill, "level": 5}
                )
    return city


def new_task(city, **values) -> dict:
    values.setdefault("description", "The air conditioning is off")
    values.setdefault("site", city.ids["site"])
    values.setdefault("required_skills", [{"skill": "hvac", "level": 2}])
    return city.create("field_task", values)


def rule_of(city, task: dict) -> str:
    entries = city.dispatcher.get(f"/api/v1/records/field_task/{task['id']}/assignments").json[
        "data"
    ]
    return entries[-1]["rule"]


def test_a_task_for_tomorrow_morning_goes_to_who_works_then(night):
    ids = night.ids
    task = new_task(night, window_start=MORNING, window_end=MORNING + dt.timedelta(hours=3))
    assert task["assigned_resource"] in (ids["ann_resource"], ids["bob_resource"])
    assert rule_of(night, task) == "field_task_best_match"
    later = new_task(night, earliest_start=MORNING)
    assert later["assigned_resource"] in (ids["ann_resource"], ids["bob_resource"])
    assert rule_of(night, later) == "field_task_best_match"


def test_the_round_robin_fallback_keeps_to_skills_and_the_group(night):
    ids = night.ids
    qualified = {ids["ann_resource"], ids["bob_resource"]}
    tasks = [new_task(night) for _ in range(4)]  # no window: now, and nobody is on duty
    assert {t["assigned_resource"] for t in tasks} == qualified  # in turn, never Carl or Dan
    assert {rule_of(night, t) for t in tasks} == {"field_task_round_robin"}
    nobody = new_task(night, required_skills=[{"skill": "hvac", "level": 5}])
    assert nobody["assigned_resource"] is None  # only Dan has level 5, in another group

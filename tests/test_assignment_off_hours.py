"""Assignment off hours (issue 20), in the engine: best_match judges working hours when the
work happens (the first set of several ``at`` fields, not before now), and a round robin
or load balancing rule with ``match`` criteria keeps to their hard filters."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import sqlalchemy as sa

from plinth.errors import MetadataInvalid
from plinth.runtime import system_tables as st
from tests.rules.assignment_docs import CALENDAR, ENGINEER, JOB, JOB_FLOW, NIGHT, rule

EVENING = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)  # Monday 20:00 in Shanghai
TOMORROW_9 = dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC)  # Tuesday 09:00
JOB_WITH_WINDOW = copy.deepcopy(JOB)
JOB_WITH_WINDOW["fields"].append({"name": "window", "type": "datetime"})
HOURS = {"at": ["start", "window"], "calendar": "calendar"}
SKILLS = {"skills": {"required": "required_skills", "candidate": "skills"}}
GROUP = {"group": {"record": "group", "candidate": "groups"}}


@pytest.fixture
def shop(tenant, publish):
    tenant.clock = lambda: EVENING
    publish(ENGINEER, JOB_WITH_WINDOW, ("workflows", JOB_FLOW))
    publish(("calendars", CALENDAR), ("calendars", NIGHT))
    return publish


def engineers(records, *specs):
    return [records("create", "engineer", spec)["id"] for spec in specs]


def logged(tenant, job_id):
    with tenant.session() as session:
        query = sa.select(st.assignment.c.rule, st.assignment.c.detail).where(
            st.assignment.c.record_id == job_id
        )
        return [dict(row._mapping) for row in session.conn.execute(query)]


def test_best_match_judges_hours_at_the_first_set_time_not_now(tenant, shop, records):
    day, night = engineers(
        records,
        {"name": "day", "calendar": "day_shift", "skills": {"hvac": 3}},
        {"name": "night", "calendar": "night_shift", "skills": {"hvac": 3}},
    )
    shop(rule("best", "best_match", match={**SKILLS, "working_hours": HOURS}))
    tomorrow = records("create", "job", {"title": "a", "window": TOMORROW_9})
    assert tomorrow["engineer"] == day  # at its window, 09:00: the day shift
    now = records("create", "job", {"title": "b"})
    assert now["engineer"] == night  # no time set: now, 20:00
    scheduled = records("create", "job", {"title": "c", "start": EVENING, "window": TOMORROW_9})
    assert scheduled["engineer"] == night  # the schedule comes first
    past = records("create", "job", {"title": "d", "window": EVENING - dt.timedelta(hours=10)})
    assert past["engineer"] == night  # a window already open: judged now, not in the past
    [entry] = logged(tenant, tomorrow["id"])
    assert entry["detail"]["excluded"] == {"off duty": 1}


def test_round_robin_with_match_keeps_to_skills_and_group(tenant, shop, records):
    ann, _junior, _outsider, bob = engineers(
        records,
        {"name": "ann", "skills": {"hvac": 3}, "groups": ["east"]},
        {"name": "junior", "skills": {"hvac": 1}, "groups": ["east"]},
        {"name": "outsider", "skills": {"hvac": 5}, "groups": ["west"]},
        {"name": "bob", "skills": {"hvac": 2}, "groups": ["east"]},
    )
    shop(rule("rr", "round_robin", match={**SKILLS, **GROUP}))
    needs = {"required_skills": {"hvac": 2}, "group": "east"}
    got = [records("create", "job", {"title": str(i), **needs})["engineer"] for i in range(4)]
    assert got == [ann, bob, ann, bob]
    [entry] = logged(tenant, records("create", "job", {"title": "x", **needs})["id"])
    assert entry["detail"]["excluded"] == {
        "skill hvac below level 2": 1,
        "not in the service group": 1,
    }
    nobody = records("create", "job", {"title": "y", "required_skills": {"gas": 1}})
    assert nobody["engineer"] is None
    plain = records("create", "job", {"title": "z"})  # no skill, no group: anyone
    assert plain["engineer"] is not None


def test_load_balancing_with_match_keeps_to_its_filters(tenant, shop, records):
    ann, _junior = engineers(
        records,
        {"name": "ann", "skills": {"hvac": 3}},
        {"name": "junior", "skills": {"hvac": 1}},
    )
    for index in range(3):
        records("create", "job", {"title": f"busy {index}", "engineer": ann})
    shop(rule("light", "load_balancing", match=SKILLS))
    job = records("create", "job", {"title": "x", "required_skills": {"hvac": 2}})
    assert job["engineer"] == ann  # the lighter junior may not do it


def test_an_unknown_field_among_several_at_is_refused_with_its_place(shop):
    hours = {"at": ["start", "nowhere"]}
    with pytest.raises(MetadataInvalid) as caught:
        shop(rule("bad", "best_match", match={"working_hours": hours}))
    assert any(key.endswith("/match/working_hours/at/1") for key in caught.value.errors), (
        caught.value.errors
    )

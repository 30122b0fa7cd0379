"""Bad input to the field service pack's endpoints is a 400/422 problem naming what was
wrong, never a 500 (the engine's cases are in tests/api/test_bad_input.py)."""

from __future__ import annotations

import logging

import pytest

from tests.api.test_bad_input import BIG, DEEP, Case, send

WEB_FORM = "/api/v1/fs/public/work-orders"
CASES = {
    # reported: the public web form, unauthenticated
    "web form: JSON nested 5000 deep": Case("POST", WEB_FORM, DEEP, 400, "_body", True),
    "web form: a lone surrogate": Case(
        "POST",
        WEB_FORM,
        '{"name": "\\ud800", "subject": "Leak", "email": "a@example.com"}',
        field="name",
        anonymous=True,
    ),
    "evaluation: JSON nested 5000 deep": Case(
        "POST", "/api/v1/fs/evaluations/any-token", DEEP, 400, "_body", True
    ),
    "parts: a qty of NaN": Case(
        "POST",
        "/api/v1/fs/tasks/1/parts",
        {"kind": "consumption", "lines": [{"part": 1, "qty": "NaN"}]},
        field="lines/0/qty",
    ),
    "locations: a resource id beyond 64 bits": Case(
        "POST",
        "/api/v1/fs/locations",
        {
            "device_id": "phone-1",
            "resource": BIG,
            "points": [{"seq": 1, "at": "2026-01-01T00:00:00Z", "lat": 31.2, "lng": 121.4}],
        },
        field="resource",
    ),
    "my tasks: the last day of the calendar": Case(
        "GET", "/api/v1/fs/my/tasks?date=9999-12-31", status=400, field="date"
    ),
    "track: the last day of the calendar": Case(
        "GET", "/api/v1/fs/resources/{ann_resource}/track?date=9999-12-31", status=400, field="date"
    ),
    "optimize: the last day of the calendar": Case(
        "POST", "/api/v1/dispatch/optimize", {"date": "9999-12-31"}, field="date"
    ),
    "optimize: task ids beyond 64 bits": Case(
        "POST", "/api/v1/dispatch/optimize", {"date": "2026-11-25", "tasks": [BIG]}, field="tasks.0"
    ),
    "field task: excluded resources that are not ids": Case(
        "POST",
        "/api/v1/records/field_task",
        {"description": "Fix", "excluded_resources": [{}]},
        field="excluded_resources",
    ),
    "field task: required skills without a skill code": Case(
        "POST",
        "/api/v1/records/field_task",
        {"description": "Fix", "required_skills": [{"level": 9}]},
        field="required_skills",
    ),
}
# Who sends each case (anonymous ones aside): the engineer for the engineer's endpoints.
ENGINEER = {"parts: a qty of NaN", "my tasks: the last day of the calendar"}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_a_problem_naming_the_field(name, city, as_admin, anonymous, caplog):
    case = CASES[name]
    api = anonymous if case.anonymous else city.engineer if name in ENGINEER else as_admin
    caplog.set_level(logging.WARNING)
    reply = send(api, case.method, case.path.format(**city.ids), case.body)
    assert reply.status == case.status, reply.json
    problem = reply.problem
    assert case.field in problem.get("errors", {}) or case.field in problem["detail"], problem
    assert not [r for r in caplog.records if r.exc_info], "an input error logged a traceback"


def test_a_form_rating_of_5000_digits_is_refused_not_a_crash(city, client):
    """The evaluation page (a form, no JSON): int() of 5000 digits raised before."""
    reply = client.post("/fs/evaluate/not-a-link", data={"rating_quality": "5" * 5000})
    assert reply.status_code == 403  # the link is checked and refused, as for any rating


def test_junk_in_a_tasks_json_fields_does_not_break_dispatching_it(city, as_admin):
    """The record service refuses junk in excluded_resources and required_skills (json
    fields; the rules field_task_*_list), but rows stored before those rules, or by other
    means, may hold any JSON: dispatching reads past it."""
    from plinth.auth.actor import SYSTEM

    task = city.create(
        "field_task",
        {
            "description": "Fix the air conditioning",
            "location": {"lat": 31.2310, "lng": 121.4745},
            "duration": 60,
        },
    )
    with city.app_tenant.session(SYSTEM) as s:
        table = s.compiled.object("field_task").table
        junk = ["²", "9" * 5000, BIG, "x", city.ids["bob_resource"]]
        s.conn.execute(
            table.update()
            .where(table.c.id == task["id"])
            .values(excluded_resources=junk, required_skills=7)
        )
    reply = as_admin.post(
        "/api/v1/dispatch/insert", json={"task": task["id"], "date": "2026-11-25"}
    )
    assert reply.status == 200, reply.json
    offered = [reply.json["best"], *reply.json["alternatives"]] if reply.json["best"] else []
    assert all(slot["engineer"] != city.ids["bob_resource"] for slot in offered)

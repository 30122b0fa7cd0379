"""Workflow steps in the pages: a step that needs input opens its form, and every refusal
(a required field, a condition, a role, another state, a bad value) is said in the user's
language, naming fields, roles and states by their labels. The API keeps its English."""

from __future__ import annotations

import pytest
from flask import g

from admin_ui.messages import error_lines, say
from plinth.auth.actor import SYSTEM
from plinth.errors import ValidationError
from plinth.i18n import Message, Named
from plinth.metadata.publisher import Publisher, Put
from plinth.workflow.transitions import fire

JOB = {
    "name": "job",
    "label": {"en": "Job", "zh-CN": "任务"},
    "fields": [
        {"name": "title", "type": "text"},
        {
            "name": "status",
            "type": "select",
            "options": [{"value": v} for v in ("new", "open", "done")],
        },
        {"name": "resolution", "type": "text", "label": {"en": "Resolution", "zh-CN": "处理结果"}},
        {"name": "cost", "type": "integer", "label": {"en": "Cost", "zh-CN": "费用"}},
    ],
}
FLOW = {
    "name": "job_flow",
    "object": "job",
    "field": "status",
    "states": [
        {
            "name": "new",
            "label": {"en": "New", "zh-CN": "新建"},
            "category": "new",
            "initial": True,
        },
        {"name": "open", "label": {"en": "Open", "zh-CN": "处理中"}, "category": "open"},
        {"name": "done", "label": {"en": "Done", "zh-CN": "已完成"}, "category": "done"},
    ],
    "transitions": [
        {"name": "start", "label": {"en": "Start", "zh-CN": "开始"}, "from": ["new"], "to": "open"},
        {
            "name": "finish",
            "label": {"en": "Finish", "zh-CN": "完成"},
            "from": ["open"],
            "to": "done",
            "require": ["resolution"],
        },
        {
            "name": "close",
            "label": {"en": "Close", "zh-CN": "关闭"},
            "from": ["open"],
            "to": "done",
            "condition": "cost is not None",
            "condition_message": {"en": "enter the cost first", "zh-CN": "请先填写费用"},
        },
        {
            "name": "approve",
            "label": {"en": "Approve", "zh-CN": "批准"},
            "from": ["open"],
            "to": "done",
            "roles": ["boss"],
        },
    ],
}
ACCESS = {"job": {"read": "all", "create": "all", "update": "all"}}
ROLES = [
    {"name": "worker", "label": {"en": "Worker", "zh-CN": "员工"}, "objects": ACCESS},
    {"name": "boss", "label": {"en": "Boss", "zh-CN": "主管"}, "objects": ACCESS},
]


@pytest.fixture
def job(app, records, people):
    """An open job and a worker (who is no boss) logged in with Chinese as their language."""
    Publisher(app.extensions["plinth"].tenant).publish(
        [Put("objects", JOB), Put("workflows", FLOW), *(Put("roles", r) for r in ROLES)]
    )
    people("wang", roles=["worker"])
    created = records("create", "job", {"title": "Pump"})
    with app.extensions["plinth"].tenant.session(SYSTEM) as s:
        fire(s, "job", created["id"], "start")
    return created["id"]


def _chinese(browser) -> None:
    browser.login("wang@example.com")
    browser.get("/app/")
    assert browser.post("/app/preferences", {"locale": "zh-CN"}).status_code == 302


def test_a_missing_required_field_is_named_by_its_label_in_chinese(browser, job):
    _chinese(browser)
    page = browser.text(browser.get(f"/app/job/{job}"))
    assert f'href="/app/job/{job}/transitions/finish">完成</a>' in page  # opens its form
    form = browser.text(browser.get(f"/app/job/{job}/transitions/finish"))
    assert '<label for="f-resolution">处理结果 <span class="req"' in form
    refused = browser.post(f"/app/job/{job}/transitions/finish", {"resolution": " "})
    assert refused.status_code == 422
    text = browser.text(refused)
    assert '<p class="field-error" id="f-resolution-error">执行“完成”前须填写</p>' in text
    assert "is required" not in text
    done = browser.post(f"/app/job/{job}/transitions/finish", {"resolution": "Fixed"})
    assert done.status_code == 302
    assert "已完成。" in browser.text(browser.get(f"/app/job/{job}"))


def test_refusals_of_a_step_are_flashed_in_chinese_with_labels(browser, job):
    _chinese(browser)
    browser.get(f"/app/job/{job}")
    browser.post(f"/app/job/{job}/transitions/close")  # its condition does not hold
    page = browser.text(browser.get(f"/app/job/{job}"))
    assert "现在不能执行“关闭”：请先填写费用" in page
    browser.post(f"/app/job/{job}/transitions/approve")  # not a boss
    page = browser.text(browser.get(f"/app/job/{job}"))
    assert "只有主管可以执行“批准”" in page
    opened = browser.get(f"/app/job/{job}/transitions/approve")  # not offered: no form
    assert opened.status_code == 302
    assert "现在不能执行“批准”。" in browser.text(browser.get(f"/app/job/{job}"))
    browser.post(f"/app/job/{job}/transitions/start")  # the job is open already
    page = browser.text(browser.get(f"/app/job/{job}"))
    assert f"任务 {job} 当前为“处理中”，不能执行“开始”" in page
    browser.post(f"/app/job/{job}/transitions/finish", {"resolution": "x", "version": "1"})
    page = browser.text(browser.get(f"/app/job/{job}"))
    assert f"任务 {job} 在你打开后已被修改（当前版本 2，你打开的是版本 1）" in page


def test_a_record_form_says_a_bad_value_in_chinese(browser, job):
    _chinese(browser)
    browser.get("/app/job/new")
    refused = browser.post("/app/job/new", {"title": "Valve", "cost": "many"})
    assert refused.status_code == 422
    assert '<p class="field-error" id="f-cost-error">必须是整数</p>' in browser.text(refused)


def test_the_api_keeps_its_english_messages(job, people, as_user):
    boss = people("li", roles=["boss"])
    api = as_user(boss)
    assert api.patch("/api/v1/me", json={"locale": "zh-CN"}).status == 200
    refused = api.post(f"/api/v1/records/job/{job}/transitions/finish", json={})
    assert refused.status == 422
    # English, with the step's label in the caller's language, as the API always answered
    assert refused.problem["errors"] == {"resolution": ["is required to 完成"]}


def test_error_lines_name_the_field_by_its_label(app, job):
    with app.extensions["plinth"].tenant.session(SYSTEM) as s:
        model = s.compiled.object("job")
    required = Message("is required to {action}", action={"en": "Finish", "zh-CN": "完成"})
    refused = ValidationError({"resolution": [required], "comment": ["is required"]})
    for locale, lines in (
        ("en", ["Resolution: is required to Finish", "Comment: is required"]),
        ("zh-CN", ["处理结果：执行“完成”前须填写", "备注：必填"]),
    ):
        with app.test_request_context():
            g.ui_locale = locale
            assert error_lines(model, refused) == lines
            boss = Named("boss", {"en": "Boss", "zh-CN": "主管"})
            roles = Message("only {roles} may {action}", roles=[boss], action="x")
            assert str(roles) == "only boss may x"  # the API's text names the role
            assert say(roles) == {"en": "only Boss may x", "zh-CN": "只有主管可以执行“x”"}[locale]
            assert say("not a message the pages know") == "not a message the pages know"

"""An engineer on a phone works a field task in the generic record pages (Playwright driving
Debian's chromium, 390 x 844, geolocation granted): accept, depart, and arrive with
"Use my location", in Chinese and in English. The check-in is made from the phone's fix.

Screenshots go to ``test-artifacts/screenshots/engineer-*-<locale>.png``.
"""

from __future__ import annotations

import re

import pytest

from plinth.auth.actor import SYSTEM
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from plinth.runtime.query import Filter, ListQuery
from plinth.testing import PASSWORD, DatabaseTemplate
from plinth.workflow.transitions import fire
from tests.field_service.city import HQ, NEAR_HQ, PACK
from tests.ui.browser_steps import shot

pytestmark = pytest.mark.sqlite_only

WORDS = {
    "zh-CN": {
        "accept": "接单",
        "depart": "出发",
        "arrive": "到达签到",
        "locate": "使用我的位置",
        "located": "已获取位置（精度约 12 米）。",
        "required": "执行“到达签到”前须填写",
        "location": "到达位置",
        "denied": "你没有允许本网站使用你的位置",
        "done": "已完成。",
        "arrived": "已到达",
    },
    "en": {
        "accept": "Accept",
        "depart": "Depart",
        "arrive": "Arrive (check in)",
        "locate": "Use my location",
        "located": "Location found (accuracy about 12 m).",
        "required": "is required to Arrive (check in)",
        "location": "Arrival location",
        "denied": "You did not allow this site to use your location",
        "done": "Done.",
        "arrived": "Arrived",
    },
}


def _install_the_pack(tenant) -> None:
    PackInstaller(tenant).install([load_pack(PACK)])


WITH_THE_PACK = DatabaseTemplate("field_service_pages", _install_the_pack)


@pytest.fixture
def database_template() -> DatabaseTemplate:
    return WITH_THE_PACK


@pytest.fixture
def app(plinth_settings, tenant):
    """The app with the field service pack installed (its Python loaded)."""
    from plinth.app import create_app

    application = create_app(plinth_settings)
    yield application
    application.extensions["plinth"].tenant.dispose()


@pytest.fixture
def dispatched(app, people, as_user):
    """Ann, an engineer whose language is the test's, and a task at HQ dispatched to her."""
    tenant = app.extensions["plinth"].tenant
    ann = people("ann", roles=["engineer"])
    with tenant.session(SYSTEM) as s:
        resource = s.records.create(
            "service_resource",
            {"name": "Ann", "login": ann["id"], "home_base": HQ, "working_hours": "fs_7x24"},
        )
        customer = s.records.create("customer", {"name": "Acme", "code": "ACME"})
        site = s.records.create(
            "site", {"name": "Acme HQ", "customer": customer["id"], "location": HQ}
        )
        task = s.records.create(
            "field_task",
            {
                "description": "AC blows warm air",
                "site": site["id"],
                "assigned_resource": resource["id"],
            },
        )
        fire(s, "field_task", task["id"], "dispatch")
    return tenant, as_user(ann), task["id"]


def _check_ins(tenant, task_id: int) -> list[dict]:
    with tenant.session(SYSTEM) as s:
        query = ListQuery(filters=[Filter("field_task", "eq", task_id)])
        return s.records.list("check_in", query).data


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_an_engineer_arrives_with_the_phones_position(server, browser_page, dispatched, locale):
    tenant, ann, task_id = dispatched
    assert ann.patch("/api/v1/me", json={"locale": locale}).status == 200
    words = WORDS[locale]
    phone = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
    here = {"latitude": NEAR_HQ["lat"], "longitude": NEAR_HQ["lng"], "accuracy": 12}
    context = browser_page.new_context(
        **phone, locale=locale, geolocation=here, permissions=["geolocation"]
    )
    page = context.new_page()
    task_page = f"{server}/app/field_task/{task_id}"
    page.goto(task_page)  # the login first, then back to the task
    page.fill('input[name="email"]', "ann@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.wait_for_url(task_page)
    assert page.locator("html").get_attribute("lang") == locale
    shot(page, f"engineer-1-dispatched-{locale}")

    for step in ("accept", "depart"):
        button = page.locator(f'button[data-transition="{step}"]')
        assert button.inner_text() == words[step]
        with page.expect_navigation():
            button.tap()
        assert page.locator(".flash").first.inner_text() == words["done"]

    arrive = page.locator('a[data-transition="arrive"]')  # it needs the place: a form
    assert arrive.inner_text() == words["arrive"]
    with page.expect_navigation():
        arrive.tap()
    assert re.search(r"/transitions/arrive$", page.url)
    assert page.locator("h1").inner_text() == words["arrive"]
    with page.expect_navigation():  # without a place: refused, in the user's language
        page.locator("button.primary").tap()
    error = page.locator("#f-arrival_location-error")
    assert error.inner_text() == words["required"]
    assert (
        page.locator('label[for="f-arrival_location"]').inner_text().startswith(words["location"])
    )
    shot(page, f"engineer-2-arrive-required-{locale}")

    locate = page.locator(".geo-locate")
    assert locate.inner_text() == words["locate"]
    locate.tap()
    page.locator(".geo-status", has_text=words["located"]).wait_for()
    assert float(page.input_value('input[name="arrival_location__lat"]')) == NEAR_HQ["lat"]
    assert float(page.input_value('input[name="arrival_location__lng"]')) == NEAR_HQ["lng"]
    assert page.input_value('input[name="arrival_accuracy"]') == "12"
    shot(page, f"engineer-3-located-{locale}")
    with page.expect_navigation():
        page.locator("button.primary").tap()
    assert page.url == task_page
    assert page.locator(".flash").first.inner_text() == words["done"]
    assert words["arrived"] in page.locator('[data-field="status"]').inner_text()
    assert page.locator('.related[data-object="check_in"] tbody tr').count() == 1
    shot(page, f"engineer-4-arrived-{locale}")

    check_ins = _check_ins(tenant, task_id)
    assert len(check_ins) == 1
    assert check_ins[0]["location"] == NEAR_HQ and float(check_ins[0]["accuracy_m"]) == 12
    assert check_ins[0]["at_site"] is True
    context.close()

    # Without the permission, the button says so (and the place can still be picked).
    context = browser_page.new_context(**phone, locale=locale)
    page = context.new_page()
    page.goto(f"{server}/app/login")
    page.fill('input[name="email"]', "ann@example.com")
    page.fill('input[name="password"]', PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.wait_for_load_state()
    page.goto(f"{server}/app/check_in/new")
    page.locator(".geo-locate").tap()
    status = page.locator(".geo-status.field-error")
    status.wait_for()
    assert words["denied"] in status.inner_text()
    shot(page, f"engineer-5-location-denied-{locale}")
    context.close()

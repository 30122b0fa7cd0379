"""The notification bell and the inbox in a real browser (Playwright driving Debian's
chromium), for a dispatcher whose alerts the field service pack wrote the real way: a work
order's SLA clock passed its warning and its target (the SLA sweep), and it waited too long
to be dispatched (the dwell sweep). The badge counts them; the bell opens the newest, in
English and in Chinese, in the dispatcher's time zone; clicking one opens its work order and
the count drops; the inbox filters by queue. On a desktop and on a 390 px phone.
Screenshots go to ``test-artifacts/screenshots/inbox-*.png``.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from plinth.runtime import system_tables as st
from plinth.testing import PASSWORD
from plinth.workflow import sla_tracking
from plinth.workflow.engine import sweep_dwell
from tests.ui.browser_steps import SHOTS

pytestmark = pytest.mark.sqlite_only

START = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
WAIT_MS = 15000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The points of a 10 px grid over an element where something else is on top of it.
COVERED = """(selector) => {
  const panel = document.querySelector(selector), box = panel.getBoundingClientRect();
  const covered = [];
  for (let x = box.left + 2; x < box.right - 2; x += 10) {
    for (let y = box.top + 2; y < box.bottom - 2; y += 10) {
      const hit = document.elementFromPoint(x, y);
      if (!hit || !panel.contains(hit)) covered.push([x, y, hit && hit.className]);
    }
  }
  return covered;
}"""


@pytest.fixture
def alerted(city):
    """An urgent premium work order: at 10:13 its 15-minute response target is at risk, at
    10:31 it is breached and the order has waited over 30 minutes undispatched."""
    tenant = city.app_tenant
    now = [START]
    tenant.clock = lambda: now[0]
    order = city.create(
        "work_order",
        {"subject": "Lift stuck", "customer": city.ids["customer"], "priority": "urgent"},
    )
    for minutes in (13, 31):
        now[0] = START + dt.timedelta(minutes=minutes)
        with tenant.session() as s:
            sla_tracking.sweep(s)
            sweep_dwell(s)
    with tenant.database.transaction(write=True) as conn:
        dora = st.user.c.id == city.ids["dora"]
        conn.execute(st.user.update().where(dora).values(time_zone="Asia/Shanghai"))
        queues = conn.scalars(
            sa.select(st.notification.c.queue)
            .where(st.notification.c.user_id == city.ids["dora"])
            .order_by(st.notification.c.id)
        ).all()
    assert queues == ["sla_at_risk", "sla_breached", "undispatched"]
    return order


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"inbox-{name}.png"), full_page=False)


def log_in(page, server: str, email: str, then: str) -> None:
    page.goto(f"{server}/app/login?next={then}")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', PASSWORD)
    page.locator('main button[type="submit"]').click()
    page.wait_for_url(re.compile(f".*{re.escape(then)}$"))


def badge(page):
    return page.locator("[data-bell-count]")


def open_bell(page):
    page.locator("[data-bell-button]").click()
    panel = page.locator("#nb-panel")
    panel.locator(".nb-head").wait_for(timeout=WAIT_MS)
    return panel


def fits(page, width: int) -> None:
    """Nothing sticks out sideways: no horizontal scrolling, the open panel on screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.locator("#nb-panel").bounding_box()
    if box is not None and page.locator("#nb-panel").is_visible():
        assert box["x"] >= 0 and box["x"] + box["width"] <= width


def test_a_dispatcher_works_through_the_alerts_from_the_bell_and_the_inbox(
    server, browser_page, city, alerted
):
    number = alerted["number"]
    context = browser_page.new_context(viewport=DESKTOP, locale="en-US")
    page = context.new_page()
    log_in(page, server, "dora@example.com", "/app/work_order")
    button = page.locator("[data-bell-button]")
    badge(page).filter(has_text="3").wait_for(timeout=WAIT_MS)
    assert button.get_attribute("aria-label") == "Notifications: 3 unread"
    assert button.get_attribute("aria-expanded") == "false"

    panel = open_bell(page)
    assert button.get_attribute("aria-expanded") == "true"
    items = panel.locator(".nb-item")
    assert items.count() == 3 and panel.locator(".nb-item.unread").count() == 3
    at_risk = items.filter(has_text=f"SLA at risk: {number}")
    assert "SLA at risk" in at_risk.locator(".nb-queue").inner_text()
    assert at_risk.locator(".nb-about").inner_text() == f"Work order {number}"
    assert at_risk.locator("time").inner_text() == "2026-11-24 10:13"  # Shanghai time
    assert items.first.locator(".nb-title").inner_text() == f"{number} waits to be handled"
    fits(page, DESKTOP["width"])
    shot(page, "01-bell-en")

    page.goto(f"{server}/app/dispatch?date=2026-11-24")  # the console's map stays under it
    page.locator('#dc[data-state="ready"]').wait_for(timeout=WAIT_MS)
    panel = open_bell(page)
    covered = page.evaluate(COVERED, "#nb-panel")
    assert covered == [], "the console draws over the panel here"
    shot(page, "01-bell-console-en")

    page.keyboard.press("Escape")  # closes, and the focus goes back to the bell
    assert panel.is_hidden()
    assert page.evaluate("document.activeElement.hasAttribute('data-bell-button')")
    page.keyboard.press("Enter")  # the bell opens from the keyboard too
    panel.locator(".nb-head").wait_for(timeout=WAIT_MS)
    with page.expect_navigation():
        panel.locator(".nb-item").filter(has_text=f"SLA at risk: {number}").locator(
            "button"
        ).click()
    assert page.url.endswith(f"/app/work_order/{alerted['id']}")
    assert page.locator("h1").inner_text() == number
    badge(page).filter(has_text="2").wait_for(timeout=WAIT_MS)
    shot(page, "02-record-after-click-en")

    panel = open_bell(page)
    assert panel.locator(".nb-item.unread").count() == 2
    with page.expect_navigation():
        panel.locator("[data-inbox-link]").click()
    queue_filter = page.locator('[data-queue-filter="undispatched"]')
    assert "Undispatched too long" in queue_filter.inner_text()
    assert page.locator(".inbox-list .nb-item").count() == 3
    with page.expect_navigation():
        queue_filter.click()
    assert page.locator("h1").inner_text() == "Inbox · Undispatched too long"
    assert page.locator(".inbox-list .nb-item").count() == 1
    assert page.locator('[data-queue-filter="undispatched"]').get_attribute("aria-current")
    shot(page, "03-inbox-queue-en")

    with page.expect_navigation():
        page.select_option("#locale-switch", "zh-CN")
    assert page.locator("h1").inner_text() == "通知中心 · 超时未派工"
    assert page.locator(".inbox-list .nb-title").inner_text() == f"{number} 待受理"
    badge(page).filter(has_text="2").wait_for(timeout=WAIT_MS)
    assert button.get_attribute("aria-label") == "通知：2 条未读"
    panel = open_bell(page)
    read = panel.locator(".nb-item").filter(has_text=f"SLA 即将超时：{number}")
    assert read.count() == 1 and "unread" not in read.get_attribute("class")
    assert "SLA 即将超时" in read.locator(".nb-queue").inner_text()
    assert read.locator(".nb-about").inner_text() == f"工单 {number}"
    assert panel.locator("[data-read-all]").inner_text() == "全部标为已读"
    fits(page, DESKTOP["width"])
    shot(page, "04-bell-zh")
    with page.expect_navigation():
        panel.locator("[data-read-all]").click()
    assert "已将 2 条通知标为已读" in page.locator(".flash").inner_text()
    assert badge(page).is_hidden()  # no count at 0
    page.wait_for_timeout(300)  # the count arrives after the page: still none
    assert badge(page).is_hidden()
    assert button.get_attribute("aria-label") == "通知"
    context.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_the_bell_and_the_inbox_fit_a_phone(server, browser_page, city, alerted, locale):
    context = browser_page.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    log_in(page, server, "dora@example.com", "/app/work_order")
    if locale == "zh-CN":
        with page.expect_navigation():
            page.select_option("#locale-switch", "zh-CN")
    badge(page).filter(has_text="3").wait_for(timeout=WAIT_MS)
    panel = open_bell(page)
    assert panel.locator(".nb-item").count() == 3
    fits(page, PHONE["width"])
    shot(page, f"05-bell-phone-{locale}")
    with page.expect_navigation():
        panel.locator("[data-inbox-link]").click()
    with page.expect_navigation():
        page.locator('[data-queue-filter="sla_at_risk"]').click()
    assert page.locator(".inbox-list .nb-item").count() == 1
    fits(page, PHONE["width"])
    shot(page, f"06-inbox-phone-{locale}")
    with page.expect_navigation():
        page.locator(".inbox-list .nb-open").click()
    assert page.url.endswith(f"/app/work_order/{alerted['id']}")
    badge(page).filter(has_text="2").wait_for(timeout=WAIT_MS)
    context.close()

"""Sessions as a user meets them, in a real browser (Playwright driving Debian's chromium):
a phone and a laptop logged in, both listed, "log out on every device" ends both; wrong
passwords make the login page say how long to wait. In English and 简体中文."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.ui.browser_steps import log_in, shot

pytestmark = pytest.mark.sqlite_only

TEXTS = {
    "en": {"everywhere": "Log out on every device", "wait": "Try again in 30 seconds"},
    "zh-CN": {"everywhere": "在所有设备上退出登录", "wait": "请 30 秒后再试"},
}


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_user_ends_every_session_from_one_device(server, browser_page, people, locale):
    people("ann", roles=[])
    laptop = browser_page.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    phone = browser_page.new_context(
        viewport={"width": 390, "height": 844}, locale=locale, is_mobile=True, has_touch=True
    )
    on_laptop, on_phone = laptop.new_page(), phone.new_page()
    log_in(on_phone, server, "ann@example.com")
    log_in(on_laptop, server, "ann@example.com")

    on_laptop.goto(f"{server}/app/preferences")
    on_laptop.select_option("#pref-locale", locale)  # kept in the profile, for every device
    on_laptop.click('form[action$="/app/preferences"] button[type="submit"]')
    on_laptop.wait_for_load_state()
    assert on_laptop.locator("[data-session]").count() == 2
    assert on_laptop.locator("[data-session][data-current]").count() == 1
    shot(on_laptop, f"sessions-{locale}-01-two-devices")
    button = on_laptop.locator("[data-logout-everywhere]")
    assert button.inner_text().strip() == TEXTS[locale]["everywhere"]
    button.click()
    on_laptop.wait_for_url(f"{server}/app/login")

    on_phone.goto(f"{server}/app/")
    on_phone.wait_for_url(f"{server}/app/login?next=/app/")  # the phone's session ended too
    shot(on_phone, f"sessions-{locale}-02-phone-logged-out")
    laptop.close()
    phone.close()


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_wrong_passwords_make_the_login_page_say_how_long_to_wait(
    server, browser_page, people, locale
):
    people("bob", roles=[])
    context = browser_page.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    page = context.new_page()
    # The server's clock stands still (it runs in this process): the wait it shows is the
    # full 30 s however long the browser takes on a busy machine.
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        for _ in range(5):
            page.goto(f"{server}/app/login")
            page.fill('input[name="email"]', "bob@example.com")
            page.fill('input[name="password"]', "not my password")
            page.click('button[type="submit"]')
        page.fill('input[name="password"]', "correct horse battery")
        page.click('button[type="submit"]')
    alert = page.locator('[role="alert"]')
    assert TEXTS[locale]["wait"] in alert.inner_text()
    assert page.input_value('input[name="email"]') == "bob@example.com"  # kept as typed
    shot(page, f"sessions-{locale}-03-login-wait")
    context.close()

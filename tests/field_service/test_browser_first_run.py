"""A newcomer's first minutes in a real browser (Playwright driving Debian's chromium), in
English and in Chinese: the printed address, the way into the app, a demo account from the
banner, and as admin the e-mail outbox, whose evaluation link opens the customer's page.

Screenshots go to the test's tmp folder and to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from plinth.app import create_app
from plinth.auth.users import create_user
from plinth.commands.db import banner
from plinth.packs.demo import add_demo_account, load_demo
from plinth.packs.loader import load_pack
from tests.field_service.city import PACK
from tests.ui.browser_steps import SHOTS

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def demo_site(plinth_settings, tenant):
    """``make demo`` in small: the demo city, an admin made like the Makefile's, served on a
    local port that is also the address e-mailed links use (``PLINTH_PUBLIC_URL``)."""
    httpd = make_server("127.0.0.1", 0, None, threaded=True)
    base = f"http://127.0.0.1:{httpd.server_port}"
    app = create_app({**plinth_settings, "PUBLIC_URL": base})
    app_tenant = app.extensions["plinth"].tenant
    load_demo(app_tenant, load_pack(PACK))
    with app_tenant.database.transaction(write=True) as conn:
        create_user(conn, "admin@example.com", "plinth-demo", "Admin", ["admin"], ["admin"])
        add_demo_account(conn, "admin@example.com", "admin", "plinth-demo")
    httpd.app = app
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base, "\n".join(banner(app_tenant, "127.0.0.1", httpd.server_port))
    httpd.shutdown()
    app_tenant.dispose()


def _account(printed: str, label: str) -> tuple[str, str]:
    email, password = re.search(rf"^    {label}\s+(\S+)\s+(\S+)$", printed, re.M).groups()
    return email, password


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_a_newcomer_opens_the_address_logs_in_and_reads_the_outbox(
    demo_site, browser_page, locale, tmp_path
):
    base, printed = demo_site
    assert f"Plinth is serving on {base}/" in printed
    email, password = _account(printed, "Administrator")
    words = WORDS[locale]
    context = browser_page.new_context(locale=locale, viewport={"width": 1280, "height": 860})
    page = context.new_page()

    def shot(name: str) -> None:
        path = tmp_path / f"{name}-{locale}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copyfile(path, SHOTS / f"first-run-{path.name}")

    page.goto(f"{base}/")  # the printed address
    assert page.locator('link[rel="icon"]').count() == 2
    open_app = page.locator("a.open")
    assert open_app.inner_text().startswith(words["open"])
    shot("1-front")
    open_app.click()
    page.wait_for_url(re.compile(r".*/app/login.*"))
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', password)
    shot("2-login")
    page.locator('main button[type="submit"]').click()
    page.wait_for_url(f"{base}/app/")
    if locale != "en":  # the admin's profile says English: the switch changes it
        page.select_option("#locale-switch", locale)
        page.wait_for_load_state()
        page.locator("html[lang='zh-CN']").wait_for()
    shot("3-app")

    page.locator('a[href="/admin/"]').first.click()
    page.wait_for_url(f"{base}/admin/")
    page.locator('.subnav a[href="/admin/emails"]').click()
    page.wait_for_url(f"{base}/admin/emails")
    assert page.locator("h1").inner_text() == words["outbox"]
    rows = page.locator("table.emails tbody tr")
    assert rows.count() > 3
    invitation = rows.filter(has_text="How did we do?").first
    invitation.locator("summary").click()
    link = invitation.locator("pre.mail-body a").first
    assert re.fullmatch(rf"{re.escape(base)}/fs/evaluate/[\w.-]+", link.get_attribute("href"))
    shot("4-outbox")
    with context.expect_page() as opened:
        link.click()
    customer = opened.value
    customer.wait_for_load_state()
    assert "/fs/evaluate/" in customer.url
    assert customer.locator("form").count() == 1  # the customer's evaluation form
    customer.screenshot(path=str(tmp_path / f"5-evaluation-{locale}.png"), full_page=True)
    context.close()


WORDS = {
    "en": {"open": "Open Plinth", "outbox": "E-mail outbox"},
    "zh-CN": {"open": "打开 Plinth", "outbox": "邮件发件箱"},
}

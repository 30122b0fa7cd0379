"""The pages in a real browser (Playwright driving Debian's chromium), as a user works.

Screenshots of every page go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from plinth.metadata.publisher import Publisher, Put
from tests.docs import EVERYTHING, SITE, doc

pytestmark = pytest.mark.sqlite_only

CHROMIUM = os.environ.get("PLINTH_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _require_browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("PLINTH_REQUIRE_SERVICES") == "1":
            pytest.fail(f"chromium is required but missing at {CHROMIUM}")
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    return sync_api


@pytest.fixture
def server(app):
    """The app served on a free local port in a thread."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture
def browser_page():
    sync_api = _require_browser()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/app/login")
    page.fill('input[name="email"]', email)
    page.fill('input[name="password"]', "correct horse battery")
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}/app/")


@pytest.fixture
def everything(app, records):
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish([Put("objects", doc(SITE)), Put("objects", doc(EVERYTHING))])
    return records("create", "site", {"name": "Depot North", "city": "Shanghai"})


def test_a_user_creates_a_record_with_every_widget_then_lists_and_exports_it(
    server, browser_page, admin, everything, tmp_path
):
    context = browser_page.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _log_in(page, server, "admin@example.com")
    _shot(page, "01-home")

    page.goto(f"{server}/app/everything/new")
    page.fill("#f-a_text", "Pump 1")
    page.fill("#f-an_integer", "lots")
    page.click('button.primary[type="submit"]')
    error = page.locator("#f-an_integer-error")
    error.wait_for()
    assert "whole number" in error.inner_text()
    assert page.input_value("#f-a_text") == "Pump 1"  # nothing typed is lost
    _shot(page, "02-form-error")

    page.fill("#f-an_integer", "12")
    page.fill("#f-a_decimal", "3.25")
    page.check("#f-a_boolean")
    page.fill("#f-a_date", "2026-11-24")
    page.fill("#f-a_datetime", "2026-11-24T09:30")
    page.select_option("#f-a_select", "green")
    page.check('input[name="a_multiselect"][value="red"]')
    page.fill("#f-a_lookup", "Depot")
    page.locator('.picker[data-field="a_lookup"] .pick').first.click()
    page.fill("#f-a_user", "admin")
    page.locator('.picker[data-field="a_user"] .pick').first.click()
    page.locator(".geo-picker .map").click(position={"x": 120, "y": 100})
    assert page.input_value('input[name="a_geo__lat"]') != ""
    pad = page.locator(".signature-pad canvas")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 90, steps=8)
    page.mouse.move(box["x"] + 260, box["y"] + 30, steps=8)
    page.mouse.up()
    page.fill('input[name="a_signature__signer"]', "Li Lei")
    upload = tmp_path / "photo.png"
    upload.write_bytes(PNG)
    page.set_input_files("#f-an_attachment", str(upload))
    page.locator(".upload:has(#f-an_attachment) .upload-status").filter(has_text="✓").wait_for()
    _shot(page, "03-form-filled")
    page.click('button.primary[type="submit"]')
    page.wait_for_url(f"{server}/app/everything/*")
    _shot(page, "04-record")
    assert page.locator('[data-field="a_lookup"] a').inner_text() == "Depot North"
    assert page.locator('[data-field="a_signature"] img.signature').count() == 1
    assert "Li Lei" in page.locator('[data-field="a_signature"]').inner_text()
    assert page.locator('[data-field="an_attachment"] a').count() == 1
    assert page.locator('[data-field="a_formula"]').inner_text().strip().endswith("24")

    page.goto(f"{server}/app/everything/new")
    page.fill("#f-a_text", "Valve 2")
    page.select_option("#f-a_select", "red")
    page.click('button.primary[type="submit"]')
    page.wait_for_url(f"{server}/app/everything/*")

    page.goto(f"{server}/app/everything")
    page.locator("th a", has_text="A text").click()
    rows = page.locator("table.records tbody tr")
    assert rows.nth(0).inner_text().strip().startswith("Pump 1")
    page.locator("th a", has_text="A text").click()
    assert page.locator("table.records tbody tr").nth(0).inner_text().strip().startswith("Valve 2")
    page.locator('fieldset[data-field="a_select"] input[value="green"]').check()
    page.click('#filters button[type="submit"]')
    page.wait_for_url("**a_select__in=green**")
    assert page.locator("table.records tbody tr").count() == 1
    _shot(page, "05-list-filtered")
    page.fill("#view-name", "Green ones")
    page.click(".save-view button")
    page.wait_for_url("**a_select__in=green**")
    assert page.locator(".views a.chip", has_text="Green ones").count() == 1
    page.locator('input[name="ids"]').first.check()
    page.select_option("#bulk-action", "set:a_select:blue")
    with page.expect_navigation():
        page.click('.bulk-bar button[type="submit"]')
    assert "1 record(s) changed." in page.locator(".flash").first.inner_text()
    with page.expect_download() as download:
        page.click("text=Export CSV")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.reader(io.StringIO(text)))
    assert len(exported) == 1  # the only green record just turned blue

    with page.expect_navigation():
        page.select_option("#locale-switch", "zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("text=导出 CSV").count() == 1
    _shot(page, "06-list-zh")
    context.close()


def test_a_restricted_role_does_not_see_hidden_fields_on_a_phone(
    server, browser_page, people, everything, records, app
):
    role = {
        "name": "viewer",
        "objects": {
            "everything": {"read": "all", "fields": {"an_integer": "none", "a_formula": "none"}},
            "site": {"read": "all"},
        },
    }
    Publisher(app.extensions["plinth"].tenant).publish([Put("roles", role)])
    record = records("create", "everything", {"a_text": "Secret", "an_integer": 321})
    people("vic", roles=["viewer"])
    context = browser_page.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    _log_in(page, server, "vic@example.com")
    page.goto(f"{server}/app/everything/{record['id']}")
    _shot(page, "07-record-restricted-phone")
    assert page.locator('[data-field="a_text"]').count() == 1
    assert page.locator('[data-field="an_integer"]').count() == 0
    assert "321" not in page.content()
    assert page.locator("text=Edit").count() == 0
    context.close()

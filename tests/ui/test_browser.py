"""The pages in a real browser (Playwright driving Debian's chromium), as a user works.

Screenshots of every page go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from plinth.metadata.publisher import Publisher, Put
from tests.docs import EVERYTHING, SITE, doc
from tests.ui.browser_steps import draw_signature, log_in, pick_on_map, shot, upload

pytestmark = pytest.mark.sqlite_only


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
    log_in(page, server, "admin@example.com")
    shot(page, "01-home")

    page.goto(f"{server}/app/everything/new")
    page.fill("#f-a_text", "Pump 1")
    page.fill("#f-an_integer", "lots")
    page.click('button.primary[type="submit"]')
    error = page.locator("#f-an_integer-error")
    error.wait_for()
    assert "whole number" in error.inner_text()
    assert page.input_value("#f-a_text") == "Pump 1"  # nothing typed is lost
    shot(page, "02-form-error")

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
    pick_on_map(page, "a_geo")
    draw_signature(page, "a_signature", "Li Lei")
    upload(page, "an_attachment", tmp_path)
    shot(page, "03-form-filled")
    page.click('button.primary[type="submit"]')
    page.wait_for_url(f"{server}/app/everything/*")
    shot(page, "04-record")
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
    shot(page, "05-list-filtered")
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
    shot(page, "06-list-zh")
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
    log_in(page, server, "vic@example.com")
    page.goto(f"{server}/app/everything/{record['id']}")
    shot(page, "07-record-restricted-phone")
    assert page.locator('[data-field="a_text"]').count() == 1
    assert page.locator('[data-field="an_integer"]').count() == 0
    assert "321" not in page.content()
    assert page.locator("text=Edit").count() == 0
    context.close()

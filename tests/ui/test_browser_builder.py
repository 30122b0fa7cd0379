"""The admin builder in a real browser: an implementer builds an object with a field of
every type and its layout (fields dragged into a section), then a user fills the generated
form. Screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

import pytest

from admin_ui.builder.objects import FIELD_TYPES
from plinth.metadata.publisher import Publisher, Put
from tests.docs import SITE, doc
from tests.ui.browser_steps import draw_signature, log_in, pick_on_map, shot, upload

pytestmark = pytest.mark.sqlite_only

DRAGGED = ["f_text", "f_geo", "f_signature", "f_attachment"]


def _publish(page, picture: str | None = None) -> None:
    """On the review page: look, confirm if asked, publish."""
    page.locator("h1", has_text="Review the change").wait_for()
    if picture:
        shot(page, picture)
    with page.expect_navigation():
        page.click('form[action$="/admin/publish"] button.primary')
    assert page.locator(".flash", has_text="Published as revision").count() == 1


def _add_field(page, server: str, type_name: str) -> None:
    page.goto(f"{server}/admin/objects/gadget")
    page.select_option("#new-field-type", type_name)
    with page.expect_navigation():
        page.click('.add-field button[type="submit"]')
    page.fill("#f-name", f"f_{type_name}")
    page.fill("#f-label-en", type_name.replace("_", " ").title())
    if type_name in ("select", "multiselect"):
        page.fill("#f-options-0-value", "a")
        page.fill("#f-options-0-label-en", "Alpha")
        page.fill("#f-options-1-value", "b")
    elif type_name == "lookup":
        page.select_option("#f-target", "site")
    elif type_name == "autonumber":
        page.fill("#f-pattern", "G-{seq:04}")
    elif type_name == "formula":
        page.fill("#f-formula", "1 + 1")
        page.select_option("#f-result_type", "integer")
    if type_name == "select":
        shot(page, "11-builder-field-select")
    with page.expect_navigation():
        page.click('button.primary[type="submit"]')
    _publish(page, "12-builder-review-field" if type_name == "select" else None)


def test_an_implementer_builds_an_object_and_its_layout_then_a_user_fills_its_form(
    server, browser_page, admin, app, records, tmp_path
):
    Publisher(app.extensions["plinth"].tenant).publish([Put("objects", doc(SITE))])
    records("create", "site", {"name": "Depot North"})
    context = browser_page.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, server, "admin@example.com")
    page.click("text=Builder")
    page.wait_for_url(f"{server}/admin/")
    shot(page, "10-builder-home")

    page.goto(f"{server}/admin/objects/new")
    page.fill("#f-name", "gadget")
    page.fill("#f-label-en", "Gadget")
    page.fill("#f-label-zh-CN", "小工具")
    with page.expect_navigation():
        page.click('button.primary[type="submit"]')
    _publish(page, "10-builder-review-object")
    for type_name in FIELD_TYPES:
        _add_field(page, server, type_name)
    page.goto(f"{server}/admin/objects/gadget")
    assert page.locator("#fields-table tbody tr").count() == len(FIELD_TYPES)
    shot(page, "13-builder-object")

    page.goto(f"{server}/admin/layouts/new")
    page.select_option("#layout-object", "gadget")
    with page.expect_navigation():
        page.click('button.primary[type="submit"]')
    page.fill("#f-name", "gadget_form")
    page.fill("#f-sections-0-label-en", "On site")
    target = page.locator('ul[data-target="f-sections-0-fields"]')
    for name in DRAGGED:  # dragged from the palette to the end of the section, in order
        box = target.bounding_box()
        end = {"x": box["width"] - 8, "y": box["height"] - 8}
        page.locator(f'.palette [data-name="{name}"]').drag_to(target, target_position=end)
        page.locator(f'ul[data-target] [data-name="{name}"]').wait_for()
        page.wait_for_timeout(250)  # the drop animation
    assert page.input_value("#f-sections-0-fields") == ", ".join(DRAGGED)
    rest = [f"f_{t}" for t in FIELD_TYPES if f"f_{t}" not in DRAGGED]
    page.fill("#f-sections-1-fields", ", ".join(rest))  # the keyboard way
    page.select_option("#preview-role", "admin")
    page.click("button:has-text('Preview')")
    page.locator("#preview .preview").wait_for()
    assert page.locator(".palette [data-name]").count() == 0  # typed names left the palette
    shot(page, "14-builder-layout")
    with page.expect_navigation():
        page.click('.form-actions button.primary[type="submit"]')
    assert page.locator(".flash", has_text="Published as revision").count() == 1

    page.goto(f"{server}/app/gadget/new")
    first = page.locator("form fieldset, form section").first
    assert "On site" in first.inner_text()
    page.fill("#f-f_text", "First gadget")
    page.fill("#f-f_integer", "7")
    page.select_option("#f-f_select", "a")
    pick_on_map(page, "f_geo")
    draw_signature(page, "f_signature", "Han Mei")
    upload(page, "f_attachment", tmp_path)
    shot(page, "15-generated-form")
    with page.expect_navigation():
        page.click('button.primary[type="submit"]')
    assert page.locator('[data-field="f_signature"] img.signature').count() == 1
    assert page.locator('[data-field="f_formula"] dd').inner_text().strip() == "2"
    shot(page, "16-generated-record")
    context.close()

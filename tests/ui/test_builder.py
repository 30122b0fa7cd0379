"""The admin builder through the Flask test client, on both databases: objects and fields
with a reviewed schema change, layouts, workflows and rules with inline errors."""

from __future__ import annotations

import html
import re

import pytest

from admin_ui.builder.objects import FIELD_TYPES

OPERATION = re.compile(r'name="operation" value="([^"]*)"')

# The options a field of each type needs to be valid, as the builder's form inputs.
TYPE_OPTIONS = {
    "text": {"/default": "007"},
    "integer": {"/default": "7"},
    "select": {"/options#rows": "1", "/options/0/value": "a", "/options/0/label#en": "A"},
    "multiselect": {"/options#rows": "1", "/options/0/value": "x"},
    "lookup": {"/target": "site"},
    "autonumber": {"/pattern": "G-{seq:05}"},
    "formula": {"/formula": "1 + 1", "/result_type": "integer"},
}


def publish_reviewed(browser, page, confirm=False, status=302):
    """Post a review page's form as the user would (its hidden operations and back link)."""
    text = browser.text(page)
    assert page.status_code == 200, text[text.find("<main") :][:3000]
    form = {
        "operation": [html.unescape(op) for op in OPERATION.findall(text)],
        "back": html.unescape(re.search(r'name="back" value="([^"]*)"', text).group(1)),
    }
    base = re.search(r'name="base" value="(\d+)"', text)
    if base:
        form["base"] = base.group(1)
    if confirm:
        form["confirm"] = "on"
    response = browser.post("/admin/publish", form)
    assert response.status_code == status, browser.text(response)[:2000]
    return response


def object_doc(app, name):
    tenant = app.extensions["plinth"].tenant
    with tenant.database.transaction() as conn:
        return tenant.metadata.current(conn).docs("objects").get(name)


def login(browser):
    """Log in as the administrator and open the builder (which hands out the form token)."""
    browser.login("admin@example.com")
    assert browser.get("/admin/").status_code == 200


def test_the_builder_is_for_administrators_only(browser, people, admin):
    people("ann", roles=[])
    assert browser.get("/admin/").status_code == 302  # to the login
    browser.login("ann@example.com")
    assert browser.get("/admin/").status_code == 403
    assert browser.get("/admin/objects").status_code == 403


def test_an_object_with_a_field_of_every_type_is_built_reviewed_and_published(
    browser, admin, assets, app
):
    browser.login("admin@example.com")
    assert browser.get("/admin/").status_code == 200
    page = browser.post(
        "/admin/objects/new",
        {"/name": "gadget", "/label#en": "Gadget", "/label#zh-CN": "小工具"},
    )
    assert "No change to the database." not in browser.text(page)
    assert "obj_gadget" in browser.text(page)  # the review names the new table
    publish_reviewed(browser, page)
    assert object_doc(app, "gadget")["label"] == {"en": "Gadget", "zh-CN": "小工具"}

    for type_name in FIELD_TYPES:
        form = browser.get(f"/admin/objects/gadget/fields/new?type={type_name}")
        assert form.status_code == 200
        data = {"type": type_name, "/name": f"f_{type_name}", "/label#en": type_name.title()}
        data.update(TYPE_OPTIONS.get(type_name, {}))
        review = browser.post("/admin/objects/gadget/fields/new", data)
        steps = browser.text(review)
        if type_name == "formula":  # not stored: no column
            assert "No change to the database." in steps
        else:
            assert f"add column obj_gadget.f_{type_name}" in steps
        publish_reviewed(browser, review)
    fields = {f["name"]: f for f in object_doc(app, "gadget")["fields"]}
    assert set(fields) == {f"f_{t}" for t in FIELD_TYPES}
    assert fields["f_lookup"]["target"] == "site"
    assert fields["f_text"]["default"] == "007" and fields["f_integer"]["default"] == 7
    assert fields["f_select"]["options"] == [{"value": "a", "label": "A"}]
    assert fields["f_formula"] == {
        "name": "f_formula", "label": "Formula", "type": "formula", "formula": "1 + 1",
        "result_type": "integer",
    }  # fmt: skip

    # the object's page lists them, with their types in words
    page = browser.text(browser.get("/admin/objects/gadget"))
    assert "f_signature" in page and "Signature" in page


def test_a_bad_field_shows_the_problem_on_its_input(browser, admin, assets):
    login(browser)
    response = browser.post(
        "/admin/objects/asset/fields/new",
        {"type": "lookup", "/name": "Bad Name", "/target": "nowhere"},
    )
    assert response.status_code == 422
    text = browser.text(response)
    assert 'id="f-name-error"' in text and "pattern" in text
    assert 'value="Bad Name"' in text  # what was typed is kept


def test_removing_a_field_with_data_needs_an_explicit_confirmation(
    browser, admin, assets, as_admin, app
):
    site = as_admin.post("/api/v1/records/site", {"name": "North"}).json
    made = as_admin.post("/api/v1/records/asset", {"site": site["id"], "serial": "S1", "qty": 5})
    assert made.status == 201, made.json
    login(browser)
    review = browser.post("/admin/objects/asset/fields/qty/remove")
    text = browser.text(review)
    assert "Loses data" in text and "1 row" in text and 'name="confirm"' in text
    refused = publish_reviewed(browser, review, confirm=False, status=409)
    assert "would lose data" in browser.text(refused)
    assert "qty" in {f["name"] for f in object_doc(app, "asset")["fields"]}
    publish_reviewed(browser, review, confirm=True)
    assert "qty" not in {f["name"] for f in object_doc(app, "asset")["fields"]}


def test_a_validation_rule_with_a_broken_expression_shows_the_line(browser, admin, assets, app):
    login(browser)
    response = browser.post(
        "/admin/kinds/validation_rules/new",
        {
            "/name": "serial_needed",
            "/object": "asset",
            "/condition": "serial is None or (\n  bogus > 1)",
            "/message#en": "A serial is needed",
        },
    )
    assert response.status_code == 422
    text = browser.text(response)
    error = re.search(r'id="f-condition-error">([^<]*)<', text)
    assert error and "line 2" in error.group(1)
    fixed = browser.post(
        "/admin/kinds/validation_rules/new",
        {
            "/name": "serial_needed",
            "/object": "asset",
            "/condition": "not serial",
            "/message#en": "A serial is needed",
            "/message#zh-CN": "需要序列号",
        },
    )
    assert fixed.status_code == 302  # no schema change: published at once
    tenant = app.extensions["plinth"].tenant
    with tenant.database.transaction() as conn:
        rule = tenant.metadata.current(conn).docs("validation_rules")["serial_needed"]
    assert rule["message"] == {"en": "A serial is needed", "zh-CN": "需要序列号"}


def test_a_layout_is_arranged_and_previewed_as_a_role(browser, admin, assets, app):
    browser.login("admin@example.com")
    start = browser.get("/admin/layouts/new")
    assert 'name="object"' in browser.text(start)
    editor = browser.get("/admin/layouts/new?object=asset&type=form")
    assert 'data-sortable="fields"' in browser.text(editor)
    form = {
        "object": "asset",
        "type": "form",
        "/name": "asset_form",
        "/sections#rows": "2",
        "/sections/0/label#en": "Main",
        "/sections/0/columns": "2",
        "/sections/0/fields": "serial, site",
        "/sections/1/label#en": "More",
        "/sections/1/fields": "qty",
    }
    preview = browser.post("/admin/layouts/preview", {**form, "preview_role": ""},
                           headers={"HX-Request": "true"})  # fmt: skip
    assert preview.status_code == 200 and "<html" not in browser.text(preview)
    saved = browser.post("/admin/layouts/new", form)
    assert saved.status_code == 302, browser.text(saved)[:3000]
    tenant = app.extensions["plinth"].tenant
    with tenant.database.transaction() as conn:
        layout = tenant.metadata.current(conn).docs("layouts")["asset_form"]
    assert [s["fields"] for s in layout["sections"]] == [["serial", "site"], ["qty"]]
    assert layout["sections"][0]["columns"] == 2

    more = browser.post("/admin/layouts/asset_form", {**form, "add_section": "1"})
    assert browser.text(more).count("#remove") >= 3  # a blank section was added, nothing saved


def test_a_workflow_is_edited_in_tables_and_drawn(browser, admin, assets, app):
    login(browser)
    status = {"type": "select", "/name": "status", "/options#rows": "3"}
    for index, value in enumerate(("new", "in_use", "retired")):
        status[f"/options/{index}/value"] = value
    publish_reviewed(browser, browser.post("/admin/objects/asset/fields/new", status))
    form = {
        "/name": "asset_flow",
        "/object": "asset",
        "/field": "status",
        "/states#rows": "3",
        "/states/0/name": "new", "/states/0/category": "new", "/states/0/initial#present": "1",
        "/states/0/initial": "on",
        "/states/1/name": "in_use", "/states/1/category": "active",
        "/states/2/name": "retired", "/states/2/category": "done",
        "/transitions#rows": "2",
        "/transitions/0/name": "deploy", "/transitions/0/from": "new",
        "/transitions/0/to": "in_use",
        "/transitions/1/name": "retire", "/transitions/1/from": "*",
        "/transitions/1/to": "retired",
    }  # fmt: skip
    redraw = browser.post("/admin/workflows/new", {**form, "redraw": "1"})
    text = browser.text(redraw)
    assert text.count('class="edge"') == 1  # deploy
    assert 'class="entry" data-transition="retire"' in text  # from any state: an entry
    assert 'data-state="retired"' in text
    review = browser.post("/admin/workflows/new", form)
    assert "index" in browser.text(review)  # the state field gets an index: reviewed first
    publish_reviewed(browser, review)
    tenant = app.extensions["plinth"].tenant
    with tenant.database.transaction() as conn:
        flow = tenant.metadata.current(conn).docs("workflows")["asset_flow"]
    assert flow["transitions"][1]["from"] == "*"
    assert flow["transitions"][0]["from"] == ["new"]
    assert flow["states"][0]["initial"] is True


@pytest.mark.parametrize("kind", ["automations", "sla_policies", "assignment_rules",
                                  "calendars", "roles"])  # fmt: skip
def test_every_kind_has_a_form(browser, admin, assets, kind):
    browser.login("admin@example.com")
    assert browser.get(f"/admin/kinds/{kind}").status_code == 200
    page = browser.get(f"/admin/kinds/{kind}/new")
    assert page.status_code == 200 and 'name="/name"' in browser.text(page)


def test_new_never_replaces_an_existing_document(browser, admin, assets, app):
    login(browser)
    response = browser.post("/admin/objects/new", {"/name": "asset"})
    assert response.status_code == 422 and "already exists" in browser.text(response)
    assert len(object_doc(app, "asset")["fields"]) > 0  # the fields are all still there
    rule = {"/name": "r1", "/object": "asset", "/condition": "True", "/message#en": "One"}
    assert browser.post("/admin/kinds/validation_rules/new", rule).status_code == 302
    again = browser.post("/admin/kinds/validation_rules/new", {**rule, "/message#en": "Two"})
    assert again.status_code == 422 and "already exists" in browser.text(again)


def test_a_page_opened_before_someone_else_changed_the_document_does_not_overwrite_it(
    browser, admin, assets, as_admin, app
):
    login(browser)
    page = browser.text(browser.get("/admin/objects/asset"))
    base = re.search(r'name="base" value="(\d+)"', page).group(1)
    changed = dict(object_doc(app, "asset"))
    changed["fields"] = [*changed["fields"], {"name": "meanwhile", "type": "text"}]
    assert as_admin.put("/api/v1/metadata/objects/asset", changed).status == 200
    review = browser.post("/admin/objects/asset", {"base": base, "/label#en": "Thing"})
    refused = publish_reviewed(browser, review, status=409)
    assert "was changed by revision" in browser.text(refused)
    assert "meanwhile" in {f["name"] for f in object_doc(app, "asset")["fields"]}


def test_what_could_not_be_read_is_shown_again_as_typed(browser, admin, assets):
    login(browser)
    response = browser.post(
        "/admin/kinds/automations/new",
        {"/name": "a1", "/object": "asset", "/trigger/type": "on_create",
         "/actions": '[{"type": "script",'},
    )  # fmt: skip
    assert response.status_code == 422
    assert "[{&#34;type&#34;: &#34;script&#34;," in browser.text(response)


def test_a_layout_for_admins_keeps_its_role_and_previews_half_made_sections(
    browser, admin, assets, app
):
    login(browser)
    form = {"object": "asset", "type": "form", "/name": "admin_form", "roles_picked": "admin",
            "/sections#rows": "2", "/sections/0/fields": "serial",
            "/sections/1/label#en": "Not yet"}  # fmt: skip
    preview = browser.post("/admin/layouts/preview", {**form, "preview_role": "admin"})
    assert preview.status_code == 200
    form["/sections/1/fields"] = "qty"
    assert browser.post("/admin/layouts/new", form).status_code == 302
    page = browser.text(browser.get("/admin/layouts/admin_form"))
    assert re.search(r'name="roles_picked" value="admin"\s+checked', page)

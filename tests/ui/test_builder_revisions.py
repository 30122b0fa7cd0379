"""Revisions in the builder (diff, undo through the review page) and pack export."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest

from plinth.testing import Api
from tests.docs import SITE, doc

OPERATION = re.compile(r'name="operation" value="([^"]*)"')


@pytest.fixture
def api(client, admin) -> Api:
    return Api(client, admin["token"])


@pytest.fixture
def two_revisions(api):
    assert api.put("/api/v1/metadata/objects/site", doc(SITE)).status in (200, 201)
    changed = doc(SITE)
    changed["label"] = {"en": "Place"}
    changed["fields"].append({"name": "zone", "type": "text"})
    assert api.put("/api/v1/metadata/objects/site?message=add+zone", changed).status == 200
    return changed


def test_the_list_and_a_revision_show_what_changed(browser, two_revisions):
    browser.login("admin@example.com")
    listing = browser.text(browser.get("/admin/revisions"))
    assert "/admin/revisions/1" in listing and "/admin/revisions/2" in listing
    assert "add zone" in listing and listing.index("#2") < listing.index("#1")
    older = browser.text(browser.get("/admin/revisions?before=2"))
    assert "/admin/revisions/1" in older and "/admin/revisions/2" not in older
    page = browser.text(browser.get("/admin/revisions/2"))
    assert "admin@example.com" in page and "add zone" in page and "objects/site" in page
    assert "fields › zone" in page and "&#34;zone&#34;" in page  # the added field, as JSON
    assert "label › en" in page and "&#34;Site&#34;" in page and "&#34;Place&#34;" in page
    assert "Undo this revision" in page
    assert browser.get("/admin/revisions/99").status_code == 404


def test_undo_goes_through_the_review_page_and_restores_the_old_document(
    browser, api, two_revisions
):
    browser.login("admin@example.com")
    browser.get("/admin/revisions/2")
    review = browser.post("/admin/revisions/2/revert")
    page = browser.text(review)
    assert review.status_code == 200 and "Review the change" in page
    operations = [html.unescape(text) for text in OPERATION.findall(page)]
    assert len(operations) == 1 and '"put"' in operations[0] and "zone" not in operations[0]
    published = browser.post(
        "/admin/publish",
        {"operation": operations, "back": "/admin/revisions", "confirm": "on",
         "message": "Undo revision 2"},
    )  # fmt: skip
    assert published.status_code == 302 and published.headers["Location"].endswith(
        "/admin/revisions"
    )
    assert api.get("/api/v1/metadata/objects/site").json == doc(SITE)
    assert "Undo revision 2" in browser.text(browser.get("/admin/revisions"))
    again = browser.post("/admin/revisions/2/revert")
    assert again.status_code == 302
    assert "Nothing to undo" in browser.text(browser.get(again.headers["Location"]))


def test_undoing_a_creation_removes_the_document(browser, api, two_revisions):
    browser.login("admin@example.com")
    browser.get("/admin/revisions/1")
    page = browser.text(browser.post("/admin/revisions/1/revert"))
    operations = [html.unescape(text) for text in OPERATION.findall(page)]
    assert operations == ['{"kind": "objects", "remove": "site"}']


def test_a_refused_undo_is_shown_on_the_revision_page(browser, api):
    site = doc(SITE)
    api.put("/api/v1/metadata/objects/site", site)
    api.put("/api/v1/metadata/objects/place", {**doc(SITE), "name": "place"})
    api.delete("/api/v1/metadata/objects/site")
    api.put("/api/v1/metadata/objects/plot", {**doc(SITE), "name": "plot"})
    lookup = {"name": "holder", "fields": [
        {"name": "name", "type": "text"},
        {"name": "site", "type": "lookup", "target": "plot", "on_delete": "restrict"}]}  # fmt: skip
    assert api.put("/api/v1/metadata/objects/holder", lookup).status in (200, 201)
    browser.login("admin@example.com")
    browser.get("/admin/revisions/4")
    refused = browser.post("/admin/revisions/4/revert")  # removing plot breaks holder
    page = browser.text(refused)
    assert refused.status_code == 422 and "cannot be undone" in page
    assert "Revision 4" in page and "unknown object &#39;plot&#39;" in page


def test_pack_export_of_unpackaged_metadata_is_a_zip(browser, two_revisions):
    browser.login("admin@example.com")
    form = browser.text(browser.get("/admin/packs/export"))
    assert 'value="custom"' in form and 'for="export-version"' in form
    response = browser.post("/admin/packs/export", {"pack": "custom", "version": "1.2.3"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "custom-1.2.3.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"custom/pack.yaml", "custom/metadata/objects/site.yaml"} <= names
    assert "version: 1.2.3" in archive.read("custom/pack.yaml").decode()
    assert "zone" in archive.read("custom/metadata/objects/site.yaml").decode()
    renamed = browser.post("/admin/packs/export", {"pack": "custom", "new_name": "my_site"})
    assert "my_site-0.0.2.zip" in renamed.headers["Content-Disposition"]
    assert "my_site/pack.yaml" in zipfile.ZipFile(io.BytesIO(renamed.data)).namelist()


def test_pack_export_shows_bad_inputs_on_the_form(browser, admin):
    browser.login("admin@example.com")
    browser.get("/admin/packs/export")
    bad = browser.post("/admin/packs/export", {"pack": "custom", "version": "1 2/3"})
    page = browser.text(bad)
    assert bad.status_code == 422 and 'id="export-version-error"' in page
    assert 'aria-describedby="export-version-help export-version-error"' in page
    assert 'value="1 2/3"' in page
    unknown = browser.post("/admin/packs/export", {"pack": "nope", "new_name": "Bad"})
    page = browser.text(unknown)
    assert unknown.status_code == 422
    assert 'id="export-pack-error"' in page and 'id="export-new-name-error"' in page

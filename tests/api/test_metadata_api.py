"""Metadata over HTTP: create, replace, delete, destructive confirmation, revisions."""

from tests.docs import ASSET, SITE, doc, field


def test_publish_an_object_and_use_it_at_once(as_admin):
    created = as_admin.post("/api/v1/metadata/objects", doc(SITE))
    assert created.status == 201 and created.headers["Location"] == "/api/v1/metadata/objects/site"
    assert created.headers["X-Plinth-Revision"] == "1"
    assert as_admin.post("/api/v1/records/site", {"name": "Depot"}).status == 201
    assert as_admin.post("/api/v1/metadata/objects", doc(SITE)).status == 409
    listed = as_admin.get("/api/v1/metadata/objects").json["data"]
    assert [d["name"] for d in listed] == ["site"]
    assert as_admin.get("/api/v1/metadata/objects/site").json == doc(SITE)
    assert as_admin.get("/api/v1/metadata/objects/nope").status == 404
    assert as_admin.get("/api/v1/metadata/widgets").status == 404


def test_invalid_documents_answer_422_with_pointers(as_admin):
    bad = doc(ASSET)
    field(bad, "site")["target"] = "nowhere"
    field(bad, "qty")["max"] = "lots"
    reply = as_admin.post("/api/v1/metadata/objects", bad)
    assert reply.status == 422
    assert reply.problem["errors"] == {"/fields/4/max": ["must be of type integer"]}
    field(bad, "qty")["max"] = 10
    reply = as_admin.post("/api/v1/metadata/objects", bad)
    assert reply.problem["errors"] == {"/fields/2/target": ["unknown object 'nowhere'"]}
    mismatch = as_admin.put("/api/v1/metadata/objects/site", {**doc(SITE), "name": "place"})
    assert "/name" in mismatch.problem["errors"]


def test_destructive_change_needs_confirmation(as_admin):
    as_admin.put("/api/v1/metadata/objects/site", doc(SITE))
    as_admin.post("/api/v1/records/site", {"name": "Depot", "city": "Hangzhou"})
    changed = doc(SITE)
    changed["fields"] = [f for f in changed["fields"] if f["name"] != "city"]
    changed["search_fields"] = ["name"]
    refused = as_admin.put("/api/v1/metadata/objects/site", changed)
    assert refused.status == 409
    assert (
        refused.problem["losses"][0]["field"] == "city"
        and refused.problem["losses"][0]["rows"] == 1
    )
    preview = as_admin.put(
        "/api/v1/metadata/objects/site?dry_run=true&confirm_destructive=true", changed
    )
    assert (
        preview.status == 200
        and preview.json["dry_run"]
        and preview.json["schema"][0]["action"] == "drop_column"
    )
    done = as_admin.put(
        "/api/v1/metadata/objects/site?confirm_destructive=true&message=drop+city", changed
    )
    assert done.status == 200
    assert "city" not in as_admin.get("/api/v1/records/site").json["data"][0]


def test_revisions_list_and_detail(as_admin):
    as_admin.put("/api/v1/metadata/objects/site", doc(SITE))
    changed = doc(SITE)
    changed["fields"].append({"name": "zone", "type": "text"})
    as_admin.put("/api/v1/metadata/objects/site?message=add+zone", changed)
    revisions = as_admin.get("/api/v1/metadata/revisions").json
    assert [r["id"] for r in revisions["data"]] == [2, 1] and revisions["next_cursor"] is None
    assert (
        revisions["data"][0]["message"] == "add zone"
        and revisions["data"][0]["author"] == "admin@example.com"
    )
    detail = as_admin.get("/api/v1/metadata/revisions/2").json
    assert detail["changes"][0]["diff"] == [
        {"op": "add", "path": "/fields/3", "value": {"name": "zone", "type": "text"}}
    ]


def test_deleting_documents(as_admin):
    as_admin.put("/api/v1/metadata/objects/site", doc(SITE))
    as_admin.put("/api/v1/metadata/objects/asset", doc(ASSET))
    blocked = as_admin.delete("/api/v1/metadata/objects/site")
    assert blocked.status == 422 and "unknown object 'site'" in blocked.problem["detail"]
    assert as_admin.delete("/api/v1/metadata/objects/asset").status == 204
    assert as_admin.delete("/api/v1/metadata/objects/asset").status == 404


def test_only_admins_change_metadata_and_users_see_what_they_may_read(as_admin, people, as_user):
    as_admin.put("/api/v1/metadata/objects/site", doc(SITE))
    as_admin.put("/api/v1/metadata/objects/asset", doc(ASSET))
    as_admin.put(
        "/api/v1/metadata/roles/viewer",
        {"name": "viewer", "objects": {"asset": {"read": "all", "fields": {"qty": "none"}}}},
    )
    viewer = as_user(people("vic", roles=["viewer"]))
    assert viewer.put("/api/v1/metadata/objects/site", doc(SITE)).status == 403
    assert viewer.get("/api/v1/metadata/roles").status == 403
    objects = viewer.get("/api/v1/metadata/objects").json["data"]
    assert [o["name"] for o in objects] == ["asset"]
    assert "qty" not in {f["name"] for f in objects[0]["fields"]}

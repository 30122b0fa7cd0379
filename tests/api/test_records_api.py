"""Records over HTTP: status codes, headers, envelopes, paging, history and bulk."""

import pytest


def test_create_read_update_delete_with_etags(as_admin, assets):
    site = as_admin.post(
        "/api/v1/records/site", {"name": "Depot", "location": {"lat": 31.2, "lng": 121.5}}
    )
    assert site.status == 201
    assert site.headers["Location"] == f"/api/v1/records/site/{site.json['id']}"
    assert site.headers["ETag"] == '"1"'
    created = as_admin.post(
        "/api/v1/records/asset", {"serial": "SN-1", "site": site.json["id"], "qty": 2}
    )
    asset_url = created.headers["Location"]
    fetched = as_admin.get(asset_url)
    assert fetched.status == 200 and fetched.json["number"] == "AS-00001"
    assert fetched.json["created_at"].endswith("Z")
    not_modified = as_admin.get(asset_url, headers={"If-None-Match": '"1"'})
    assert not_modified.status == 304
    updated = as_admin.patch(asset_url, {"qty": 3}, headers={"If-Match": '"1"'})
    assert (updated.status, updated.headers["ETag"], updated.json["qty"]) == (200, '"2"', 3)
    stale = as_admin.patch(asset_url, {"qty": 4}, headers={"If-Match": '"1"'})
    assert stale.status == 412 and stale.problem["current_version"] == 2
    assert as_admin.delete(asset_url, headers={"If-Match": '"1"'}).status == 412
    assert as_admin.patch(asset_url, {"qty": 4}, headers={"If-Match": "garbage"}).status == 412
    expanded = as_admin.get(asset_url + "?expand=site&fields=serial,site")
    assert expanded.json["site"]["name"] == "Depot" and set(expanded.json) == {
        "id",
        "serial",
        "site",
        "version",
    }
    assert as_admin.delete(asset_url, headers={"If-Match": '"2"'}).status == 204
    assert as_admin.get(asset_url).status == 404


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/api/v1/records/nothing", {}, 404),
        ("GET", "/api/v1/records/asset/999", {}, 404),
        ("GET", "/api/v1/records/asset/abc", {}, 404),
        ("GET", "/api/v1/nowhere", {}, 404),
        ("PUT", "/api/v1/records/asset", {"json": {}}, 405),
        (
            "POST",
            "/api/v1/records/asset",
            {"data": "{not json", "content_type": "application/json"},
            400,
        ),
        ("POST", "/api/v1/records/asset", {"data": "serial=1", "content_type": "text/plain"}, 400),
        ("POST", "/api/v1/records/asset", {"json": [1, 2]}, 422),
        ("POST", "/api/v1/records/asset", {"json": {"serial": "S", "colour": "red"}}, 422),
        ("POST", "/api/v1/records/asset", {"json": {"serial": "S", "qty": "many"}}, 422),
        ("GET", "/api/v1/records/asset?qty__gt=lots", {}, 400),
        ("GET", "/api/v1/records/asset?sort=nope", {}, 400),
        ("GET", "/api/v1/records/asset?limit=0", {}, 400),
        ("GET", "/api/v1/records/asset?cursor=%%%", {}, 400),
        ("GET", "/api/v1/records/asset/1?colour=red", {}, 400),
        ("DELETE", "/api/v1/metadata/colours/x", {}, 404),
    ],
)
def test_errors_are_problem_json(as_admin, assets, method, path, kwargs, status):
    reply = as_admin.request(method, path, **kwargs)
    assert reply.status == status
    problem = reply.problem
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if status == 422:
        assert problem["errors"]
    if status == 405:
        assert "GET" in reply.headers["Allow"]


def test_unknown_field_is_named(as_admin, assets):
    reply = as_admin.post("/api/v1/records/asset", {"serial": "S", "colour": "red"})
    assert reply.problem["errors"] == {"colour": ["unknown field"]}


def test_oversized_bodies_are_refused(app, client, admin):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    reply = client.post(
        "/api/v1/records/asset",
        data="x" * 5000,
        content_type="application/json",
        headers={"Authorization": f"Bearer {admin['token']}"},
    )
    assert reply.status_code == 413 and reply.content_type == "application/problem+json"


def test_list_envelope_filters_and_keyset_paging(as_admin, assets):
    for i in range(7):
        as_admin.post("/api/v1/records/asset", {"serial": f"SN-{i}", "qty": i})
    seen, cursor = [], None
    while True:
        url = "/api/v1/records/asset?qty__gte=2&sort=-qty&limit=2&fields=serial,qty"
        page = as_admin.get(url + (f"&cursor={cursor}" if cursor else "")).json
        assert set(page) == {"data", "next_cursor"}
        seen += [r["qty"] for r in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [6, 5, 4, 3, 2]
    assert [
        r["serial"] for r in as_admin.get("/api/v1/records/asset?qty__in=1,3").json["data"]
    ] == ["SN-1", "SN-3"]
    # No search_fields on asset: search falls back to its title field (serial).
    assert [r["serial"] for r in as_admin.get("/api/v1/records/asset?q=sn-3").json["data"]] == [
        "SN-3"
    ]


def test_history_over_http(as_admin, assets):
    created = as_admin.post("/api/v1/records/asset", {"serial": "SN-1", "qty": 1})
    url = created.headers["Location"]
    as_admin.patch(url, {"qty": 2})
    history = as_admin.get(url + "/history").json
    assert [(h["action"], h["field"]) for h in history["data"]] == [
        ("update", "qty"),
        ("create", None),
    ]
    assert history["data"][0]["old"] == 1 and history["data"][0]["new"] == 2


def test_bulk_create_and_upsert_in_one_transaction(as_admin, assets):
    first = as_admin.post(
        "/api/v1/records/asset/bulk",
        {
            "mode": "upsert",
            "external_id": "serial",
            "records": [{"serial": "A", "qty": 1}, {"serial": "B"}],
        },
    )
    assert first.status == 200 and (first.json["created"], first.json["updated"]) == (2, 0)
    second = as_admin.post(
        "/api/v1/records/asset/bulk",
        {
            "mode": "upsert",
            "external_id": "serial",
            "records": [{"serial": "A", "qty": 5}, {"serial": "B"}, {"serial": "C", "qty": 1}],
        },
    )
    assert [r["status"] for r in second.json["data"]] == ["updated", "unchanged", "created"]
    failed = as_admin.post(
        "/api/v1/records/asset/bulk",
        {"records": [{"serial": "D"}, {"serial": "E", "qty": -1}, {"serial": "F"}]},
    )
    assert failed.status == 422
    assert failed.problem["errors"] == {"records/1/qty": ["must be at least 0"]}
    assert [r["status"] for r in failed.json["results"]] == ["created", "error", "skipped"]
    serials = {r["serial"] for r in as_admin.get("/api/v1/records/asset").json["data"]}
    assert serials == {"A", "B", "C"}  # nothing of the failed batch was kept
    partial = as_admin.post(
        "/api/v1/records/asset/bulk",
        {"atomic": False, "records": [{"serial": "G"}, {"serial": "A"}, {"serial": "H"}]},
    )
    assert partial.status == 200 and [r["status"] for r in partial.json["data"]] == [
        "created",
        "error",
        "created",
    ]
    assert len(as_admin.get("/api/v1/records/asset").json["data"]) == 5
    too_many = as_admin.post(
        "/api/v1/records/asset/bulk", {"records": [{"serial": str(i)} for i in range(1001)]}
    )
    assert too_many.status == 422 and "records" in too_many.problem["errors"]
    no_key = as_admin.post(
        "/api/v1/records/asset/bulk", {"mode": "upsert", "external_id": "qty", "records": [{}]}
    )
    assert "external_id" in no_key.problem["errors"]

"""What the engine offers packs: settings, API routes, rate limits and signed links."""

from __future__ import annotations

import datetime as dt

import pytest

from plinth.auth.signed_links import LinkExpired, read_link, sign_link
from plinth.errors import PermissionDenied, TooManyRequests
from plinth.metadata.documents import write_document
from plinth.packs.installer import PackInstaller
from plinth.packs.loader import load_pack
from plinth.packs.routes import PackRoutes
from plinth.services.rate_limits import hit
from tests.docs import SITE, doc
from tests.packs_helpers import make_pack

SETTINGS = {
    "greeting": {"type": "string", "default": "hello", "options": ["hello", "ni hao"]},
    "max_sites": {"type": "integer", "default": 3, "minimum": 1, "maximum": 10},
}


@pytest.fixture
def app(plinth_settings, tenant, tmp_path):
    """An app of a tenant with a pack that declares settings, a rule and an API route."""
    from plinth.app import create_app

    rule = {
        "name": "site_cap",
        "object": "site",
        "condition": "count('site') < setting('sample.max_sites')",
        "message": "too many sites",
        "events": ["create"],
    }
    folder = make_pack(
        tmp_path, "sample", "1.0.0", {"objects": [doc(SITE)], "validation_rules": [rule]}
    )
    manifest = load_pack(folder).manifest
    write_document(
        folder / "pack.yaml",
        {**manifest, "settings": SETTINGS, "python": "tests.sample_pack_plugin"},
    )
    PackInstaller(tenant).install([load_pack(folder)])
    application = create_app(plinth_settings)
    yield application
    application.extensions["plinth"].tenant.dispose()


def test_settings_are_read_by_everyone_and_changed_by_admins(as_admin, people, as_user):  # noqa: F811
    listed = as_admin.get("/api/v1/settings").json["data"]
    assert [(s["name"], s["value"]) for s in listed] == [
        ("sample.greeting", "hello"),
        ("sample.max_sites", 3),
    ]
    reader = as_user(people("rita"))
    assert reader.get("/api/v1/settings").status == 200
    assert reader.patch("/api/v1/settings", json={"sample.max_sites": 5}).status == 403
    bad = as_admin.patch(
        "/api/v1/settings",
        json={"sample.max_sites": 99, "sample.greeting": "hi", "sample.nope": 1},
    )
    assert bad.status == 422
    assert set(bad.problem["errors"]) == {"sample.max_sites", "sample.greeting", "sample.nope"}
    assert as_admin.patch("/api/v1/settings", json={"sample.max_sites": True}).status == 422
    changed = as_admin.patch("/api/v1/settings", json={"sample.greeting": "ni hao"})
    assert {s["name"]: s["value"] for s in changed.json["data"]}["sample.greeting"] == "ni hao"
    back = as_admin.patch("/api/v1/settings", json={"sample.greeting": None})
    assert {s["name"]: s["value"] for s in back.json["data"]}["sample.greeting"] == "hello"


def test_rules_read_settings(as_admin):  # noqa: F811
    for index in range(2):
        assert as_admin.post("/api/v1/records/site", json={"name": f"s{index}"}).status == 201
    as_admin.patch("/api/v1/settings", json={"sample.max_sites": 2})
    refused = as_admin.post("/api/v1/records/site", json={"name": "s2"})
    assert refused.status == 422 and "too many sites" in refused.problem["detail"]
    as_admin.patch("/api/v1/settings", json={"sample.max_sites": 10})
    assert as_admin.post("/api/v1/records/site", json={"name": "s2"}).status == 201


def test_pack_api_routes_are_served_and_documented(as_admin, client):  # noqa: F811
    answer = as_admin.get("/api/v1/sample/greeting")
    assert answer.status == 200 and answer.json["data"] == ["hello"]
    assert client.get("/api/v1/sample/greeting").status_code == 401
    document = as_admin.get("/api/v1/openapi.json").json
    assert document["paths"]["/api/v1/sample/greeting"]["get"]["summary"] == "A greeting"
    routes = PackRoutes()
    with pytest.raises(ValueError, match="must start with /sample/"):
        routes.add_api("sample", "sample", "/other/x", lambda: None, ["GET"], None)


def test_rate_limits_count_per_client_and_window(tenant):
    now = [dt.datetime(2026, 11, 24, 10, 0, 5, tzinfo=dt.UTC)]
    tenant.clock = lambda: now[0]
    assert [hit(tenant, "form", "1.2.3.4", 3, 60) for _ in range(3)] == [2, 1, 0]
    with pytest.raises(TooManyRequests) as refused:
        hit(tenant, "form", "1.2.3.4", 3, 60)
    assert refused.value.retry_after == 55
    assert hit(tenant, "form", "5.6.7.8", 3, 60) == 2  # another client
    assert hit(tenant, "other", "1.2.3.4", 3, 60) == 2  # another bucket
    now[0] += dt.timedelta(seconds=60)
    assert hit(tenant, "form", "1.2.3.4", 3, 60) == 2  # a new window


def test_signed_links_expire_and_cannot_be_forged(tenant):
    now = [dt.datetime(2026, 11, 24, tzinfo=dt.UTC)]
    tenant.clock = lambda: now[0]
    token = sign_link(tenant, "evaluation", {"wo": 7}, dt.timedelta(days=7))
    payload, expires = read_link(tenant, "evaluation", token)
    assert payload == {"wo": 7} and expires == now[0] + dt.timedelta(days=7)
    with pytest.raises(PermissionDenied):
        read_link(tenant, "other_purpose", token)
    with pytest.raises(PermissionDenied):
        read_link(tenant, "evaluation", token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(PermissionDenied):
        read_link(tenant, "evaluation", "garbage")
    now[0] += dt.timedelta(days=7)
    with pytest.raises(LinkExpired):
        read_link(tenant, "evaluation", token)


def test_a_pack_states_the_engine_versions_it_supports(tmp_path, tenant):
    import plinth
    from plinth.errors import ConfigError, ValidationError
    from plinth.packs.plugins import load_plugins

    folder = make_pack(tmp_path, "sample", "1.0.0", {"objects": [doc(SITE)]})
    manifest = load_pack(folder).manifest
    write_document(folder / "pack.yaml", {**manifest, "engine": ">=99"})
    with pytest.raises(ValidationError) as refused:
        load_pack(folder)
    assert f"this engine is {plinth.__version__}" in str(refused.value.errors)
    write_document(folder / "pack.yaml", {**manifest, "engine": "not a range"})
    with pytest.raises(ValidationError, match="invalid version specifier"):
        load_pack(folder)

    # installed for this engine, started on one it does not support: a clear start-up error
    supported = {
        **manifest,
        "engine": f"=={plinth.__version__}",
        "python": "tests.sample_pack_plugin",
    }
    write_document(folder / "pack.yaml", supported)
    PackInstaller(tenant).install([load_pack(folder)])
    tenant.plugins.discard("sample")
    upgraded = "99.0.0"
    original, plinth.__version__ = plinth.__version__, upgraded
    try:
        with pytest.raises(ConfigError, match="pack sample: the pack needs engine"):
            load_plugins(tenant)
    finally:
        plinth.__version__ = original


def test_the_shipped_packs_state_their_engine_range():
    from plinth.packs.loader import discovered_packs

    for name, root in discovered_packs().items():
        assert load_pack(root).manifest.get("engine"), name

"""The OpenAPI document: valid, typed from metadata, changes with it, browsable."""

from openapi_spec_validator import validate

from tests.docs import ASSET, EVERYTHING, SITE, doc


def test_document_validates_and_types_every_field(as_admin):
    for document in (doc(SITE), doc(ASSET), doc(EVERYTHING)):
        as_admin.put(f"/api/v1/metadata/objects/{document['name']}", document)
    spec = as_admin.get("/api/v1/openapi.json").json
    validate(spec)
    schemas = spec["components"]["schemas"]
    asset, create = schemas["asset"]["properties"], schemas["asset_input"]
    assert asset["grade"] == {
        "type": "string",
        "enum": ["a", "b"],
        "nullable": True,
        "title": "Grade",
    }
    assert asset["qty"]["minimum"] == 0 and asset["qty"]["maximum"] == 1000
    assert asset["number"]["readOnly"] is True and "number" not in create["properties"]
    assert create["required"] == ["serial"] and create["additionalProperties"] is False
    assert asset["created_at"] == {"type": "string", "format": "date-time", "title": "Created at"}
    every = schemas["everything"]["properties"]
    assert every["a_datetime"]["format"] == "date-time" and every["a_date"]["format"] == "date"
    assert every["an_email"]["format"] == "email" and every["a_url"]["format"] == "uri"
    assert every["a_geo"]["properties"]["lat"]["maximum"] == 90
    assert every["a_multiselect"]["items"]["enum"] == ["red", "green", "blue"]
    assert every["a_decimal"]["type"] == "number" and every["a_decimal"]["maximum"] == 9999999.999
    assert every["a_formula"]["readOnly"] is True and every["a_formula"]["type"] == "integer"
    assert schemas["everything_input"]["properties"]["a_signature"]["required"] == [
        "image",
        "signer",
    ]
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/records/asset"])
    names = {p["name"] for p in paths["/api/v1/records/asset"]["get"]["parameters"]}
    assert {"qty__gte", "grade__in", "site__isnull", "sort", "cursor"} <= names


def test_document_changes_when_metadata_changes(as_admin):
    as_admin.put("/api/v1/metadata/objects/site", doc(SITE))
    before = as_admin.get("/api/v1/openapi.json").json
    changed = doc(SITE)
    changed["fields"].append({"name": "zone", "type": "select", "options": [{"value": "n"}]})
    as_admin.put("/api/v1/metadata/objects/site", changed)
    after = as_admin.get("/api/v1/openapi.json").json
    assert "zone" not in before["components"]["schemas"]["site"]["properties"]
    assert after["components"]["schemas"]["site"]["properties"]["zone"]["enum"] == ["n"]
    assert before["info"]["version"] != after["info"]["version"]


def test_each_caller_sees_only_what_they_may_read(as_admin, anonymous, people, as_user):
    as_admin.put("/api/v1/metadata/objects/site", doc(SITE))
    as_admin.put("/api/v1/metadata/objects/asset", doc(ASSET))
    as_admin.put(
        "/api/v1/metadata/roles/viewer",
        {"name": "viewer", "objects": {"site": {"read": "all", "fields": {"city": "none"}}}},
    )
    viewer = as_user(people("vic", roles=["viewer"])).get("/api/v1/openapi.json").json
    validate(viewer)
    assert "asset" not in viewer["components"]["schemas"]
    assert "city" not in viewer["components"]["schemas"]["site"]["properties"]
    public = anonymous.get("/api/v1/openapi.json").json
    validate(public)
    assert "/api/v1/auth/token" in public["paths"] and "site" not in public["components"]["schemas"]


def test_reference_page_renders_from_the_document(as_admin, client, admin):
    as_admin.put("/api/v1/metadata/objects/site", doc(SITE))
    page = client.get("/api/v1/docs", headers={"Authorization": f"Bearer {admin['token']}"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "/api/v1/records/site" in html and 'id="schema-site"' in html


def test_every_endpoint_is_declared_and_every_declared_one_documented(app, as_admin):
    """Each API route but the records' and the packs' is an ``Endpoint`` (rule, view and
    schemas in one place), and each documented one is in the document with its method."""
    from plinth.api.docs import DOCUMENTED

    spec = as_admin.get("/api/v1/openapi.json").json
    missing = [
        f"{e.method} {e.path}"
        for e in DOCUMENTED
        if e.documented and e.method.lower() not in spec["paths"].get(e.path, {})
    ]
    assert missing == []
    declared = {("/api/v1" + e.rule, e.method) for e in DOCUMENTED}
    packs = {"/api/v1" + r.rule for r in app.extensions["plinth"].tenant.routes.api}
    undeclared = sorted(
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and not rule.rule.startswith("/api/v1/records/<object_name>")
        and rule.rule not in packs
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if (rule.rule, method) not in declared
    )
    assert undeclared == []

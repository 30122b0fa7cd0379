"""JSON Schema validation and cross-checks of every metadata kind."""

import json
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

from plinth.metadata.checks import cross_check
from plinth.metadata.kinds import KINDS
from plinth.metadata.schema_validation import schema_problems
from plinth.runtime.field_types import REGISTRY
from tests.docs import ASSET, EVERYTHING, SITE, doc, field


def problems_of(kind, document):
    return {(p.pointer, p.message) for p in schema_problems(kind, document)}


def pointers(problems):
    return {p.pointer for p in problems}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_valid_draft_2020_12_schema(kind):
    text = resources.files("plinth.metadata").joinpath("schemas", f"{kind}.json").read_text()
    schema = json.loads(text)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_object_schema_knows_exactly_the_registered_field_types():
    schema = json.loads(
        resources.files("plinth.metadata").joinpath("schemas", "objects.json").read_text()
    )
    assert set(schema["$defs"]["field"]["properties"]["type"]["enum"]) == set(REGISTRY)


def test_good_documents_pass():
    for document in (SITE, ASSET, EVERYTHING):
        assert schema_problems("objects", document) == []
    assert cross_check({"objects": {"site": SITE, "asset": ASSET, "everything": EVERYTHING}}) == []


def test_schema_errors_carry_json_pointers():
    bad = doc(ASSET)
    bad["name"] = "Asset"
    field(bad, "serial")["max_length"] = "forty"
    field(bad, "grade").pop("options")
    field(bad, "qty")["options"] = []
    bad["fields"].append({"name": "x", "type": "colour"})
    found = problems_of("objects", bad)
    assert ("/name", "does not match the required pattern ^[a-z][a-z0-9_]{0,62}$") in found
    assert ("/fields/0/max_length", "must be of type integer") in found
    assert ("/fields/1/options", "is required") in found
    assert ("/fields/4/options", "is not allowed for a integer field") in found
    assert any(p == "/fields/5/type" and m.startswith("must be one of") for p, m in found)


def test_labels_may_be_translated_maps_but_not_anything():
    ok = doc(SITE)
    ok["label"] = {"en": "Site", "zh-CN": "站点"}
    assert schema_problems("objects", ok) == []
    ok["label"] = {"en": 3}
    assert pointers(schema_problems("objects", ok)) == {"/label/en"}


def cross(objects=(), **kinds):
    documents = {"objects": {o["name"]: o for o in objects}}
    for kind, docs in kinds.items():
        documents[kind] = {d["name"]: d for d in docs}
    return {(p.kind, p.name, p.pointer): p.message for p in cross_check(documents)}


def test_unknown_lookup_target_duplicate_and_reserved_names():
    bad = doc(ASSET)
    field(bad, "site")["target"] = "sight"
    bad["fields"].append({"name": "serial", "type": "text"})
    bad["fields"].append({"name": "version", "type": "integer"})
    bad["fields"].append({"name": "class", "type": "integer"})
    found = cross([SITE, bad])
    assert found[("objects", "asset", "/fields/2/target")] == "unknown object 'sight'"
    assert found[("objects", "asset", "/fields/5/name")] == "duplicate field name 'serial'"
    assert found[("objects", "asset", "/fields/6/name")] == "'version' is a reserved name"
    assert found[("objects", "asset", "/fields/7/name")] == "'class' is a reserved name"


def test_a_geo_fields_accuracy_field_is_a_number_field_of_its_object():
    job = {
        "name": "visit",
        "fields": [
            {"name": "place", "type": "geo", "accuracy_field": "place_accuracy"},
            {"name": "place_accuracy", "type": "decimal", "precision": 8, "scale": 1},
            {"name": "spot", "type": "geo", "accuracy_field": "nothing"},
            {"name": "where", "type": "geo", "accuracy_field": "note"},
            {"name": "note", "type": "text"},
        ],
    }
    assert schema_problems("objects", job) == []
    found = cross([job])
    assert ("objects", "visit", "/fields/0/accuracy_field") not in found
    assert found[("objects", "visit", "/fields/2/accuracy_field")] == "unknown field 'nothing'"
    assert found[("objects", "visit", "/fields/3/accuracy_field")] == (
        "must be a number field (integer or decimal), not text"
    )
    text = {"name": "x", "fields": [{"name": "t", "type": "text", "accuracy_field": "t"}]}
    assert ("/fields/0/accuracy_field", "is not allowed for a text field") in problems_of(
        "objects", text
    )


def test_defaults_must_be_valid_for_their_field():
    bad = doc(ASSET)
    field(bad, "grade")["default"] = "z"
    field(bad, "qty")["default"] = 5000
    found = cross([SITE, bad])
    assert found[("objects", "asset", "/fields/1/default")].startswith("invalid default: 'z'")
    assert (
        found[("objects", "asset", "/fields/4/default")] == "invalid default: must be at most 1000"
    )


def test_type_specific_definition_checks():
    bad = {
        "name": "thing",
        "title_field": "notes",
        "search_fields": ["qty"],
        "indexes": [{"fields": ["nope"]}, {"fields": ["tags"]}],
        "fields": [
            {"name": "code", "type": "text", "pattern": "("},
            {"name": "price", "type": "decimal", "precision": 4, "scale": 6},
            {"name": "qty", "type": "integer", "min": 5, "max": 1},
            {"name": "tags", "type": "multiselect", "options": [{"value": "a"}, {"value": "a"}]},
            {"name": "number", "type": "autonumber", "pattern": "NO-{YYYY}"},
            {"name": "notes", "type": "textarea", "unique": True},
            {"name": "calc", "type": "formula", "formula": "qty +", "result_type": "integer"},
            {"name": "sig", "type": "signature", "default": "x"},
            {"name": "code_lat", "type": "text"},
            {"name": "code", "type": "geo"},
        ],
    }
    found = cross([bad])
    expect = {
        "/fields/0/pattern",
        "/fields/1/scale",
        "/fields/2/min",
        "/fields/3/options/1/value",
        "/fields/4/pattern",
        "/fields/5/unique",
        "/fields/6/formula",
        "/fields/7/default",
        "/fields/9/name",
        "/title_field",
        "/search_fields/0",
        "/indexes/0/fields/0",
        "/indexes/1/fields/0",
    }
    assert expect <= {pointer for (_, _, pointer) in found}


def test_workflow_states_must_cover_the_select_options():
    ticket = {
        "name": "ticket",
        "fields": [
            {
                "name": "status",
                "type": "select",
                "options": [{"value": "new"}, {"value": "done"}, {"value": "lost"}],
            },
            {"name": "notes", "type": "text"},
        ],
    }
    workflow = {
        "name": "ticket_flow",
        "object": "ticket",
        "field": "status",
        "states": [
            {"name": "new", "category": "new", "initial": True},
            {"name": "done", "category": "done"},
            {"name": "gone", "category": "cancelled"},
        ],
        "transitions": [
            {"name": "finish", "from": ["new", "nowhere"], "to": "done", "roles": ["boss"]},
            {"name": "finish", "from": "*", "to": "done", "require": ["missing"]},
        ],
    }
    found = cross([ticket], workflows=[workflow])
    key = ("workflows", "ticket_flow")
    assert found[(*key, "/states/2/name")] == "'gone' is not an option of status"
    assert found[(*key, "/states")] == "options without a state: lost"
    assert found[(*key, "/transitions/0/from/1")] == "unknown state 'nowhere'"
    assert found[(*key, "/transitions/0/roles/0")] == "unknown role 'boss'"
    assert found[(*key, "/transitions/1/name")] == "duplicate transition 'finish'"
    assert found[(*key, "/transitions/1/require/0")] == "unknown field 'missing' of ticket"


def test_layouts_rules_and_policies_refer_to_real_things():
    layout = {
        "name": "asset_form",
        "object": "asset",
        "type": "form",
        "sections": [{"fields": ["serial", "nope"]}],
        "related": [{"object": "site", "via": "name"}],
    }
    rule = {"name": "qty_cap", "object": "asset", "condition": "qty <=", "message": "too many"}
    sla = {
        "name": "fast",
        "object": "asset",
        "calendar": "none",
        "targets": [{"name": "resolution", "durations": {"urgent": "2h"}}],
    }
    calendar = {"name": "cal", "time_zone": "Mars/Olympus", "hours": {"mon": [["10:00", "09:00"]]}}
    role = {"name": "admin", "objects": {"ghost": {"read": "all"}}}
    found = cross(
        [SITE, ASSET],
        layouts=[layout],
        validation_rules=[rule],
        sla_policies=[sla],
        calendars=[calendar],
        roles=[role],
    )
    assert (
        found[("layouts", "asset_form", "/sections/0/fields/1")] == "unknown field 'nope' of asset"
    )
    assert found[("layouts", "asset_form", "/related/0/via")].startswith("must be a lookup field")
    assert found[("validation_rules", "qty_cap", "/condition")].startswith(
        "invalid expression, line 1"
    )
    assert found[("sla_policies", "fast", "/calendar")] == "unknown calendar 'none'"
    assert found[("sla_policies", "fast", "/targets/0/durations/urgent")].startswith("without a")
    assert found[("calendars", "cal", "/time_zone")] == "unknown time zone 'Mars/Olympus'"
    assert found[("calendars", "cal", "/hours/mon/0")] == "start must be before end"
    assert found[("roles", "admin", "/name")].startswith("'admin' is a built-in role")
    assert found[("roles", "admin", "/objects/ghost")] == "unknown object 'ghost'"


def test_rules_that_cannot_finish_with_blank_fields_are_refused():
    """Each rule is tried once with its fields None: ordinary errors pass, limits do not."""
    endless = {
        "name": "endless",
        "object": "asset",
        "condition": "sum([[0]]*100000, []) == []",
        "message": "x",
    }
    fine = {"name": "fine", "object": "asset", "condition": "qty > 0", "message": "x"}
    spin = {
        "name": "spin",
        "object": "asset",
        "trigger": {"type": "on_create"},
        "actions": [{"type": "script", "source": "while True:\n    pass"}],
    }
    formula = {"name": "huge", "type": "formula", "formula": "str(2 ** 5000)"}
    found = cross(
        [SITE, {**ASSET, "fields": [*ASSET["fields"], formula]}],
        validation_rules=[endless, fine],
        automations=[spin],
    )
    assert found[("validation_rules", "endless", "/condition")].startswith(
        "the expression cannot finish with blank fields: line 1: stopped: sum() of lists"
    )
    assert ("validation_rules", "fine", "/condition") not in found
    spinning = found[("automations", "spin", "/actions/0/source")]
    assert spinning.startswith("the script cannot finish with blank fields: line 1: stopped:")
    assert "bits" in found[("objects", "asset", "/fields/5/formula")]


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        ("layouts", {"name": "l", "object": "asset", "type": "list", "columns": ["serial"]}),
        (
            "workflows",
            {
                "name": "w",
                "object": "asset",
                "field": "grade",
                "states": [
                    {"name": "a", "category": "new", "initial": True},
                    {"name": "b", "category": "done"},
                ],
                "transitions": [{"name": "go", "from": ["a"], "to": "b"}],
            },
        ),
        (
            "sla_policies",
            {
                "name": "s",
                "object": "asset",
                "calendar": "c",
                "priority_field": "grade",
                "targets": [{"name": "fix", "durations": {"a": "4h", "b": "1d"}}],
            },
        ),
        (
            "assignment_rules",
            {
                "name": "r",
                "object": "asset",
                "field": "site",
                "when": {"on": "create"},
                "method": "round_robin",
                "candidates": {"object": "site"},
            },
        ),
        (
            "validation_rules",
            {
                "name": "v",
                "object": "asset",
                "condition": "qty <= 100",
                "message": {"en": "Too many", "zh-CN": "太多"},
                "fields": ["qty"],
            },
        ),
        (
            "automations",
            {
                "name": "a",
                "object": "asset",
                "trigger": {"type": "on_update", "fields": ["qty"]},
                "actions": [{"type": "set_fields", "values": {"grade": "b"}}],
            },
        ),
        (
            "roles",
            {"name": "viewer", "objects": {"asset": {"read": "all", "fields": {"qty": "none"}}}},
        ),
        (
            "calendars",
            {
                "name": "c",
                "time_zone": "Asia/Shanghai",
                "hours": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]},
                "holidays": ["2026-10-01"],
            },
        ),
    ],
)
def test_a_valid_document_of_each_kind(kind, document):
    assert schema_problems(kind, document) == []
    calendar = {"name": "c", "time_zone": "UTC", "hours": {}}
    documents = {"objects": {"site": SITE, "asset": ASSET}, "calendars": {"c": calendar}}
    documents.setdefault(kind, {})[document["name"]] = document
    assert cross_check(documents) == []


def test_transition_and_update_record_actions_and_user_field_scopes_are_checked():
    flow = {
        "name": "grading",
        "object": "asset",
        "field": "grade",
        "states": [
            {"name": "a", "category": "new", "initial": True},
            {"name": "b", "category": "done"},
        ],
        "transitions": [{"name": "promote", "from": ["a"], "to": "b"}],
    }
    automation = {
        "name": "chain",
        "object": "asset",
        "trigger": {"type": "on_update"},
        "actions": [
            {"type": "transition", "object": "asset", "record": "=id", "transition": "demote"},
            {"type": "transition", "object": "site", "record": "site", "transition": "promote"},
            {"type": "transition", "object": "asset", "via": "serial", "transition": "promote"},
            {"type": "update_record", "object": "site", "record": "serial", "values": {"nope": 1}},
            {
                "type": "update_record",
                "object": "site",
                "record": "site",
                "values": {"city": "=serial"},
            },
        ],
    }
    role = {
        "name": "tech",
        "objects": {"asset": {"read": "own", "user_fields": ["serial", "site.name", "grade.x"]}},
    }
    found = cross([SITE, ASSET], workflows=[flow], automations=[automation], roles=[role])
    base = ("automations", "chain")
    assert found[(*base, "/actions/0/transition")] == "asset has no workflow transition 'demote'"
    assert found[(*base, "/actions/1/transition")] == "site has no workflow transition 'promote'"
    assert found[(*base, "/actions/2/via")] == "must be a lookup of asset to asset"
    assert found[(*base, "/actions/3/record")] == "must be a lookup field of asset to site"
    assert found[(*base, "/actions/3/values/nope")] == "unknown field 'nope' of site"
    assert not [k for k in found if k[:2] == base and k[2].startswith("/actions/4")]
    assert found[("roles", "tech", "/objects/asset/user_fields/0")] == (
        "'serial' is not a user field of asset"
    )
    assert found[("roles", "tech", "/objects/asset/user_fields/1")] == (
        "'name' is not a user field of site"
    )
    assert found[("roles", "tech", "/objects/asset/user_fields/2")] == (
        "'grade' is not a lookup field of asset"
    )

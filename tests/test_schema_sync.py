"""Schema sync on both databases: safe changes apply, destructive ones are refused or archived."""

import pytest
import sqlalchemy as sa

from plinth.errors import DestructiveChange, MetadataInvalid
from plinth.metadata import store
from plinth.metadata.publisher import Publisher, Put, Remove
from plinth.runtime import schema_apply
from tests.docs import ASSET, SITE, doc, field


def columns(tenant, table):
    with tenant.database.transaction() as conn:
        return {c["name"]: c for c in sa.inspect(conn).get_columns(table)}


def indexes(tenant, table):
    with tenant.database.transaction() as conn:
        return {i["name"]: i for i in sa.inspect(conn).get_indexes(table)}


def archive_rows(tenant):
    with tenant.database.transaction() as conn:
        rows = conn.execute(
            sa.text("SELECT object, column_name, record_id, value FROM plinth_archive ORDER BY id")
        )
        return [tuple(r) for r in rows]


def revision_count(tenant):
    with tenant.database.transaction() as conn:
        return store.latest_revision_id(conn)


@pytest.fixture
def assets(publish, records):
    publish(doc(SITE), doc(ASSET))
    site = records("create", "site", {"name": "Main"})
    for i, serial in enumerate(["SHORT", "A-MUCH-LONGER-SERIAL", "MID-SIZE"]):
        records("create", "asset", {"serial": serial, "qty": i * 10, "site": site["id"]})
    return site


def test_new_tables_columns_and_indexes_apply_at_once(assets, publish, records, tenant):
    changed = doc(ASSET)
    changed["fields"].append({"name": "notes", "type": "textarea"})
    changed["fields"].append({"name": "model", "type": "text", "indexed": True})
    changed["indexes"] = [{"fields": ["grade", "-qty"]}]
    result = publish(changed, {"name": "brand", "fields": [{"name": "name", "type": "text"}]})
    assert result.revision_id == 2
    actions = sorted(s["action"] for s in result.schema)
    assert actions.count("add_column") == 2 and "create_table" in actions
    assert {"notes", "model"} <= set(columns(tenant, "obj_asset"))
    assert {"ix_obj_asset_model", "ix_obj_asset_grade_qty_desc"} <= set(
        indexes(tenant, "obj_asset")
    )
    rows = records("list", "asset").data
    assert len(rows) == 3 and all(r["notes"] is None for r in rows)


def test_widening_applies_and_keeps_data(assets, publish, records):
    changed = doc(ASSET)
    field(changed, "serial")["max_length"] = 200
    field(changed, "qty").update(type="decimal", precision=24, scale=2)
    field(changed, "qty").pop("min")
    field(changed, "qty").pop("max")
    result = publish(changed)
    assert {s.get("change") for s in result.schema if s["action"] == "alter_column"} == {"widen"}
    rows = records("list", "asset").data
    assert sorted(str(r["qty"]) for r in rows) == ["0.00", "10.00", "20.00"]
    long = records("create", "asset", {"serial": "S" * 150})
    assert len(long["serial"]) == 150


def test_removing_a_field_with_data_is_refused_then_archived_when_confirmed(
    assets, publish, tenant
):
    changed = doc(ASSET)
    changed["fields"] = [f for f in changed["fields"] if f["name"] != "qty"]
    with pytest.raises(DestructiveChange) as refused:
        publish(changed)
    assert refused.value.losses == [
        {
            "action": "drop_column",
            "table": "obj_asset",
            "description": "remove field qty of asset: 3 values would be archived",
            "object": "asset",
            "field": "qty",
            "column": "qty",
            "destructive": True,
            "rows": 3,
        }
    ]
    assert "qty" in columns(tenant, "obj_asset") and revision_count(tenant) == 1
    publish(changed, confirm_destructive=True)
    assert "qty" not in columns(tenant, "obj_asset")
    assert [(o, c, v) for o, c, _, v in archive_rows(tenant)] == [
        ("asset", "qty", "0"),
        ("asset", "qty", "10"),
        ("asset", "qty", "20"),
    ]


def test_removing_an_empty_field_needs_no_confirmation(assets, publish, tenant):
    changed = doc(ASSET)
    changed["fields"].append({"name": "spare", "type": "text"})
    publish(changed)
    changed["fields"].pop()
    publish(changed)
    assert "spare" not in columns(tenant, "obj_asset")


def test_narrowing_is_free_when_values_fit_and_archived_when_they_do_not(
    assets, publish, records, tenant
):
    changed = doc(ASSET)
    field(changed, "serial")["max_length"] = 20
    publish(changed)  # every serial is at most 20 characters
    field(changed, "serial")["max_length"] = 6
    with pytest.raises(DestructiveChange, match="2 values would not fit"):
        publish(changed)
    publish(changed, confirm_destructive=True)
    serials = sorted((r["serial"] or "") for r in records("list", "asset").data)
    assert serials == ["", "", "SHORT"]
    assert sorted(v for _, _, _, v in archive_rows(tenant)) == ["A-MUCH-LONGER-SERIAL", "MID-SIZE"]


@pytest.mark.parametrize(
    ("old", "new", "long", "short"),
    [
        ({"type": "textarea"}, {"type": "text"}, "x" * 300, "short"),
        (
            {"type": "email"},
            {"type": "text", "max_length": 20},
            "a" * 60 + "@example.com",
            "ab@example.com",
        ),
        ({"type": "phone"}, {"type": "text", "max_length": 12}, "+86 21 5555 0100", "555 0100"),
        (
            {"type": "url"},
            {"type": "text", "max_length": 30},
            "https://example.com/" + "a" * 50,
            "https://example.com",
        ),
    ],
    ids=["textarea", "email", "phone", "url"],
)
def test_a_text_like_field_becoming_shorter_text_loses_what_the_new_limit_cuts(
    publish, records, tenant, old, new, long, short
):
    """What would be lost is measured against the new field's limit, not the old type's
    (a textarea has none, an email 254): the change is refused, then archived on confirm.
    It used to crash the publish (textarea), or fail on PostgreSQL and keep the long value
    in a shorter column on SQLite (email, phone, url)."""
    thing = {"name": "thing", "fields": [{"name": "contact", **old}]}
    publish(thing)
    for value in (long, short, None):
        records("create", "thing", {"contact": value})
    thing["fields"][0] = {"name": "contact", **new}
    with pytest.raises(DestructiveChange, match="narrow thing.contact: 1 values would not fit"):
        publish(thing)
    assert revision_count(tenant) == 1
    publish(thing, confirm_destructive=True)
    limit = new.get("max_length", 255)
    assert columns(tenant, "obj_thing")["contact"]["type"].length == limit
    assert sorted((r["contact"] or "") for r in records("list", "thing").data) == ["", "", short]
    assert [(o, c, v) for o, c, _, v in archive_rows(tenant)] == [("thing", "contact", long)]
    assert records("create", "thing", {"contact": short})["contact"] == short


def test_removing_a_select_option_in_use_is_destructive(assets, publish, records):
    rows = records("list", "asset").data
    records("update", "asset", rows[0]["id"], {"grade": "b"})
    changed = doc(ASSET)
    field(changed, "grade")["options"] = [{"value": "a"}, {"value": "c"}]
    with pytest.raises(DestructiveChange, match="1 values would not fit"):
        publish(changed)
    publish(changed, confirm_destructive=True)
    assert sorted(str(r["grade"]) for r in records("list", "asset").data) == ["None", "a", "a"]


def test_incompatible_type_change_converts_what_it_can(publish, records, tenant):
    thing = {"name": "thing", "fields": [{"name": "code", "type": "text"}]}
    publish(thing)
    for code in ("42", "007", "not a number", None):
        records("create", "thing", {"code": code})
    thing["fields"][0] = {"name": "code", "type": "integer", "indexed": True}
    with pytest.raises(DestructiveChange, match="3 values would be converted"):
        publish(thing)
    publish(thing, confirm_destructive=True)
    assert sorted(str(r["code"]) for r in records("list", "thing").data) == [
        "42",
        "7",
        "None",
        "None",
    ]
    assert sorted(v for _, _, _, v in archive_rows(tenant)) == ["007", "42", "not a number"]
    assert "ix_obj_thing_code" in indexes(tenant, "obj_thing")
    assert records("create", "thing", {"code": 5})["code"] == 5


def test_removing_an_object_archives_its_table(assets, tenant):
    publisher = Publisher(tenant)
    with pytest.raises(MetadataInvalid, match="unknown object 'site'"):
        publisher.publish([Remove("objects", "site")])
    with pytest.raises(DestructiveChange, match="remove object asset: 3 records"):
        publisher.publish([Remove("objects", "asset")])
    result = publisher.publish([Remove("objects", "asset")], confirm_destructive=True)
    archive = f"arc_asset_r{result.revision_id}"
    with tenant.database.transaction() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert "obj_asset" not in tables and archive in tables
        assert conn.scalar(sa.text(f"SELECT count(*) FROM {archive}")) == 3
        logged = conn.execute(sa.text("SELECT object, row_count FROM plinth_archived_table")).all()
    assert [tuple(r) for r in logged] == [("asset", 3)]
    # The name is free again, and the new table does not collide with the archive.
    Publisher(tenant).publish([Put("objects", doc(ASSET))])


def test_making_a_field_unique_with_duplicates_is_refused_at_its_pointer(assets, publish, records):
    records("create", "asset", {"serial": "X1", "qty": 10})
    changed = doc(ASSET)
    field(changed, "qty")["unique"] = True
    with pytest.raises(MetadataInvalid) as refused:
        publish(changed)
    assert refused.value.errors == {"/fields/4/unique": ["1 values of qty appear more than once"]}


def test_adding_a_unique_field_to_a_table_with_rows(assets, publish, records, tenant):
    records("create", "asset", {"serial": "X1", "qty": 10})
    records("create", "asset", {"serial": "X2", "qty": 10})
    changed = doc(ASSET)
    changed["fields"].append({"name": "tag", "type": "text", "unique": True})
    changed["fields"].append({"name": "code", "type": "autonumber", "pattern": "A-{seq}"})
    publish(changed)  # the new columns hold no values yet: no duplicate check to fail
    assert {"tag", "code"} <= set(columns(tenant, "obj_asset"))


def test_mutually_referencing_objects(publish, records):
    left = {"name": "left", "fields": [{"name": "right", "type": "lookup", "target": "right"}]}
    right = {
        "name": "right",
        "fields": [{"name": "left", "type": "lookup", "target": "left", "on_delete": "set_null"}],
    }
    publish(left, right)
    r = records("create", "right", {})
    lft = records("create", "left", {"right": r["id"]})
    assert records("update", "right", r["id"], {"left": lft["id"]})["left"] == lft["id"]


@pytest.mark.postgres_only
def test_adding_a_nullable_field_does_not_rewrite_the_table(backend, publish, tenant):
    publish({"name": "big", "fields": [{"name": "n", "type": "integer"}]})
    with tenant.database.transaction(write=True) as conn:
        conn.execute(
            sa.text(
                "INSERT INTO obj_big (created_at, updated_at, version, n) "
                "SELECT now(), now(), 1, g FROM generate_series(1, 50000) g"
            )
        )
    filenode = "SELECT relfilenode FROM pg_class WHERE oid = 'obj_big'::regclass"
    with tenant.database.transaction() as conn:
        before = conn.scalar(sa.text(filenode))
    publish(
        {
            "name": "big",
            "fields": [
                {"name": "n", "type": "integer"},
                {"name": "note", "type": "text"},
                {"name": "spot", "type": "geo"},
            ],
        }
    )
    with tenant.database.transaction() as conn:
        assert conn.scalar(sa.text(filenode)) == before  # same file: no rewrite
        assert conn.scalar(sa.text("SELECT count(*) FROM obj_big WHERE note IS NULL")) == 50000


def test_dry_run_reports_without_writing(assets, tenant):
    changed = doc(ASSET)
    changed["fields"].append({"name": "notes", "type": "textarea"})
    result = Publisher(tenant).publish([Put("objects", changed)], dry_run=True)
    assert result.dry_run and result.revision_id is None
    assert [s["action"] for s in result.schema] == ["add_column"]
    assert "notes" not in columns(tenant, "obj_asset") and revision_count(tenant) == 1


def test_a_failing_apply_rolls_back_metadata_too(assets, tenant, monkeypatch):
    def explode(self, plan):
        raise RuntimeError("disk full")

    monkeypatch.setattr(schema_apply.SchemaApplier, "apply", explode)
    changed = doc(ASSET)
    changed["fields"].append({"name": "notes", "type": "textarea"})
    with pytest.raises(RuntimeError):
        Publisher(tenant).publish([Put("objects", changed)])
    assert revision_count(tenant) == 1
    with tenant.session() as s:
        assert "notes" not in s.compiled.object("asset").fields


def test_revisions_record_author_time_and_diff(assets, tenant):
    changed = doc(ASSET)
    field(changed, "serial")["max_length"] = 64
    Publisher(tenant).publish([Put("objects", changed)], message="longer serials")
    with tenant.database.transaction() as conn:
        listed = store.list_revisions(conn)
        detail = store.get_revision(conn, listed[0]["id"])
    assert [r["id"] for r in listed] == [2, 1]
    assert listed[0]["message"] == "longer serials" and listed[0]["author"] == "system"
    assert detail["summary"] == [{"kind": "objects", "name": "asset", "action": "update"}]
    assert detail["changes"][0]["diff"] == [
        {"op": "replace", "path": "/fields/0/max_length", "old": 40, "value": 64}
    ]


def test_invalid_documents_are_refused_with_pointers(publish):
    bad = doc(ASSET)
    field(bad, "site")["target"] = "nowhere"
    with pytest.raises(MetadataInvalid) as refused:
        publish(bad)
    assert refused.value.errors == {"/fields/2/target": ["unknown object 'nowhere'"]}


def test_removing_a_multiselect_option_keeps_the_other_options(publish, records, tenant):
    options = [{"value": "x"}, {"value": "y_1"}, {"value": "z"}]
    thing = {
        "name": "thing",
        "fields": [{"name": "tags", "type": "multiselect", "options": options}],
    }
    publish(thing)
    for tags in (["x", "y_1"], ["z"], ["y_1"], []):
        records("create", "thing", {"tags": tags})
    thing["fields"][0]["options"] = [{"value": "x"}, {"value": "z"}]
    with pytest.raises(DestructiveChange, match="2 values would not fit"):
        publish(thing)
    publish(thing, confirm_destructive=True)
    assert [r["tags"] for r in records("list", "thing").data] == [["x"], ["z"], [], []]
    assert len(archive_rows(tenant)) == 2

"""Packs: install in dependency order, validate first, upgrade in place, export round trip."""

import pytest
import sqlalchemy as sa

from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.errors import Conflict, DestructiveChange, MetadataInvalid, NotFound, ValidationError
from plinth.metadata.store import load_documents
from plinth.packs.demo import load_demo
from plinth.packs.exporter import export_pack
from plinth.packs.installer import PackInstaller, installed_packs
from plinth.packs.loader import discovered_packs, find_pack, load_pack
from plinth.runtime import migrate
from tests.docs import ASSET, SITE, doc, field
from tests.packs_helpers import make_pack


def docs_of(tenant):
    with tenant.database.transaction() as conn:
        stored = load_documents(conn)
    return {(k, n): (d.document, d.pack) for k, v in stored.items() for n, d in v.items()}


def packs_of(tenant):
    with tenant.database.transaction() as conn:
        return {n: r["version"] for n, r in installed_packs(conn).items()}


def test_built_in_packs_are_registered_and_valid():
    found = discovered_packs()
    assert {"field_service", "inspection"} <= set(found)
    inspection = find_pack("inspection")
    assert inspection.depends_on[0][0] == "field_service"
    assert {d.document["name"] for d in find_pack("field_service").documents} >= {"asset", "site"}


def test_install_in_dependency_order_with_demo_data(tenant):
    packs = [find_pack("inspection"), find_pack("field_service")]
    outcomes = PackInstaller(tenant).install(packs)
    assert [(o.pack, o.action) for o in outcomes] == [
        ("field_service", "installed"),
        ("inspection", "installed"),
    ]
    assert packs_of(tenant) == {"field_service": "1.1.0", "inspection": "0.1.0"}
    assert load_demo(tenant, find_pack("field_service")) > 12  # files, then the generated city
    assert load_demo(tenant, find_pack("inspection")) == 4  # refers to field_service's records
    assert load_demo(tenant, find_pack("inspection")) is None  # once only
    with tenant.session() as s:
        plans = s.records.list("inspection_plan", None).data
        assert {p["asset"] for p in plans} <= {a["id"] for a in s.records.list("asset").data}


def test_nothing_changes_unless_every_pack_is_valid(tenant, tmp_path):
    good = make_pack(tmp_path, "base", "1.0.0", {"objects": [doc(SITE)]})
    bad_asset = doc(ASSET)
    field(bad_asset, "site")["target"] = "nowhere"
    bad = make_pack(tmp_path, "extra", "1.0.0", {"objects": [bad_asset]}, depends_on=["base"])
    with pytest.raises(MetadataInvalid, match="unknown object 'nowhere'"):
        PackInstaller(tenant).install([load_pack(good), load_pack(bad)])
    assert packs_of(tenant) == {} and docs_of(tenant) == {}


def test_missing_or_unsatisfied_dependencies_are_refused(tenant, tmp_path):
    needs = make_pack(tmp_path, "needs", "1.0.0", {"objects": [doc(SITE)]}, depends_on=["ghost"])
    with pytest.raises(ValidationError, match="needs pack ghost"):
        PackInstaller(tenant).install([load_pack(needs)])
    base = make_pack(tmp_path, "base", "1.0.0", {"objects": [doc(SITE)]})
    PackInstaller(tenant).install([load_pack(base)])
    picky = make_pack(
        tmp_path,
        "picky",
        "1.0.0",
        {"objects": [doc(ASSET)]},
        depends_on=[{"name": "base", "version": ">=2"}],
    )
    with pytest.raises(ValidationError, match="needs base >=2, but base is 1.0.0"):
        PackInstaller(tenant).install([load_pack(picky)])


def test_upgrade_in_place_keeps_records(tenant, tmp_path):
    thing = {"name": "thing", "fields": [{"name": "name", "type": "text"}]}
    spare = {"name": "spare", "fields": [{"name": "n", "type": "integer"}]}
    v1 = make_pack(tmp_path, "shop", "1.0.0", {"objects": [doc(SITE), thing, spare]})
    PackInstaller(tenant).install([load_pack(v1)])
    with tenant.session() as s:
        s.records.create("site", {"name": "Kept"})
        s.records.create("spare", {"n": 1})
    site2 = doc(SITE)
    site2["fields"].append({"name": "zone", "type": "text"})
    v2 = make_pack(tmp_path, "shop", "1.1.0", {"objects": [site2, thing]})
    with pytest.raises(DestructiveChange, match="remove object spare: 1 records"):
        PackInstaller(tenant).install([load_pack(v2)])
    outcome = PackInstaller(tenant).install([load_pack(v2)], confirm_destructive=True)[0]
    assert (outcome.action, outcome.previous, outcome.version) == ("upgraded", "1.0.0", "1.1.0")
    assert ("objects", "spare") not in docs_of(tenant)
    with tenant.session() as s:
        [kept] = s.records.list("site").data
        assert kept["name"] == "Kept" and kept["zone"] is None
    again = PackInstaller(tenant).install([load_pack(v2)])[0]
    assert again.action == "unchanged"
    with pytest.raises(Conflict, match="refusing to downgrade"):
        PackInstaller(tenant).install([load_pack(v1)])


def test_a_pack_cannot_take_another_packs_documents(tenant, tmp_path):
    PackInstaller(tenant).install(
        [load_pack(make_pack(tmp_path, "one", "1.0.0", {"objects": [doc(SITE)]}))]
    )
    two = make_pack(tmp_path, "two", "1.0.0", {"objects": [doc(SITE)]})
    with pytest.raises(Conflict, match="belongs to pack 'one'"):
        PackInstaller(tenant).install([load_pack(two)])


def test_export_round_trip_gives_the_same_result_elsewhere(tenant, tmp_path, plinth_settings):
    PackInstaller(tenant).install([find_pack("field_service"), find_pack("inspection")])
    # What an implementer changes through the API or UI is kept with the pack.
    from plinth.metadata.publisher import Publisher, Put

    with tenant.database.transaction() as conn:
        asset = dict(load_documents(conn)["objects"]["asset"].document)
    asset["fields"] = [*asset["fields"], {"name": "color", "type": "text"}]
    Publisher(tenant).publish([Put("objects", asset)])
    Publisher(tenant).publish(
        [Put("objects", {"name": "note", "fields": [{"name": "t", "type": "text"}]})]
    )

    folder, count = export_pack(tenant, "field_service", tmp_path / "export")
    shipped = len(find_pack("field_service").documents)
    assert count == shipped and (folder / "metadata" / "objects" / "asset.yaml").is_file()
    custom_folder, custom_count = export_pack(
        tenant, "custom", tmp_path / "custom", version="1.0.0", new_name="my_notes"
    )
    assert custom_count == 1
    with pytest.raises(Conflict, match="not empty"):
        export_pack(tenant, "field_service", tmp_path / "export")
    with pytest.raises(NotFound):
        export_pack(tenant, "ghost", tmp_path / "ghost")

    settings = dict(plinth_settings)
    if "DATABASE_SCHEMA" in settings:
        settings["DATABASE_SCHEMA"] += "_b"
    else:
        settings["DATABASE_URL"] = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    elsewhere = build_tenant(load_config(settings, environ={}))
    try:
        migrate.upgrade(elsewhere.database)
        PackInstaller(elsewhere).install([load_pack(folder), load_pack(custom_folder)])
        PackInstaller(elsewhere).install([find_pack("inspection")])
        original, copy = docs_of(tenant), docs_of(elsewhere)
        assert {k: v[0] for k, v in original.items()} == {k: v[0] for k, v in copy.items()}
        assert copy[("objects", "note")][1] == "my_notes"
        assert _schema(tenant) == _schema(elsewhere)
    finally:
        if "DATABASE_SCHEMA" in settings:
            with elsewhere.database.engine.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{settings["DATABASE_SCHEMA"]}" CASCADE')
                conn.commit()
        elsewhere.dispose()


def _schema(tenant):
    with tenant.database.transaction() as conn:
        inspector = sa.inspect(conn)
        return {
            table: (
                sorted((c["name"], str(c["type"])) for c in inspector.get_columns(table)),
                sorted(i["name"] for i in inspector.get_indexes(table)),
            )
            for table in inspector.get_table_names()
            if table.startswith("obj_")
        }


def test_bad_manifests_and_files_are_reported_with_their_path(tmp_path):
    folder = tmp_path / "broken"
    (folder / "metadata" / "widgets").mkdir(parents=True)
    (folder / "metadata" / "widgets" / "x.yaml").write_text("name: x\n")
    (folder / "pack.yaml").write_text(
        "name: broken\nversion: one\nmetadata: ['metadata/*/*.yaml']\n"
    )
    with pytest.raises(ValidationError, match="version"):
        load_pack(folder)
    (folder / "pack.yaml").write_text(
        "name: broken\nversion: 1.0.0\nmetadata: ['metadata/*/*.yaml']\n"
    )
    with pytest.raises(ValidationError, match="folder named after its kind"):
        load_pack(folder)
    (folder / "metadata" / "widgets" / "x.yaml").unlink()
    (folder / "metadata" / "objects").mkdir()
    (folder / "metadata" / "objects" / "y.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ValidationError, match="invalid YAML at line"):
        load_pack(folder)
    with pytest.raises(ValidationError, match="not a pack"):
        load_pack(tmp_path)
    with pytest.raises(NotFound, match="registered"):
        find_pack("no_such_pack")

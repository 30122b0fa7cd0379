"""The record service on SQLite and PostgreSQL: CRUD, integrity, locking, history, hooks."""

import datetime as dt
import decimal

import pytest
import sqlalchemy as sa

from plinth.auth.actor import SYSTEM, Actor
from plinth.errors import Conflict, NotFound, StaleVersion, ValidationError
from plinth.runtime import system_tables as st
from tests.docs import ASSET, EVERYTHING, PNG_DATA_URL, SITE, doc

OTHER_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8Dw"
    "HwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def objects(publish):
    publish(doc(SITE), doc(ASSET), doc(EVERYTHING))


def count_rows(tenant, table):
    with tenant.database.transaction() as conn:
        return conn.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))


def test_create_fills_defaults_system_columns_and_autonumber(objects, records):
    site = records("create", "site", {"name": "Main"})
    asset = records("create", "asset", {"serial": "SN-1", "site": site["id"]})
    assert asset["grade"] == "a"
    assert asset["number"] == "AS-00001"
    assert asset["version"] == 1 and asset["owner_id"] is None
    assert asset["created_at"].tzinfo is not None and asset["created_at"] == asset["updated_at"]
    second = records("create", "asset", {"serial": "SN-2"})
    assert second["number"] == "AS-00002"
    assert records("get", "asset", asset["id"]) == asset


def test_every_field_type_round_trips_through_the_database(objects, records, tenant):
    site = records("create", "site", {"name": "Main"})
    with tenant.database.transaction(write=True) as conn:
        user_id = conn.execute(
            st.user.insert().returning(st.user.c.id),
            {
                "email": "u@example.com",
                "name": "U",
                "created_at": dt.datetime.now(dt.UTC),
                "updated_at": dt.datetime.now(dt.UTC),
            },
        ).scalar_one()
        files = [
            tenant.files.put(conn, b"hello %d" % i, f"f{i}.txt", "text/plain", None)["id"]
            for i in range(3)
        ]
    values = {
        "a_text": "Hello",
        "a_textarea": "多行\n文本",
        "an_integer": 42,
        "a_decimal": "1234.567",
        "a_currency": "19.90",
        "a_percent": 12.5,
        "a_boolean": True,
        "a_date": "2026-02-28",
        "a_datetime": "2026-11-24T09:30:00+08:00",
        "a_time": "08:15:30",
        "a_duration": "2h",
        "an_email": "x@Example.com",
        "a_phone": "+86 21 5555 0101",
        "a_url": "https://example.com",
        "a_select": "blue",
        "a_multiselect": ["red", "green"],
        "a_lookup": site["id"],
        "a_user": user_id,
        "a_geo": {"lat": 31.2304, "lng": 121.4737},
        "a_signature": {"image": PNG_DATA_URL, "signer": "Wang Fang"},
        "an_attachment": files[0],
        "some_attachments": files[1:],
        "a_json": {"items": [1, "two", None]},
    }
    created = records("create", "everything", values)
    fetched = records("get", "everything", created["id"])
    assert fetched == created
    assert fetched["a_decimal"] == decimal.Decimal("1234.567")
    assert fetched["a_currency"] == decimal.Decimal("19.90")
    assert fetched["a_datetime"] == dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.UTC)
    assert fetched["a_time"] == dt.time(8, 15, 30)
    assert fetched["a_duration"] == 120
    assert fetched["an_email"] == "x@example.com"
    assert fetched["a_multiselect"] == ["red", "green"]
    assert fetched["a_geo"] == {"lat": 31.2304, "lng": 121.4737}
    assert fetched["a_signature"]["signer"] == "Wang Fang"
    assert len(fetched["a_signature"]["sha256"]) == 64
    assert fetched["an_autonumber"].startswith("EV-") and fetched["an_autonumber"].endswith("0001")
    assert fetched["a_formula"] == 84  # a stored formula: an_integer * 2
    assert fetched["some_attachments"] == files[1:]
    empty = records("create", "everything", {})
    assert (
        empty["a_multiselect"] == [] and empty["some_attachments"] == [] and empty["a_geo"] is None
    )


def test_invalid_input_reports_every_field_and_writes_nothing(objects, records, tenant):
    with pytest.raises(ValidationError) as error:
        records(
            "create",
            "asset",
            {"qty": 5000, "grade": "z", "colour": "red", "number": "X", "version": 3, "site": 999},
        )
    assert set(error.value.errors) == {"qty", "grade", "colour", "number", "version"}
    assert error.value.errors["colour"] == ["unknown field"]
    assert error.value.errors["number"] == ["is read-only (autonumber)"]
    assert error.value.errors["version"] == ["is set by the system"]
    with pytest.raises(ValidationError) as error:
        records("create", "asset", {"site": 999})
    assert error.value.errors == {"serial": ["is required"]}
    with pytest.raises(ValidationError) as error:
        records("create", "asset", {"serial": "S", "site": 999})
    assert error.value.errors == {"site": ["no site with id 999"]}
    assert count_rows(tenant, "obj_asset") == 0
    with pytest.raises(ValidationError, match="_body"):
        records("create", "asset", ["not", "a", "mapping"])


def test_unique_values_are_enforced(objects, records):
    records("create", "asset", {"serial": "SN-1"})
    with pytest.raises(ValidationError) as error:
        records("create", "asset", {"serial": "SN-1"})
    assert error.value.errors == {"serial": ["must be unique: another record has this value"]}
    other = records("create", "asset", {"serial": "SN-2"})
    with pytest.raises(ValidationError):
        records("update", "asset", other["id"], {"serial": "SN-1"})
    assert records("update", "asset", other["id"], {"serial": "SN-2"})["version"] == 1


def test_read_only_fields_are_for_trusted_callers(publish, records):
    thing = {"name": "thing", "fields": [{"name": "closed_by", "type": "text", "read_only": True}]}
    publish(thing)
    user = Actor(id=None, label="someone", roles=frozenset({"admin"}))
    with pytest.raises(ValidationError, match="read-only"):
        records("create", "thing", {"closed_by": "me"}, actor=user)
    assert (
        records("create", "thing", {"closed_by": "system"}, actor=SYSTEM)["closed_by"] == "system"
    )


def test_optimistic_locking(objects, records):
    asset = records("create", "asset", {"serial": "SN-1"})
    updated = records("update", "asset", asset["id"], {"qty": 3}, expected_version=1)
    assert updated["version"] == 2 and updated["qty"] == 3
    with pytest.raises(StaleVersion) as error:
        records("update", "asset", asset["id"], {"qty": 4}, expected_version=1)
    assert error.value.status == 412 and error.value.extra["current_version"] == 2
    with pytest.raises(StaleVersion):
        records("delete", "asset", asset["id"], expected_version=1)
    unchanged = records("update", "asset", asset["id"], {"qty": 3})
    assert unchanged["version"] == 2  # nothing changed: no new version
    records("delete", "asset", asset["id"], expected_version=2)
    with pytest.raises(NotFound):
        records("get", "asset", asset["id"])


def test_history_records_who_changed_what(objects, records):
    asset = records("create", "asset", {"serial": "SN-1", "qty": 1})
    records("update", "asset", asset["id"], {"qty": 2, "grade": "b"})
    records("update", "asset", asset["id"], {"qty": 3})
    history = records("history", "asset", asset["id"])
    assert [(h["action"], h["field"], h["old"], h["new"]) for h in history] == [
        ("update", "qty", 2, 3),
        ("update", "qty", 1, 2),
        ("update", "grade", "a", "b"),
        ("create", None, None, history[-1]["new"]),
    ]
    assert history[-1]["new"]["serial"] == "SN-1"
    assert [h["version"] for h in history] == [3, 2, 2, 1]


def test_the_latest_change_stamp_grows_with_every_change_of_the_objects_asked(
    objects, records, tenant
):
    from plinth.toolkit import latest_change

    def stamp(*names):
        with tenant.session(SYSTEM, write=False) as s:
            return latest_change(s, names)

    assert stamp("asset") == 0
    asset = records("create", "asset", {"serial": "SN-1", "qty": 1})
    created = stamp("asset")
    assert created > 0 and stamp("site") == 0
    records("update", "asset", asset["id"], {"qty": 2})
    updated = stamp("asset", "site")
    assert updated > created
    records("create", "site", {"name": "Main"})  # the test site keeps no history
    assert stamp("asset") == updated and stamp("site") == 0
    records("create", "asset", {"serial": "SN-2"})
    assert stamp("asset", "site") > updated


def test_on_delete_restrict_set_null_and_cascade(publish, records, tenant):
    parent = {"name": "parent", "fields": [{"name": "name", "type": "text"}]}
    kid = {
        "name": "kid",
        "track_history": True,
        "fields": [
            {"name": "strict", "type": "lookup", "target": "parent", "on_delete": "restrict"},
            {"name": "loose", "type": "lookup", "target": "parent", "on_delete": "set_null"},
        ],
    }
    pet = {
        "name": "pet",
        "fields": [{"name": "owner", "type": "lookup", "target": "kid", "on_delete": "cascade"}],
    }
    publish(parent, kid, pet)
    p1 = records("create", "parent", {"name": "one"})
    p2 = records("create", "parent", {"name": "two"})
    k = records("create", "kid", {"strict": p1["id"], "loose": p2["id"]})
    records("create", "pet", {"owner": k["id"]})
    with pytest.raises(Conflict, match="1 kid record"):
        records("delete", "parent", p1["id"])
    records("delete", "parent", p2["id"])
    after = records("get", "kid", k["id"])
    assert after["loose"] is None and after["version"] == 2
    assert records("history", "kid", k["id"])[0]["field"] == "loose"
    records("delete", "kid", k["id"])
    assert count_rows(tenant, "obj_pet") == 0
    records("delete", "parent", p1["id"])


def test_signatures_are_immutable_but_can_be_superseded(objects, records, tenant):
    rec = records("create", "everything", {"a_signature": {"image": PNG_DATA_URL, "signer": "A"}})
    first = rec["a_signature"]
    with pytest.raises(ValidationError, match="cannot be edited"):
        records("update", "everything", rec["id"], {"a_signature": {**first, "signer": "B"}})
    with pytest.raises(ValidationError, match="cannot be removed"):
        records("update", "everything", rec["id"], {"a_signature": None})
    same = records("update", "everything", rec["id"], {"a_signature": dict(first)})
    assert same["version"] == 1  # sending the stored value back changes nothing
    superseded = records(
        "update", "everything", rec["id"], {"a_signature": {"image": OTHER_PNG, "signer": "B"}}
    )
    assert superseded["a_signature"]["sha256"] != first["sha256"]
    path = tenant.files.blob_path(first["sha256"])
    assert path.read_bytes().startswith(b"\x89PNG")  # the old image is kept
    again = records("create", "everything", {"a_signature": {"image": PNG_DATA_URL, "signer": "C"}})
    assert again["a_signature"]["sha256"] == first["sha256"]  # content-addressed


def test_hooks_see_and_shape_saves_and_failures_roll_back(objects, tenant, records):
    seen = []

    @tenant.events.on("before_save", objects=["asset"])
    def upper(event):
        event.values["serial"] = event.values["serial"].upper()

    @tenant.events.on("after_save")
    def remember(event):
        seen.append((event.action, event.model.name, sorted(event.changed)))
        if event.values.get("serial") == "BOOM":
            raise RuntimeError("hook failed")

    created = records("create", "asset", {"serial": "abc"})
    assert created["serial"] == "ABC"
    assert seen == [("create", "asset", ["grade", "number", "owner_id", "serial"])]
    with pytest.raises(RuntimeError):
        records("create", "asset", {"serial": "boom"})
    assert count_rows(tenant, "obj_asset") == 1
    with pytest.raises(ValueError, match="unknown event"):
        tenant.events.register("after_lunch", remember)


def test_unknown_objects_and_records(objects, records):
    with pytest.raises(NotFound):
        records("get", "nothing", 1)
    for bad_id in (12345, "abc", -1, None, True):
        with pytest.raises(NotFound):
            records("get", "asset", bad_id)
    with pytest.raises(NotFound):
        records("update", "asset", 12345, {"qty": 1})

"""Permission matrix: roles x scopes x fields, through every read and write path."""

import pytest

from plinth.metadata.publisher import Publisher, Put

CASE = {
    "name": "case_file",
    "title_field": "title",
    "search_fields": ["title", "secret"],
    "track_history": True,
    "fields": [
        {"name": "title", "type": "text", "required": True, "unique": True},
        {"name": "secret", "type": "text"},
        {"name": "cost", "type": "integer"},
        {"name": "notes", "type": "text"},
    ],
}
NOTE = {
    "name": "note",
    "fields": [
        {"name": "text", "type": "text"},
        {"name": "case_file", "type": "lookup", "target": "case_file", "on_delete": "cascade"},
    ],
}
ROLES = [
    {"name": "auditor", "objects": {"case_file": {"read": "all"}, "note": {"read": "all"}}},
    {
        "name": "engineer",
        "objects": {
            "case_file": {
                "read": "team",
                "create": "own",
                "update": "own",
                "delete": "none",
                "fields": {"secret": "none", "cost": "read"},
            },
            "note": {"read": "all", "create": "all"},
        },
    },
    {
        "name": "solo",
        "objects": {
            "case_file": {"read": "own", "create": "own", "update": "own", "delete": "own"}
        },
    },
    {"name": "note_reader", "objects": {"note": {"read": "all"}}},
]


@pytest.fixture
def world(app, as_admin, people):
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish([Put("objects", CASE), Put("objects", NOTE)])
    Publisher(tenant).publish([Put("roles", role) for role in ROLES])
    users = {
        "ann": people("ann", roles=["engineer"], teams=["north"]),
        "ben": people("ben", roles=["engineer"], teams=["north"]),
        "cat": people("cat", roles=["engineer"], teams=["south"]),
        "sol": people("sol", roles=["solo"]),
        "aud": people("aud", roles=["auditor"]),
        "nia": people("nia", roles=["note_reader"]),
        "nob": people("nob"),
    }
    cases = {}
    for owner in ("ann", "ben", "cat", "sol"):
        reply = as_admin.post(
            "/api/v1/records/case_file",
            {
                "title": f"{owner} case",
                "secret": f"{owner} secret",
                "cost": 10,
                "owner_id": users[owner]["id"],
            },
        )
        assert reply.status == 201, reply.json
        cases[owner] = reply.json["id"]
        as_admin.patch(
            f"/api/v1/records/case_file/{cases[owner]}", {"notes": "seen", "secret": "changed"}
        )
        as_admin.post("/api/v1/records/note", {"text": f"about {owner}", "case_file": cases[owner]})
    return users, cases


VISIBLE = {
    "ann": {"ann", "ben"},  # team scope: her team north
    "ben": {"ann", "ben"},
    "cat": {"cat"},
    "sol": {"sol"},
    "aud": {"ann", "ben", "cat", "sol"},
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_reads_show_exactly_the_rows_in_scope(world, as_user, who):
    users, cases = world
    api = as_user(users[who])
    listed = api.get("/api/v1/records/case_file?limit=100").json["data"]
    owners = {name for name, case_id in cases.items() if case_id in {r["id"] for r in listed}}
    assert owners == VISIBLE[who]
    for owner, case_id in cases.items():
        expected = 200 if owner in VISIBLE[who] else 404
        assert api.get(f"/api/v1/records/case_file/{case_id}").status == expected
    engineer = users[who]["roles"] == ["engineer"]
    for record in listed:
        assert ("secret" in record) is (not engineer)  # a hidden field is not in the record
    if engineer:
        for query in ("secret=x", "secret__contains=a", "sort=secret", "fields=secret"):
            reply = api.get(f"/api/v1/records/case_file?{query}")
            assert reply.status == 400, query  # refused, never silently ignored
        assert api.get("/api/v1/records/case_file?q=secret").json["data"] == []  # not searched


def test_users_without_grants_see_nothing(world, as_user):
    users, cases = world
    for who in ("nob", "nia"):
        api = as_user(users[who])
        assert api.get("/api/v1/records/case_file").status == 403
        assert api.get(f"/api/v1/records/case_file/{cases['ann']}").status == 403
        assert api.post("/api/v1/records/case_file", {"title": "x"}).status == 403


def test_expansion_honours_the_target_permissions(world, as_user):
    users, cases = world
    for who, expanded in (
        ("nia", set()),
        ("ann", {"ann", "ben"}),
        ("aud", {"ann", "ben", "cat", "sol"}),
    ):
        notes = (
            as_user(users[who]).get("/api/v1/records/note?expand=case_file&limit=50").json["data"]
        )
        assert len(notes) == 4
        shown = {
            n["case_file"]["title"].split()[0] for n in notes if isinstance(n["case_file"], dict)
        }
        assert shown == expanded
        for note in notes:
            if isinstance(note["case_file"], dict):
                assert ("secret" in note["case_file"]) is (who == "aud")
            else:
                assert isinstance(note["case_file"], int)  # the id stays, nothing more


def test_history_hides_fields_the_reader_may_not_see(world, as_user, as_admin):
    users, cases = world
    admin_history = as_admin.get(f"/api/v1/records/case_file/{cases['ann']}/history").json["data"]
    assert {h["field"] for h in admin_history} == {"notes", "secret", None}
    ann_history = (
        as_user(users["ann"]).get(f"/api/v1/records/case_file/{cases['ann']}/history").json["data"]
    )
    assert {h["field"] for h in ann_history} == {"notes", None}
    created = next(h for h in ann_history if h["action"] == "create")
    assert "secret" not in created["new"] and created["new"]["title"] == "ann case"
    assert (
        as_user(users["cat"]).get(f"/api/v1/records/case_file/{cases['ann']}/history").status == 404
    )


def test_writes_respect_scopes_and_field_access(world, as_user):
    users, cases = world
    ann = as_user(users["ann"])
    own = ann.patch(f"/api/v1/records/case_file/{cases['ann']}", {"notes": "mine"})
    assert own.status == 200 and "secret" not in own.json
    assert ann.patch(f"/api/v1/records/case_file/{cases['ben']}", {"notes": "x"}).status == 404
    assert ann.patch(f"/api/v1/records/case_file/{cases['ann']}", {"cost": 1}).problem[
        "errors"
    ] == {"cost": ["is read-only for you"]}
    assert ann.patch(f"/api/v1/records/case_file/{cases['ann']}", {"secret": "s"}).problem[
        "errors"
    ] == {"secret": ["unknown field"]}
    assert ann.delete(f"/api/v1/records/case_file/{cases['ann']}").status == 403
    created = ann.post("/api/v1/records/case_file", {"title": "new"})
    assert created.status == 201 and created.json["owner_id"] == users["ann"]["id"]
    foreign = ann.post(
        "/api/v1/records/case_file", {"title": "other", "owner_id": users["ben"]["id"]}
    )
    assert foreign.status == 422 and "owner_id" in foreign.problem["errors"]
    sol = as_user(users["sol"])
    assert sol.delete(f"/api/v1/records/case_file/{cases['sol']}").status == 204
    assert sol.delete(f"/api/v1/records/case_file/{cases['ann']}").status == 404


def test_bulk_obeys_the_same_rules(world, as_user):
    users, cases = world
    ann = as_user(users["ann"])
    hidden = ann.post(
        "/api/v1/records/case_file/bulk", {"records": [{"title": "b1", "secret": "s"}]}
    )
    assert hidden.status == 422 and hidden.problem["errors"] == {
        "records/0/secret": ["unknown field"]
    }
    upsert = ann.post(
        "/api/v1/records/case_file/bulk",
        {
            "mode": "upsert",
            "external_id": "title",
            "records": [{"title": "ann case", "notes": "bulk"}],
        },
    )
    assert upsert.status == 200 and upsert.json["data"][0]["status"] == "updated"
    # cat cannot see ann's case: for her the upsert is a create, and the title is taken.
    clash = as_user(users["cat"]).post(
        "/api/v1/records/case_file/bulk",
        {
            "mode": "upsert",
            "external_id": "title",
            "records": [{"title": "ann case", "notes": "x"}],
        },
    )
    assert clash.status == 422
    assert (
        as_user(users["ann"]).get(f"/api/v1/records/case_file/{cases['ann']}").json["notes"]
        == "bulk"
    )

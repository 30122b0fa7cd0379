"""The Idempotency-Key header: a replay gets the first answer, never a second application."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import sqlalchemy as sa

from plinth.jobs.scheduler import tick
from plinth.metadata.publisher import Publisher, Put
from plinth.runtime import idempotency
from plinth.runtime import system_tables as st
from plinth.testing import Api
from tests.docs import SITE, doc
from tests.workflow.ticket_flow import ROLES, TICKET, WORKFLOW

SITES = "/api/v1/records/site"
KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {KEY: key, **headers}


def tenant_of(app):
    return app.extensions["plinth"].tenant


def key_rows(app) -> list[dict]:
    with tenant_of(app).database.transaction() as conn:
        k = st.idempotency_key
        rows = conn.execute(sa.select(k.c.user_id, k.c.key, k.c.status).order_by(k.c.key))
        return [dict(row._mapping) for row in rows]


def site_count(as_admin: Api) -> int:
    return len(as_admin.get(SITES).json["data"])


@pytest.fixture
def sites(app):
    Publisher(tenant_of(app)).publish([Put("objects", doc(SITE))])


def test_a_replay_returns_the_first_answer_and_creates_one_record(sites, as_admin, admin, app):
    first = as_admin.post(SITES, json={"name": "Depot"}, headers=keyed("create-depot-1"))
    assert first.status == 201 and REPLAYED not in first.headers
    again = as_admin.post(SITES, json={"name": "Depot"}, headers=keyed("create-depot-1"))
    assert again.status == 201 and again.headers[REPLAYED] == "true"
    assert again.json == first.json
    for header in ("Location", "ETag", "Content-Type"):
        assert again.headers[header] == first.headers[header]
    assert site_count(as_admin) == 1
    assert key_rows(app) == [{"user_id": admin["id"], "key": "create-depot-1", "status": 201}]
    # Without a key, the same body is another request.
    assert as_admin.post(SITES, json={"name": "Depot"}).status == 201
    assert site_count(as_admin) == 2


def test_the_same_key_for_another_request_is_refused(sites, as_admin):
    assert as_admin.post(SITES, json={"name": "A"}, headers=keyed("k")).status == 201
    other_body = as_admin.post(SITES, json={"name": "B"}, headers=keyed("k"))
    assert other_body.status == 422
    problem = other_body.problem
    assert KEY in problem["errors"] and KEY in problem["detail"]
    assert "another request" in problem["errors"][KEY][0]
    created = as_admin.get(SITES).json["data"][0]
    other_path = as_admin.patch(f"{SITES}/{created['id']}", json={"name": "A"}, headers=keyed("k"))
    assert other_path.status == 422 and KEY in other_path.problem["errors"]
    other_query = as_admin.post(SITES + "?x=1", json={"name": "A"}, headers=keyed("k"))
    assert other_query.status == 422
    assert [s["name"] for s in as_admin.get(SITES).json["data"]] == ["A"]


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "tab\there", "caf\u00e9", "new\x7fline"],
    ids=["empty", "too-long", "tab", "non-ascii", "delete-char"],
)
def test_malformed_keys_answer_400_naming_the_header(sites, as_admin, key):
    refused = as_admin.post(SITES, json={"name": "A"}, headers=keyed(key))
    assert refused.status == 400
    assert "printable ASCII" in refused.problem["errors"][KEY][0]
    assert site_count(as_admin) == 0


def test_keys_of_every_printable_ascii_character_and_full_length_are_taken(sites, as_admin):
    for key in ("x" * 255, "".join(chr(c) for c in range(0x21, 0x7F)), "a b"):
        assert as_admin.post(SITES, json={"name": key[:50]}, headers=keyed(key)).status == 201
        replay = as_admin.post(SITES, json={"name": key[:50]}, headers=keyed(key))
        assert replay.status == 201 and replay.headers[REPLAYED] == "true"
    assert site_count(as_admin) == 3


def test_safe_requests_ignore_the_header(sites, as_admin):
    assert as_admin.get(SITES, headers=keyed("")).status == 200
    assert as_admin.get(SITES, headers=keyed("k")).status == 200
    assert REPLAYED not in as_admin.get(SITES, headers=keyed("k")).headers


def test_a_failed_request_releases_its_key(sites, as_admin, app):
    failed = as_admin.post(SITES, json={"city": "Hangzhou"}, headers=keyed("retry-me"))
    assert failed.status == 422 and "name" in failed.problem["errors"]
    assert key_rows(app) == []  # rolled back with the request
    fixed = as_admin.post(SITES, json={"name": "Depot"}, headers=keyed("retry-me"))
    assert fixed.status == 201 and REPLAYED not in fixed.headers
    replay = as_admin.post(SITES, json={"name": "Depot"}, headers=keyed("retry-me"))
    assert replay.status == 201 and replay.headers[REPLAYED] == "true"
    assert replay.json["id"] == fixed.json["id"]
    assert site_count(as_admin) == 1


def test_a_key_applied_without_a_stored_answer_is_never_applied_again(sites, as_admin, admin, app):
    body = b'{"name": "Depot"}'
    print_ = idempotency.fingerprint("POST", SITES, b"", body)
    with tenant_of(app).database.transaction(write=True) as conn:
        now = dt.datetime.now(dt.UTC)
        assert idempotency.claim(conn, admin["id"], "lost", print_, now) is None
    refused = as_admin.request(
        "POST", SITES, data=body, content_type="application/json", headers=keyed("lost")
    )
    assert refused.status == 409
    assert KEY in refused.problem["detail"] and "already applied" in refused.problem["detail"]
    assert site_count(as_admin) == 0
    # Another body with that key is still another request.
    other = as_admin.post(SITES, json={"name": "Other"}, headers=keyed("lost"))
    assert other.status == 422


@pytest.fixture
def tickets(app):
    Publisher(tenant_of(app)).publish(
        [
            Put("objects", TICKET),
            *(Put(kind, document) for kind, document in ROLES),
            Put("workflows", WORKFLOW),
        ]
    )


def test_a_replayed_transition_applies_once(tickets, as_admin):
    ticket = as_admin.post("/api/v1/records/ticket", json={"title": "printer"}).json
    url = f"/api/v1/records/ticket/{ticket['id']}"
    assert as_admin.post(f"{url}/transitions/start").status == 200
    note = {"comment": "called the customer"}
    first = as_admin.post(f"{url}/transitions/note", json=note, headers=keyed("note-1"))
    assert first.status == 200 and first.headers["ETag"] == '"3"'
    again = as_admin.post(f"{url}/transitions/note", json=note, headers=keyed("note-1"))
    assert again.status == 200 and again.headers[REPLAYED] == "true"
    assert again.json == first.json and again.headers["ETag"] == '"3"'
    timeline = as_admin.get(f"{url}/timeline").json["data"]
    assert [e["transition"] for e in timeline] == [None, "start", "note"]
    assert as_admin.get(url).json["version"] == 3


def test_a_replayed_delete_answers_as_the_first_did(sites, as_admin):
    site = as_admin.post(SITES, json={"name": "Old depot"}).json
    url = f"{SITES}/{site['id']}"
    first = as_admin.delete(url, headers=keyed("drop-old-depot"))
    assert first.status == 204
    again = as_admin.delete(url, headers=keyed("drop-old-depot"))
    assert again.status == 204 and again.headers[REPLAYED] == "true"
    assert as_admin.delete(url).status == 404  # without the key: the record is gone


def test_keys_are_kept_per_user(sites, as_admin, people, as_user, admin, app):
    other = people("olga", roles=["admin"])
    body = {"name": "Depot"}
    mine = as_admin.post(SITES, json=body, headers=keyed("shared-key"))
    theirs = as_user(other).post(SITES, json=body, headers=keyed("shared-key"))
    assert mine.status == theirs.status == 201
    assert REPLAYED not in theirs.headers and theirs.json["id"] != mine.json["id"]
    assert site_count(as_admin) == 2
    assert {(r["user_id"], r["key"]) for r in key_rows(app)} == {
        (admin["id"], "shared-key"),
        (other["id"], "shared-key"),
    }


def test_concurrent_duplicates_apply_once(sites, app, admin, as_admin):
    """Eight clients send the same request with the same key at once: one applies it; the
    others wait for it and then get its answer (or 409 while it is being stored)."""
    start = threading.Barrier(8)
    answers: list[tuple[int, str | None, dict]] = []
    lock = threading.Lock()

    def send() -> None:
        api = Api(app.test_client(), admin["token"])
        start.wait()
        reply = api.post(SITES, json={"name": "Depot"}, headers=keyed("race"))
        with lock:
            answers.append((reply.status, reply.headers.get(REPLAYED), reply.json))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert site_count(as_admin) == 1
    applied = [a for a in answers if a[0] == 201 and a[1] is None]
    assert len(applied) == 1, answers
    for status, replayed, body in answers:
        assert (status, replayed) in {(201, None), (201, "true"), (409, None)}, body
        if status == 201:
            assert body["id"] == applied[0][2]["id"]
    # Once the first answer is stored, every retry gets it.
    again = as_admin.post(SITES, json={"name": "Depot"}, headers=keyed("race"))
    assert again.status == 201 and again.json["id"] == applied[0][2]["id"]


def test_metadata_writes_hold_the_key_in_their_own_transaction(as_admin, app):
    """The publisher works in a transaction of its own: the key is claimed before it and
    released when it fails."""
    document = doc(SITE)
    created = as_admin.post("/api/v1/metadata/objects", json=document, headers=keyed("m1"))
    assert created.status == 201
    replay = as_admin.post("/api/v1/metadata/objects", json=document, headers=keyed("m1"))
    assert replay.status == 201 and replay.headers[REPLAYED] == "true"
    assert replay.headers["Location"] == created.headers["Location"]
    # Without the key the second POST is refused: the object exists.
    assert as_admin.post("/api/v1/metadata/objects", json=document).status == 409
    broken = {"name": "depot", "fields": [{"name": "x", "type": "no_such_type"}]}
    failed = as_admin.post("/api/v1/metadata/objects", json=broken, headers=keyed("m2"))
    assert failed.status == 422
    assert [r["key"] for r in key_rows(app)] == ["m1"]  # m2 was released
    fixed = {"name": "depot", "fields": [{"name": "x", "type": "text"}]}
    assert as_admin.post("/api/v1/metadata/objects", json=fixed, headers=keyed("m2")).status == 201


def test_a_raw_upload_with_a_key_is_read_whole_and_replayed(as_admin):
    def upload():
        return as_admin.request(
            "POST",
            "/api/v1/files?filename=notes.txt",
            data=b"plain notes",
            content_type="text/plain",
            headers=keyed("upload-1"),
        )

    first, again = upload(), upload()
    assert first.status == 201 and first.json["size"] == len(b"plain notes")
    assert again.status == 201 and again.headers[REPLAYED] == "true"
    assert again.json["id"] == first.json["id"]


def test_anonymous_callers_are_not_kept(admin, anonymous, app):
    """Without a login there is no user to keep a key for: the header has no effect."""
    body = {"email": "admin@example.com", "password": "correct horse battery"}
    first = anonymous.post("/api/v1/auth/token", json=body, headers=keyed("anon"))
    again = anonymous.post("/api/v1/auth/token", json=body, headers=keyed("anon"))
    assert first.status == again.status == 201
    assert REPLAYED not in again.headers and again.json["token"] != first.json["token"]
    assert key_rows(app) == []


def test_the_scheduler_tick_forgets_expired_keys(sites, as_admin, app):
    tenant = tenant_of(app)
    assert as_admin.post(SITES, json={"name": "Depot"}, headers=keyed("old")).status == 201
    now = tenant.clock()
    assert tick(tenant, now)["expired_keys"] == 0
    later = now + idempotency.RETENTION + dt.timedelta(minutes=1)
    assert tick(tenant, later)["expired_keys"] == 1
    assert key_rows(app) == []


def test_the_openapi_document_offers_the_header_on_unsafe_operations(sites, as_admin):
    document = as_admin.get("/api/v1/openapi.json").json
    header = {"$ref": "#/components/parameters/IdempotencyKey"}
    assert document["components"]["parameters"]["IdempotencyKey"]["name"] == KEY
    site_paths = document["paths"][SITES]
    assert header in site_paths["post"]["parameters"]
    assert header not in site_paths["get"].get("parameters", [])
    record = document["paths"][SITES + "/{id}"]
    assert header in record["patch"]["parameters"] and header in record["delete"]["parameters"]
    assert header in document["paths"]["/api/v1/users"]["post"]["parameters"]
    # each operation lists it once, however often the document is built
    document = as_admin.get("/api/v1/openapi.json").json
    assert document["paths"][SITES]["post"]["parameters"].count(header) == 1
    assert json.dumps(document)  # plain JSON

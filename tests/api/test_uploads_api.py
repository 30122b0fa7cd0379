"""Resumable uploads: a file declared, sent in chunks from the server's offset, resumed
after a wrong offset, checked against its sha256 and type, private to its user, expired
when left, and a file like POST /files makes once complete."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random

import pytest

from plinth.jobs.scheduler import tick
from plinth.metadata.publisher import Publisher, Put
from plinth.runtime import uploads
from tests.docs import PNG_DATA_URL

PNG = base64.b64decode(PNG_DATA_URL.split(",", 1)[1])
# A PNG's signature and header, then bytes: enough for several chunks (the type check
# reads the first bytes only).
PHOTO = PNG + random.Random(19).randbytes(2500)
CHUNK = 1000
UPLOADS = "/api/v1/uploads"


def start(api, data: bytes = PHOTO, **extra):
    body = {"filename": "unit.png", "content_type": "image/png", "size": len(data), **extra}
    return api.post(UPLOADS, json=body)


def send(api, url: str, offset: int, chunk: bytes, **headers):
    return api.request(
        "PATCH",
        url,
        data=chunk,
        content_type="application/offset+octet-stream",
        headers={"Upload-Offset": str(offset), **headers},
    )


def send_all(api, url: str, data: bytes = PHOTO, start_at: int = 0):
    reply = None
    for offset in range(start_at, len(data), CHUNK):
        reply = send(api, url, offset, data[offset : offset + CHUNK])
        assert reply.status == 200, reply.json
    return reply


def part_of(app, upload_id: str):
    return uploads.part_path(app.extensions["plinth"].tenant.files, upload_id)


def test_an_upload_sent_in_chunks_becomes_a_file_to_attach(app, as_admin, people, as_user):
    tenant = app.extensions["plinth"].tenant
    report = {
        "name": "report",
        "fields": [{"name": "photos", "type": "attachment", "multiple": True}],
    }
    grant = {"read": "own", "create": "all", "update": "own"}
    Publisher(tenant).publish(
        [Put("objects", report), Put("roles", {"name": "reporter", "objects": {"report": grant}})]
    )
    ann = as_user(people("ann", roles=["reporter"]))
    created = start(ann, sha256=hashlib.sha256(PHOTO).hexdigest().upper())
    assert created.status == 201, created.json
    upload = created.json
    assert upload["offset"] == 0 and upload["size"] == len(PHOTO) and upload["file"] is None
    assert upload["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert created.headers["Location"] == upload["url"] == f"{UPLOADS}/{upload['id']}"
    assert created.headers["Upload-Offset"] == "0"

    first = send(ann, upload["url"], 0, PHOTO[:CHUNK])
    assert first.status == 200 and first.json["offset"] == CHUNK and first.json["file"] is None
    assert first.headers["Upload-Offset"] == str(CHUNK)
    shown = ann.get(upload["url"])
    assert shown.status == 200 and shown.json["offset"] == CHUNK
    assert shown.headers["Cache-Control"] == "no-store"
    head = ann.client.head(upload["url"], headers={"Authorization": f"Bearer {ann.token}"})
    assert head.status_code == 200 and head.headers["Upload-Offset"] == str(CHUNK)
    assert head.headers["Upload-Length"] == str(len(PHOTO)) and head.data == b""

    last = send_all(ann, upload["url"], start_at=CHUNK)
    done = last.json
    assert done["offset"] == len(PHOTO)
    file = done["file"]
    assert file["size"] == len(PHOTO) and file["content_type"] == "image/png"
    assert file["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    assert file["url"] == f"/api/v1/files/{file['id']}" and file["filename"] == "unit.png"
    plain = as_admin.request(
        "POST", "/api/v1/files?filename=n.txt", data=b"notes", content_type="text/plain"
    )
    assert set(file) == set(plain.json)  # the answer POST /files gives
    assert not part_of(app, upload["id"]).exists()  # the part file became the file
    got = ann.client.get(file["url"], headers={"Authorization": f"Bearer {ann.token}"})
    assert got.status_code == 200 and got.data == PHOTO and got.mimetype == "image/png"
    # Asking again (a lost answer) tells the same file; nothing more is accepted.
    assert ann.get(upload["url"]).json["file"] == file
    assert send(ann, upload["url"], 0, PHOTO[:CHUNK]).status == 409

    record = ann.post("/api/v1/records/report", {"photos": [file["id"]]})
    assert record.status == 201, record.json
    assert record.json["photos"] == [file["id"]]


def test_a_chunk_at_a_wrong_offset_is_told_the_servers_offset(as_admin):
    upload = start(as_admin).json
    url = upload["url"]
    assert send(as_admin, url, 0, PHOTO[:CHUNK]).status == 200
    again = send(as_admin, url, 0, PHOTO[:CHUNK])  # its answer was lost: sent again
    assert again.status == 409
    assert again.problem["offset"] == CHUNK and again.headers["Upload-Offset"] == str(CHUNK)
    ahead = send(as_admin, url, 2 * CHUNK, PHOTO[2 * CHUNK : 3 * CHUNK])
    assert ahead.status == 409 and ahead.problem["offset"] == CHUNK
    # With an Idempotency-Key a retry gets the first answer, and the bytes count once.
    keyed = {"Idempotency-Key": "chunk-2"}
    second = send(as_admin, url, CHUNK, PHOTO[CHUNK : 2 * CHUNK], **keyed)
    replayed = send(as_admin, url, CHUNK, PHOTO[CHUNK : 2 * CHUNK], **keyed)
    assert second.status == replayed.status == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json == second.json and second.json["offset"] == 2 * CHUNK
    done = send_all(as_admin, url, start_at=2 * CHUNK).json
    assert done["file"]["sha256"] == hashlib.sha256(PHOTO).hexdigest()


def test_a_declaration_sent_again_with_its_key_is_the_same_upload(as_admin):
    body = {"filename": "unit.png", "size": len(PHOTO)}
    keyed = {"Idempotency-Key": "photo-1:upload:0"}
    first = as_admin.post(UPLOADS, json=body, headers=keyed)
    again = as_admin.post(UPLOADS, json=body, headers=keyed)
    assert first.status == again.status == 201
    assert again.json["id"] == first.json["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert first.json["content_type"] == "image/png"  # from the file name


def test_bytes_that_do_not_match_the_sha256_discard_the_upload(app, as_admin):
    upload = start(as_admin, sha256=hashlib.sha256(b"other bytes").hexdigest()).json
    *offsets, last = range(0, len(PHOTO), CHUNK)
    for offset in offsets:
        assert send(as_admin, upload["url"], offset, PHOTO[offset : offset + CHUNK]).status == 200
    refused = send(as_admin, upload["url"], last, PHOTO[last:])
    assert refused.status == 422
    assert "does not match" in refused.problem["errors"]["sha256"][0]
    assert as_admin.get(upload["url"]).status == 404
    assert not part_of(app, upload["id"]).exists()


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"filename": "x.html", "content_type": "text/html", "size": 10}, 422, "file"),
        ({"filename": "x.png", "size": 0}, 422, "size"),
        ({"filename": "x.png", "size": 10, "sha256": "abc"}, 422, "sha256"),
        ({"filename": "x.png", "size": 10, "colour": "red"}, 422, "colour"),
        ({"filename": "big.png", "size": 4097}, 413, None),
    ],
)
def test_refused_declarations(app, as_admin, body, status, where):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    reply = as_admin.post(UPLOADS, json=body)
    assert reply.status == status, reply.json
    if where:
        assert where in reply.problem["errors"]


def test_refused_chunks(app, as_admin, monkeypatch):
    upload = start(as_admin).json
    url = upload["url"]
    no_offset = as_admin.request(
        "PATCH", url, data=b"x", content_type="application/offset+octet-stream"
    )
    assert no_offset.status == 400 and "Upload-Offset" in no_offset.problem["errors"]
    json_chunk = as_admin.request(
        "PATCH", url, data=b"{}", content_type="application/json", headers={"Upload-Offset": "0"}
    )
    assert json_chunk.status == 415
    monkeypatch.setattr(uploads, "CHUNK_LIMIT", 600)
    assert send(as_admin, url, 0, PHOTO[:601]).status == 413
    small = start(as_admin, PHOTO[:700]).json
    assert send(as_admin, small["url"], 0, PHOTO[:600]).status == 200
    past = send(as_admin, small["url"], 600, PHOTO[600:800])
    assert past.status == 422 and "past the end" in past.problem["errors"]["_body"][0]
    assert as_admin.get(small["url"]).json["offset"] == 600
    # Bytes that are not what the type says discard the upload.
    fake = start(as_admin, b"not a png" * 100).json
    refused = send(as_admin, fake["url"], 0, (b"not a png" * 100)[:600])
    assert refused.status == 422 and "not a image/png" in refused.problem["errors"]["file"][0]
    assert as_admin.get(fake["url"]).status == 404


def test_another_users_upload_is_not_found(people, as_user, as_admin):
    ann, bob = as_user(people("ann")), as_user(people("bob"))
    upload = start(ann).json
    for other in (bob, as_admin):
        assert other.get(upload["url"]).status == 404
        assert send(other, upload["url"], 0, PHOTO[:CHUNK]).status == 404
        assert other.delete(upload["url"]).status == 404
    assert ann.get(upload["url"]).json["offset"] == 0
    assert ann.get(f"{UPLOADS}/{'0' * 32}").status == 404


def test_a_cancelled_upload_is_gone_with_its_bytes(app, as_admin):
    upload = start(as_admin).json
    assert send(as_admin, upload["url"], 0, PHOTO[:CHUNK]).status == 200
    assert part_of(app, upload["id"]).stat().st_size == CHUNK
    assert as_admin.delete(upload["url"]).status == 204
    assert as_admin.get(upload["url"]).status == 404
    assert not part_of(app, upload["id"]).exists()


def test_unfinished_uploads_are_limited_per_user(as_admin, people, as_user, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_OPEN", 2)
    assert start(as_admin).status == start(as_admin).status == 201
    refused = start(as_admin)
    assert refused.status == 409 and "unfinished uploads" in refused.problem["detail"]
    assert start(as_user(people("ann"))).status == 201  # per user


def test_a_left_upload_expires_and_the_tick_deletes_it(app, as_admin):
    tenant = app.extensions["plinth"].tenant
    upload = start(as_admin).json
    assert send(as_admin, upload["url"], 0, PHOTO[:CHUNK]).status == 200
    part = part_of(app, upload["id"])
    now = tenant.clock()
    assert tick(tenant, now)["expired_uploads"] == 0 and part.exists()
    later = now + uploads.RETENTION + dt.timedelta(minutes=1)
    real_clock = tenant.clock
    tenant.clock = lambda: later
    try:
        assert as_admin.get(upload["url"]).status == 404  # gone for its user at once
        assert tick(tenant, later)["expired_uploads"] == 1
    finally:
        tenant.clock = real_clock
    assert not part.exists()


def test_the_openapi_document_describes_uploads(as_admin):
    paths = as_admin.get("/api/v1/openapi.json").json["paths"]
    item = paths["/api/v1/uploads/{upload_id}"]
    assert set(item) >= {"get", "patch", "delete"}
    names = [p.get("name") for p in item["patch"]["parameters"]]
    assert "Upload-Offset" in names and "409" in item["patch"]["responses"]
    assert "application/offset+octet-stream" in item["patch"]["requestBody"]["content"]
    assert paths["/api/v1/uploads"]["post"]["responses"]["201"]

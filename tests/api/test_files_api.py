"""Uploads and downloads: type and size limits, content addressing, who may read."""

import base64
import io

import pytest

from plinth.metadata.publisher import Publisher, Put
from tests.docs import PNG_DATA_URL

PNG = base64.b64decode(PNG_DATA_URL.split(",", 1)[1])


def upload(api, data: bytes, filename: str, content_type: str):
    return api.request(
        "POST",
        "/api/v1/files",
        data={"file": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


def test_upload_and_download(as_admin, client, admin):
    reply = upload(as_admin, PNG, "dot.png", "image/png")
    assert reply.status == 201 and reply.json["size"] == len(PNG)
    assert reply.headers["Location"] == reply.json["url"]
    again = upload(as_admin, PNG, "same.png", "image/png")
    assert again.json["sha256"] == reply.json["sha256"] and again.json["id"] != reply.json["id"]
    got = client.get(reply.json["url"], headers={"Authorization": f"Bearer {admin['token']}"})
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    raw = as_admin.request(
        "POST", "/api/v1/files?filename=notes.txt", data=b"plain notes", content_type="text/plain"
    )
    assert raw.status == 201 and raw.json["content_type"] == "text/plain"


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "x.html", "text/html", "not accepted"),
        (b"<svg onload=alert(1)>", "x.txt", "text/plain", "HTML, SVG"),
        (b"MZ\x90\x00", "x.exe", "application/x-msdownload", "not accepted"),
        (b"not a png at all", "fake.png", "image/png", "not a image/png"),
        (b"", "empty.txt", "text/plain", "empty"),
    ],
)
def test_refused_uploads(as_admin, data, filename, content_type, message):
    reply = upload(as_admin, data, filename, content_type)
    assert reply.status == 422 and message in reply.problem["errors"]["file"][0]


def test_upload_size_limit(app, as_admin):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    reply = upload(as_admin, b"a" * 5000, "big.txt", "text/plain")
    assert reply.status == 413


def test_files_are_private_to_uploader_admins_and_record_readers(app, as_admin, people, as_user):
    tenant = app.extensions["plinth"].tenant
    report = {
        "name": "report",
        "fields": [
            {"name": "scan", "type": "attachment"},
            {"name": "photos", "type": "attachment", "multiple": True},
        ],
    }
    Publisher(tenant).publish(
        [
            Put("objects", report),
            Put("roles", {"name": "report_reader", "objects": {"report": {"read": "all"}}}),
        ]
    )
    ann = people("ann")
    reader = people("rita", roles=["report_reader"])
    mine = upload(as_user(ann), PNG, "mine.png", "image/png").json
    assert as_user(ann).get(mine["url"]).status == 200
    assert as_user(reader).get(mine["url"]).status == 404
    assert as_admin.get(mine["url"]).status == 200
    as_admin.post("/api/v1/records/report", {"photos": [mine["id"]]})
    assert as_user(reader).get(mine["url"]).status == 200  # now held by a record she can read
    assert as_user(people("zed")).get(mine["url"]).status == 404
    assert as_admin.get("/api/v1/files/" + "0" * 32).status == 404


def test_a_file_id_one_may_not_read_cannot_be_attached_to_read_it(app, as_admin, people, as_user):
    tenant = app.extensions["plinth"].tenant
    note = {
        "name": "note",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "scan", "type": "attachment"},
            {"name": "photos", "type": "attachment", "multiple": True},
        ],
    }
    grant = {"read": "all", "create": "all", "update": "all"}
    Publisher(tenant).publish(
        [Put("objects", note), Put("roles", {"name": "writer", "objects": {"note": grant}})]
    )
    ann, mallory = people("ann"), people("mallory", roles=["writer"])
    secret = upload(as_user(ann), PNG, "payslip.png", "image/png").json
    thief = as_user(mallory)
    assert thief.get(secret["url"]).status == 404
    for values in ({"scan": secret["id"]}, {"photos": [secret["id"]]}):
        refused = thief.post("/api/v1/records/note", values)
        field = next(iter(values))
        assert refused.status == 422 and "no file" in refused.problem["errors"][field][0]
    own = upload(thief, PNG, "own.png", "image/png").json
    created = thief.post("/api/v1/records/note", {"photos": [own["id"]]})
    assert created.status == 201
    record = f"/api/v1/records/note/{created.json['id']}"
    sneaked = thief.patch(record, {"photos": [own["id"], secret["id"]]})
    assert sneaked.status == 422
    assert thief.get(secret["url"]).status == 404
    # A file already on a record stays when someone else edits the record.
    shared = as_admin.post("/api/v1/records/note", {"scan": secret["id"]}).json
    edited = thief.patch(f"/api/v1/records/note/{shared['id']}", {"title": "seen"})
    assert edited.status == 200
    kept = thief.patch(
        f"/api/v1/records/note/{shared['id']}", {"scan": secret["id"], "photos": [own["id"]]}
    )
    assert kept.status == 200

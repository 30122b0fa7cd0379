"""Signatures over HTTP: the image and the pen strokes, stored immutably, read back."""

import hashlib
import json

import pytest

from plinth.metadata.publisher import Publisher, Put
from tests.docs import PNG_DATA_URL

RECEIPT = {
    "name": "receipt",
    "fields": [{"name": "title", "type": "text"}, {"name": "signature", "type": "signature"}],
}
STROKES = [[[12.5, 30, 0], [40, 60.3, 16], [80, 90, 33]], [[100, 20, 400], [120, 40, 420]]]


@pytest.fixture
def receipts(app):
    tenant = app.extensions["plinth"].tenant
    grant = {"read": "all", "create": "all", "update": "all"}
    Publisher(tenant).publish(
        [
            Put("objects", RECEIPT),
            Put("roles", {"name": "clerk", "objects": {"receipt": grant}}),
            Put("roles", {"name": "auditor", "objects": {"receipt": {"read": "all"}}}),
        ]
    )


def signature(**extra):
    return {"image": PNG_DATA_URL, "signer": "Carl", "signed_at": "2026-12-01T09:30:00Z", **extra}


def test_a_signature_with_strokes_round_trips(receipts, people, as_user):
    clerk = as_user(people("clara", roles=["clerk"]))
    value = signature(strokes=STROKES, width=390, height=180)
    created = clerk.post("/api/v1/records/receipt", {"title": "visit", "signature": value})
    assert created.status == 201, created.json
    stored = created.json["signature"]
    assert stored["signer"] == "Carl" and stored["signed_at"] == "2026-12-01T09:30:00Z"
    assert set(stored["strokes"]) == {"file", "sha256", "count", "points"}
    assert (stored["strokes"]["count"], stored["strokes"]["points"]) == (2, 5)
    url = f"/api/v1/records/receipt/{created.json['id']}"
    assert clerk.get(url).json["signature"] == stored

    # The strokes are a file of their own, readable by whoever may read the record.
    auditor = as_user(people("audrey", roles=["auditor"]))
    download = auditor.client.get(
        f"/api/v1/files/{stored['strokes']['file']}",
        headers={"Authorization": f"Bearer {auditor.token}"},
    )
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert hashlib.sha256(download.data).hexdigest() == stored["strokes"]["sha256"]
    assert json.loads(download.data) == {"width": 390, "height": 180, "strokes": STROKES}
    stranger = as_user(people("sam"))
    assert stranger.get(f"/api/v1/files/{stored['strokes']['file']}").status == 404

    # Sent back as stored it changes nothing; edited, it is refused.
    same = clerk.patch(url, {"signature": stored})
    assert same.status == 200 and same.json["version"] == 1
    edited = {**stored, "strokes": {**stored["strokes"], "points": 1}}
    refused = clerk.patch(url, {"signature": edited})
    assert refused.status == 422 and "cannot be edited" in refused.problem["errors"]["signature"][0]
    # A signature without strokes is still a signature.
    plain = clerk.patch(url, {"signature": signature()})
    assert plain.status == 200 and "strokes" not in plain.json["signature"]


def test_bad_strokes_are_refused_naming_the_point(receipts, as_admin):
    value = signature(strokes=[[[1, 2]], [[5, 300]]], width=390, height=180)
    refused = as_admin.post("/api/v1/records/receipt", {"signature": value})
    assert refused.status == 422
    assert refused.problem["errors"] == {
        "signature": ["strokes[1][0]: y must be between 0 and 180"]
    }
    no_size = as_admin.post("/api/v1/records/receipt", {"signature": signature(strokes=STROKES)})
    assert no_size.status == 422
    assert "pad's width" in no_size.problem["errors"]["signature"][0]


def test_the_document_describes_signature_strokes(receipts, as_admin):
    schemas = as_admin.get("/api/v1/openapi.json").json["components"]["schemas"]
    sent = schemas["receipt_input"]["properties"]["signature"]["properties"]
    assert {"strokes", "width", "height"} <= set(sent)
    assert sent["strokes"]["maxItems"] == 500
    assert sent["strokes"]["items"]["items"]["maxItems"] == 3
    stored = schemas["receipt"]["properties"]["signature"]["properties"]["strokes"]
    assert stored["readOnly"] is True and set(stored["properties"]) == {
        "file",
        "sha256",
        "count",
        "points",
    }

"""Settlements: gathering expense lines by party and period, confirming, paying, freezing."""

from __future__ import annotations

import pytest

from plinth.errors import ValidationError

MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31"}


def transition(api, record_id, name, **body):
    return api.post(f"/api/v1/records/settlement/{record_id}/transitions/{name}", json=body)


@pytest.fixture
def books(city, people, as_user):
    """Ann's and Bob's expenses in and around March; Bob works for a provider."""
    ids = city.ids
    manager = as_user(people("sam", roles=["service_manager"]))
    provider = city.create("service_provider", {"name": "CoolFix Ltd"})["id"]
    with city.app_tenant.session() as s:
        s.records.update("service_resource", ids["bob_resource"], {"provider": provider})

    def expense(resource: str, spent_on: str, quantity, unit_price, kind="labour") -> int:
        values = {
            "resource": ids[f"{resource}_resource"],
            "kind": kind,
            "quantity": quantity,
            "unit_price": unit_price,
            "spent_on": spent_on,
        }
        return city.create("expense", values)["id"]

    lines = {
        "ann_travel": expense("ann", "2026-03-01", 2, "15.50", "travel"),  # 31.00
        "ann_labour": expense("ann", "2026-03-31", "1.5", 120),  # 180.00
        "ann_april": expense("ann", "2026-04-01", 1, 99),
        "ann_february": expense("ann", "2026-02-28", 1, 77),
        "bob_labour": expense("bob", "2026-03-10", 3, 120),  # 360.00
        "bob_parts": expense("bob", "2026-03-11", 2, "25.25", "parts"),  # 50.50
    }
    return manager, provider, lines, expense


def lines_of(api, settlement_id: int) -> set[int]:
    reply = api.get(f"/api/v1/records/expense?settlement={settlement_id}&limit=100")
    assert reply.status == 200, reply.json
    return {e["id"] for e in reply.json["data"]}


def test_a_resource_settlement_gathers_only_that_resources_period(city, books):
    manager, _, lines, _ = books
    made = manager.post(
        "/api/v1/records/settlement", json={"resource": city.ids["ann_resource"], **MARCH}
    )
    assert made.status == 201, made.json
    settlement = made.json
    assert settlement["status"] == "draft" and settlement["number"].startswith("ST-")
    assert settlement["line_count"] == 2 and settlement["total"] == 211.0
    assert lines_of(manager, settlement["id"]) == {lines["ann_travel"], lines["ann_labour"]}

    # a second settlement over the same period finds nothing left to gather
    again = manager.post(
        "/api/v1/records/settlement", json={"resource": city.ids["ann_resource"], **MARCH}
    )
    assert again.status == 201 and again.json["line_count"] == 0 and again.json["total"] == 0


def test_changing_a_drafts_period_gathers_again(city, books):
    manager, _, lines, _ = books
    ann = city.ids["ann_resource"]
    settlement = manager.post("/api/v1/records/settlement", json={"resource": ann, **MARCH}).json
    wider = manager.patch(
        f"/api/v1/records/settlement/{settlement['id']}", json={"period_end": "2026-04-30"}
    )
    assert wider.status == 200, wider.json
    assert wider.json["line_count"] == 3 and wider.json["total"] == 310.0
    narrower = manager.patch(
        f"/api/v1/records/settlement/{settlement['id']}", json={"period_start": "2026-03-02"}
    )
    assert narrower.status == 200, narrower.json
    assert narrower.json["line_count"] == 2 and narrower.json["total"] == 279.0
    assert lines_of(manager, settlement["id"]) == {lines["ann_labour"], lines["ann_april"]}
    let_go = manager.get(f"/api/v1/records/expense/{lines['ann_travel']}").json
    assert let_go["settlement"] is None

    # the party changes: Bob's lines replace Ann's
    bob = manager.patch(
        f"/api/v1/records/settlement/{settlement['id']}",
        json={"resource": city.ids["bob_resource"], **MARCH},
    )
    assert bob.status == 200, bob.json
    assert bob.json["line_count"] == 2 and bob.json["total"] == 410.5
    assert lines_of(manager, settlement["id"]) == {lines["bob_labour"], lines["bob_parts"]}


def test_confirm_needs_lines_and_counts_them_again(city, books):
    manager, _, lines, _ = books
    ann = city.ids["ann_resource"]
    empty = manager.post(
        "/api/v1/records/settlement",
        json={"resource": ann, "period_start": "2026-06-01", "period_end": "2026-06-30"},
    ).json
    refused = transition(manager, empty["id"], "confirm")
    assert refused.status == 422, refused.json
    assert "no expense lines" in refused.problem["detail"]

    settlement = manager.post("/api/v1/records/settlement", json={"resource": ann, **MARCH}).json
    # a draft's line may still change; confirming counts the lines again
    assert (
        manager.patch(f"/api/v1/records/expense/{lines['ann_labour']}", json={"quantity": 2}).status
        == 200
    )
    confirmed = transition(manager, settlement["id"], "confirm")
    assert confirmed.status == 200, confirmed.json
    assert confirmed.json["status"] == "confirmed"
    assert confirmed.json["line_count"] == 2 and confirmed.json["total"] == 271.0
    # only service managers settle
    assert transition(city.dispatcher, settlement["id"], "settle").status == 403


def test_lines_of_a_confirmed_settlement_are_frozen(city, books, as_admin):
    manager, _, lines, expense = books
    ann = city.ids["ann_resource"]
    settlement = manager.post("/api/v1/records/settlement", json={"resource": ann, **MARCH}).json
    assert transition(manager, settlement["id"], "confirm").status == 200

    edited = manager.patch(f"/api/v1/records/expense/{lines['ann_travel']}", json={"quantity": 9})
    assert edited.status == 422, edited.json
    assert "confirmed settlement" in edited.problem["errors"]["settlement"][0]
    deleted = as_admin.delete(f"/api/v1/records/expense/{lines['ann_travel']}")
    assert deleted.status == 422, deleted.json
    with pytest.raises(ValidationError, match="cannot be added"):
        city.create(
            "expense",
            {
                "resource": ann,
                "kind": "other",
                "unit_price": 5,
                "spent_on": "2026-03-15",
                "settlement": settlement["id"],
            },
        )
    moved = manager.patch(
        f"/api/v1/records/settlement/{settlement['id']}", json={"period_end": "2026-04-30"}
    )
    assert moved.status == 422, moved.json
    refresh = manager.post(f"/api/v1/fs/settlements/{settlement['id']}/refresh")
    assert refresh.status == 409, refresh.json
    assert lines_of(manager, settlement["id"]) == {lines["ann_travel"], lines["ann_labour"]}

    # reopened (with a reason), its lines can change again
    assert transition(manager, settlement["id"], "reopen").status == 422
    assert transition(manager, settlement["id"], "reopen", comment="wrong rate").status == 200
    fixed = manager.patch(f"/api/v1/records/expense/{lines['ann_travel']}", json={"quantity": 1})
    assert fixed.status == 200, fixed.json
    # other expenses (not on a settlement) stay editable all along
    loose = manager.patch(f"/api/v1/records/expense/{lines['ann_april']}", json={"quantity": 3})
    assert loose.status == 200


def test_settle_requires_a_payment_reference(city, books):
    manager, _, _, _ = books
    settlement = manager.post(
        "/api/v1/records/settlement", json={"resource": city.ids["ann_resource"], **MARCH}
    ).json
    assert transition(manager, settlement["id"], "settle").status == 409  # still a draft
    assert transition(manager, settlement["id"], "confirm").status == 200
    unpaid = transition(manager, settlement["id"], "settle")
    assert unpaid.status == 422 and set(unpaid.problem["errors"]) == {"payment_ref"}
    paid = transition(manager, settlement["id"], "settle", values={"payment_ref": "PAY-0042"})
    assert paid.status == 200, paid.json
    assert paid.json["status"] == "settled" and paid.json["settled_at"]
    assert paid.json["payment_ref"] == "PAY-0042" and paid.json["total"] == 211.0


def test_a_provider_settlement_gathers_its_resources_lines(city, books):
    manager, provider, lines, _ = books
    made = manager.post("/api/v1/records/settlement", json={"provider": provider, **MARCH})
    assert made.status == 201, made.json
    assert made.json["line_count"] == 2 and made.json["total"] == 410.5
    assert lines_of(manager, made.json["id"]) == {lines["bob_labour"], lines["bob_parts"]}
    both = manager.post(
        "/api/v1/records/settlement",
        json={"provider": provider, "resource": city.ids["bob_resource"], **MARCH},
    )
    assert both.status == 422


def test_refresh_gathers_lines_added_later(city, books):
    manager, _, lines, expense = books
    ann = city.ids["ann_resource"]
    settlement = manager.post("/api/v1/records/settlement", json={"resource": ann, **MARCH}).json
    late = expense("ann", "2026-03-20", 1, "9.99", "other")
    assert city.dispatcher.post(f"/api/v1/fs/settlements/{settlement['id']}/refresh").status == 403
    refreshed = manager.post(f"/api/v1/fs/settlements/{settlement['id']}/refresh")
    assert refreshed.status == 200, refreshed.json
    assert refreshed.json["line_count"] == 3 and refreshed.json["total"] == 220.99
    assert lines_of(manager, settlement["id"]) == {lines["ann_travel"], lines["ann_labour"], late}
    missing = manager.post("/api/v1/fs/settlements/999999/refresh")
    assert missing.status == 404

    # the engineer sees her own settlement, not Bob's
    mine = city.engineer.get(f"/api/v1/records/settlement/{settlement['id']}")
    assert mine.status == 200 and mine.json["total"] == 220.99
    assert city.other_engineer.get(f"/api/v1/records/settlement/{settlement['id']}").status == 404


def test_refresh_is_documented(as_admin):
    paths = as_admin.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/api/v1/fs/settlements/{settlement_id}/refresh"]

"""The spare-parts ledger: requisitions with approval, consumption, balances that never go
negative (also under concurrent consumption on PostgreSQL), low-stock alerts."""

from __future__ import annotations

import decimal
import threading

import pytest

from packs.field_service.stock import ledger as stock
from plinth.auth.actor import SYSTEM
from plinth.errors import ValidationError
from plinth.workflow.transitions import fire
from tests.field_service.test_lifecycle import transition


def _task_for_ann(city):
    task = city.create(
        "field_task",
        {
            "description": "Replace filter",
            "site": city.ids["site"],
            "assigned_resource": city.ids["ann_resource"],
        },
    )
    return task


def qty(city, part, location):
    balance = city.balance(part, location)
    return None if balance is None else decimal.Decimal(str(balance["qty"]))


def test_requisition_waits_for_the_keeper_then_moves_stock(city):
    ids, ann, kim = city.ids, city.engineer, city.keeper
    city.post_stock(ids["part"], ids["warehouse"], 10)
    task = _task_for_ann(city)
    asked = ann.post(
        f"/api/v1/fs/tasks/{task['id']}/parts",
        json={
            "kind": "requisition",
            "warehouse": ids["warehouse"],
            "lines": [{"part": ids["part"], "qty": 4}],
        },
    )
    assert asked.status == 201, asked.json
    movement = asked.json["data"][0]
    assert movement["status"] == "pending_approval"
    assert qty(city, ids["part"], ids["warehouse"]) == 10
    # the engineer cannot post it themselves
    direct = transition(ann, "part_movement", movement["id"], "post")
    assert direct.status in (409, 422)
    waiting = kim.get("/api/v1/approvals").json["data"]
    assert [a["record_id"] for a in waiting] == [movement["id"]]
    approved = kim.post(f"/api/v1/approvals/{waiting[0]['id']}/approve", json={})
    assert approved.status == 200, approved.json
    posted = kim.get(f"/api/v1/records/part_movement/{movement['id']}").json
    assert posted["status"] == "posted" and posted["posted_at"]
    assert qty(city, ids["part"], ids["warehouse"]) == 6
    assert qty(city, ids["part"], ids["ann_bag"]) == 4
    # a posted movement is final
    changed = kim.patch(f"/api/v1/records/part_movement/{movement['id']}", json={"reason": "x"})
    assert changed.status == 422


def test_consumption_cannot_take_more_than_the_bag_holds(city):
    ids, ann = city.ids, city.engineer
    city.post_stock(ids["part"], ids["ann_bag"], 2)
    task = _task_for_ann(city)
    too_many = ann.post(
        f"/api/v1/fs/tasks/{task['id']}/parts",
        json={
            "kind": "consumption",
            "lines": [{"part": ids["part"], "qty": 1}, {"part": ids["part"], "qty": 2}],
        },
    )
    assert too_many.status == 422
    assert "only 1 of Filter at Ann's bag" in too_many.problem["errors"]["qty"][0]
    # all or nothing: the first line was not kept either
    assert qty(city, ids["part"], ids["ann_bag"]) == 2
    assert (
        city.dispatcher.get(f"/api/v1/records/part_movement?field_task={task['id']}").json["data"]
        == []
    )
    # someone else's task is refused
    bobs = city.create(
        "field_task",
        {"description": "x", "site": ids["site"], "assigned_resource": ids["bob_resource"]},
    )
    refused = ann.post(
        f"/api/v1/fs/tasks/{bobs['id']}/parts",
        json={"kind": "consumption", "lines": [{"part": ids["part"], "qty": 1}]},
    )
    assert refused.status in (404, 422)


def test_balances_change_only_by_posting_and_the_ledger_reconciles(city, as_admin):
    ids = city.ids
    city.post_stock(ids["part"], ids["warehouse"], 7)
    balance = city.balance(ids["part"], ids["warehouse"])
    edit = as_admin.patch(f"/api/v1/records/stock_balance/{balance['id']}", json={"qty": 100})
    assert edit.status == 422 and "qty" in edit.problem["errors"]
    with pytest.raises(ValidationError, match="posting a part movement"):
        with city.app_tenant.session(SYSTEM) as s:  # not even automations or packs
            s.records.update("stock_balance", balance["id"], {"qty": 100})
    made = as_admin.post(
        "/api/v1/records/stock_balance",
        json={"part": ids["part"], "location": ids["ann_bag"], "qty": 5},
    )
    assert made.status == 422
    bad_kind = as_admin.post(
        "/api/v1/records/part_movement",
        json={
            "kind": "return",
            "part": ids["part"],
            "qty": 1,
            "from_location": ids["warehouse"],
            "to_location": ids["ann_bag"],
        },
    )
    assert bad_kind.status == 422 and "from_location" in bad_kind.problem["errors"]
    transfer = as_admin.post(
        "/api/v1/records/part_movement",
        json={
            "kind": "transfer",
            "part": ids["part"],
            "qty": 3,
            "from_location": ids["warehouse"],
            "to_location": ids["bob_bag"],
        },
    ).json
    assert transition(as_admin, "part_movement", transfer["id"], "post").status == 200
    with city.app_tenant.session(SYSTEM) as s:
        assert stock.reconcile(s) == []
    assert qty(city, ids["part"], ids["warehouse"]) == 4
    assert qty(city, ids["part"], ids["bob_bag"]) == 3


def test_falling_below_the_threshold_alerts_the_keeper(city):
    ids, kim = city.ids, city.keeper
    city.post_stock(ids["part"], ids["ann_bag"], 3)  # reorder level 2
    task = _task_for_ann(city)
    assert kim.get("/api/v1/notifications").json["unread"] == 0
    used = city.engineer.post(
        f"/api/v1/fs/tasks/{task['id']}/parts",
        json={"kind": "consumption", "lines": [{"part": ids["part"], "qty": 2}]},
    )
    assert used.status == 201
    inbox = kim.get("/api/v1/notifications").json
    assert inbox["unread"] == 1 and "Low stock" in inbox["data"][0]["title"]
    assert city.balance(ids["part"], ids["ann_bag"])["low"] is True


@pytest.mark.postgres_only
def test_concurrent_consumption_never_goes_negative(city):
    ids, tenant = city.ids, city.app_tenant
    city.post_stock(ids["part"], ids["ann_bag"], 5)
    task = _task_for_ann(city)
    start = threading.Barrier(10)
    outcomes: list[str] = []
    lock = threading.Lock()

    def consume():
        start.wait()
        try:
            with tenant.session(SYSTEM) as s:
                movement = s.records.create(
                    "part_movement",
                    {
                        "kind": "consumption",
                        "part": ids["part"],
                        "qty": 1,
                        "from_location": ids["ann_bag"],
                        "field_task": task["id"],
                    },
                )
                fire(s, "part_movement", movement["id"], "post")
            result = "posted"
        except ValidationError:
            result = "refused"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=consume) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["posted"] * 5 + ["refused"] * 5
    assert qty(city, ids["part"], ids["ann_bag"]) == 0
    with tenant.session(SYSTEM) as s:
        assert stock.reconcile(s) == []

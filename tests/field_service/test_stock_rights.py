"""Who may move stock and enter expenses: engineers only consume and return from their own
bag onto their own tasks and ask for requisitions; warehouse keepers and service managers
transfer and adjust; labour and parts expense lines come only from the system."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from tests.field_service.test_lifecycle import PNG, transition

MOVEMENTS = "/api/v1/records/part_movement"
EXPENSES = "/api/v1/records/expense"


def qty(city, location):
    balance = city.balance(city.ids["part"], location)
    return None if balance is None else decimal.Decimal(str(balance["qty"]))


def task_of(city, who: str, **values) -> dict:
    return city.create(
        "field_task",
        {
            "description": "Replace filter",
            "site": city.ids["site"],
            "assigned_resource": city.ids[f"{who}_resource"],
            **values,
        },
    )


def movement(kind: str, city, qty=1, **values) -> dict:
    return {"kind": kind, "part": city.ids["part"], "qty": qty, **values}


@pytest.fixture
def manager(city, people, as_user):
    return as_user(people("sam", roles=["service_manager"]))


@pytest.fixture
def stocked(city):
    """Ten filters in the warehouse, five in each bag."""
    ids = city.ids
    for location in ("warehouse", "ann_bag", "bob_bag"):
        city.post_stock(ids["part"], ids[location], 10 if location == "warehouse" else 5)
    return ids


def balances(city) -> tuple:
    ids = city.ids
    return tuple(qty(city, ids[name]) for name in ("warehouse", "ann_bag", "bob_bag"))


# ---- part movements -------------------------------------------------------------------------


def test_an_engineer_can_neither_transfer_nor_adjust(city, stocked):
    ids, ann = stocked, city.engineer
    before = balances(city)
    attempts = [
        movement("transfer", city, from_location=ids["warehouse"], to_location=ids["ann_bag"]),
        movement("transfer", city, from_location=ids["bob_bag"], to_location=ids["ann_bag"]),
        movement("adjustment", city, 50, to_location=ids["ann_bag"]),  # stock from nothing
        movement("adjustment", city, from_location=ids["warehouse"]),  # a write-off
    ]
    for values in attempts:
        refused = ann.post(MOVEMENTS, json=values)
        assert refused.status == 422, (values, refused.json)
        assert "transfers and adjustments" in refused.problem["errors"]["kind"][0]
    # nor post one a keeper drafted into her bag
    drafted = city.keeper.post(
        MOVEMENTS,
        json=movement(
            "transfer", city, 3, from_location=ids["warehouse"], to_location=ids["ann_bag"]
        ),
    )
    assert drafted.status == 201, drafted.json
    assert transition(ann, "part_movement", drafted.json["id"], "post").status in (403, 404)
    assert balances(city) == before
    assert ann.get(MOVEMENTS).json["data"] == []


def test_the_messages_speak_chinese_too(city, stocked, as_admin):
    ann = city.engineer
    assert (
        as_admin.patch(f"/api/v1/users/{city.ids['ann']}", json={"locale": "zh-CN"}).status == 200
    )
    refused = ann.post(MOVEMENTS, json=movement("adjustment", city, to_location=stocked["ann_bag"]))
    assert refused.status == 422
    assert "调拨和盘点调整由库管员办理" in refused.problem["errors"]["kind"][0]


def test_an_engineer_cannot_use_another_engineers_bag(city, stocked):
    ids, ann = stocked, city.engineer
    mine, bobs = task_of(city, "ann"), task_of(city, "bob")
    before = balances(city)
    for values in (
        movement("consumption", city, from_location=ids["bob_bag"], field_task=mine["id"]),
        movement("consumption", city, from_location=ids["bob_bag"], field_task=bobs["id"]),
        movement("return", city, from_location=ids["bob_bag"], to_location=ids["warehouse"]),
        movement("requisition", city, from_location=ids["warehouse"], to_location=ids["bob_bag"]),
    ):
        refused = ann.post(MOVEMENTS, json=values)
        assert refused.status == 422, (values, refused.json)
        errors = refused.problem["errors"]
        assert any("your own bag" in m for m in errors.get("from_location", []))
    # the engineer endpoint cannot reach Bob's task either
    other = ann.post(
        f"/api/v1/fs/tasks/{bobs['id']}/parts",
        json={"kind": "consumption", "lines": [{"part": ids["part"], "qty": 1}]},
    )
    assert other.status in (404, 422)
    assert balances(city) == before


def test_a_consumption_goes_only_onto_the_engineers_own_task(city, stocked):
    ids, ann = stocked, city.engineer
    bobs = task_of(city, "bob")
    refused = ann.post(
        MOVEMENTS,
        json=movement("consumption", city, from_location=ids["ann_bag"], field_task=bobs["id"]),
    )
    assert refused.status == 422, refused.json
    assert refused.problem["errors"]["field_task"] == ["choose a field task assigned to you"]
    no_task = ann.post(MOVEMENTS, json=movement("consumption", city, from_location=ids["ann_bag"]))
    assert no_task.status == 422 and "field_task" in no_task.problem["errors"]
    assert qty(city, ids["ann_bag"]) == 5


def test_a_draft_cannot_be_changed_to_dodge_the_rules(city, stocked):
    ids, ann = stocked, city.engineer
    mine, bobs = task_of(city, "ann"), task_of(city, "bob")
    draft = ann.post(
        MOVEMENTS,
        json=movement("consumption", city, from_location=ids["ann_bag"], field_task=mine["id"]),
    )
    assert draft.status == 201, draft.json
    url = f"{MOVEMENTS}/{draft.json['id']}"
    for change in (
        {"kind": "transfer", "to_location": ids["ann_bag"], "from_location": ids["warehouse"]},
        {
            "kind": "adjustment",
            "from_location": None,
            "to_location": ids["ann_bag"],
            "field_task": None,
        },
        {"from_location": ids["bob_bag"]},
        {"field_task": bobs["id"]},
        {"kind": "requisition", "from_location": ids["warehouse"], "to_location": ids["bob_bag"]},
    ):
        changed = ann.patch(url, json=change)
        assert changed.status == 422, (change, changed.json)
    # the price of a consumption is the part's: an engineer cannot set it
    priced = ann.patch(url, json={"unit_price": 9999})
    assert priced.status in (403, 422), priced.json
    kept = ann.get(url).json
    assert kept["kind"] == "consumption" and kept["from_location"] == ids["ann_bag"]
    assert kept["unit_price"] == 25
    assert transition(ann, "part_movement", draft.json["id"], "post").status == 200
    assert balances(city) == (10, 4, 5)


def test_an_engineer_consumes_and_returns_from_her_own_bag(city, stocked):
    ids, ann = stocked, city.engineer
    mine = task_of(city, "ann")
    used = ann.post(
        MOVEMENTS,
        json=movement("consumption", city, 2, from_location=ids["ann_bag"], field_task=mine["id"]),
    )
    assert used.status == 201, used.json
    posted = transition(ann, "part_movement", used.json["id"], "post")
    assert posted.status == 200, posted.json
    assert posted.json["status"] == "posted"
    back = ann.post(
        MOVEMENTS,
        json=movement(
            "return", city, 3, from_location=ids["ann_bag"], to_location=ids["warehouse"]
        ),
    )
    assert back.status == 201, back.json
    assert transition(ann, "part_movement", back.json["id"], "post").status == 200
    assert balances(city) == (13, 0, 5)
    # the consumption was charged to the task as a parts line (written by the system)
    (line,) = city.dispatcher.get(f"{EXPENSES}?field_task={mine['id']}").json["data"]
    assert line["kind"] == "parts" and line["resource"] == ids["ann_resource"]
    assert line["amount"] == 50 and line["part_movement"] == used.json["id"]


def test_a_requisition_is_requested_by_the_engineer_and_approved_by_the_keeper(city, stocked):
    ids, ann, kim = stocked, city.engineer, city.keeper
    asked = ann.post(
        MOVEMENTS,
        json=movement(
            "requisition", city, 4, from_location=ids["warehouse"], to_location=ids["ann_bag"]
        ),
    )
    assert asked.status == 201, asked.json
    refused = transition(ann, "part_movement", asked.json["id"], "post")
    assert refused.status == 422 and "use request" in refused.problem["detail"]
    requested = transition(ann, "part_movement", asked.json["id"], "request")
    assert requested.status == 200, requested.json
    assert requested.json["status"] == "pending_approval"
    # what waits for approval cannot grow meanwhile
    grown = ann.patch(f"{MOVEMENTS}/{asked.json['id']}", json={"qty": 9})
    assert grown.status == 422 and "waiting for approval" in grown.problem["errors"]["qty"][0]
    (waiting,) = kim.get("/api/v1/approvals").json["data"]
    assert kim.post(f"/api/v1/approvals/{waiting['id']}/approve", json={}).status == 200
    assert kim.get(f"{MOVEMENTS}/{asked.json['id']}").json["status"] == "posted"
    assert balances(city) == (6, 9, 5)


def test_keepers_and_managers_transfer_and_adjust(city, stocked, manager):
    ids, kim = stocked, city.keeper
    for api, values in (
        (
            kim,
            movement("transfer", city, 2, from_location=ids["bob_bag"], to_location=ids["ann_bag"]),
        ),
        (kim, movement("adjustment", city, 1, from_location=ids["warehouse"], reason="broken")),
        (manager, movement("adjustment", city, 4, to_location=ids["warehouse"], reason="found")),
        (
            manager,
            movement(
                "transfer", city, 3, from_location=ids["warehouse"], to_location=ids["bob_bag"]
            ),
        ),
        # a keeper may post a requisition directly
        (
            kim,
            movement(
                "requisition", city, 1, from_location=ids["warehouse"], to_location=ids["ann_bag"]
            ),
        ),
    ):
        made = api.post(MOVEMENTS, json=values)
        assert made.status == 201, (values, made.json)
        posted = transition(api, "part_movement", made.json["id"], "post")
        assert posted.status == 200, (values, posted.json)
    assert balances(city) == (9, 8, 6)
    # a manager is not a keeper: a requisition still waits for the keeper's approval
    asked = manager.post(
        MOVEMENTS,
        json=movement(
            "requisition", city, 1, from_location=ids["warehouse"], to_location=ids["bob_bag"]
        ),
    )
    assert transition(manager, "part_movement", asked.json["id"], "post").status == 422


# ---- expenses -------------------------------------------------------------------------------


def line(city, task: dict | None, who="ann", **values) -> dict:
    body = {
        "resource": city.ids[f"{who}_resource"],
        "kind": "travel",
        "description": "Taxi",
        "quantity": 1,
        "unit_price": 80,
        **values,
    }
    if task is not None:
        body["field_task"] = task["id"]
    return body


def test_an_engineer_enters_travel_and_other_lines_for_her_own_tasks(city):
    ann, mine = city.engineer, task_of(city, "ann")
    travel = ann.post(EXPENSES, json=line(city, mine))
    assert travel.status == 201, travel.json
    assert travel.json["amount"] == 80 and travel.json["work_order"] is None
    other = ann.post(EXPENSES, json=line(city, mine, kind="other", quantity=2, unit_price="12.50"))
    assert other.status == 201 and other.json["amount"] == 25
    assert {e["id"] for e in ann.get(EXPENSES).json["data"]} == {
        travel.json["id"],
        other.json["id"],
    }


def test_an_engineer_cannot_enter_labour_parts_or_someone_elses_lines(city):
    ann, mine, bobs = city.engineer, task_of(city, "ann"), task_of(city, "bob")
    cases = [
        (line(city, mine, kind="labour", quantity=8, unit_price=120), "kind"),
        (line(city, mine, kind="parts"), "kind"),
        (line(city, bobs), "field_task"),
        (line(city, bobs, who="bob"), "resource"),
        (line(city, mine, who="bob"), "resource"),
        (line(city, None), "field_task"),
    ]
    for body, field in cases:
        refused = ann.post(EXPENSES, json=body)
        assert refused.status == 422, (body, refused.json)
        assert field in refused.problem["errors"], (body, refused.json)
    assert (
        "written by the system" in ann.post(EXPENSES, json=cases[0][0]).problem["errors"]["kind"][0]
    )
    # a line is charged to a provider only through its resource
    provider = city.create("service_provider", {"name": "CoolFix Ltd"})["id"]
    steered = ann.post(EXPENSES, json=line(city, mine, provider=provider))
    assert steered.status in (403, 422), steered.json
    assert city.dispatcher.get(EXPENSES).json["data"] == []


def test_an_engineers_line_has_a_maximum(city, as_admin, manager):
    ann, mine = city.engineer, task_of(city, "ann")
    at_most = ann.post(EXPENSES, json=line(city, mine, quantity=2, unit_price=1000))
    assert at_most.status == 201, at_most.json  # 2000, the default maximum
    above = ann.post(EXPENSES, json=line(city, mine, quantity=2, unit_price="1000.01"))
    assert above.status == 422 and "expense_line_max" in above.problem["errors"]["unit_price"][0]
    negative = ann.post(EXPENSES, json=line(city, mine, quantity=-3))
    assert negative.status == 422 and "unit_price" in negative.problem["errors"]
    lowered = as_admin.patch("/api/v1/settings", json={"field_service.expense_line_max": 100})
    assert lowered.status == 200, lowered.json
    assert ann.post(EXPENSES, json=line(city, mine, unit_price=150)).status == 422
    assert ann.post(EXPENSES, json=line(city, mine, unit_price=100)).status == 201
    # a service manager enters any line, of any size
    big = manager.post(EXPENSES, json=line(city, mine, kind="labour", quantity=30, unit_price=120))
    assert big.status == 201, big.json


def test_an_engineer_cannot_edit_a_line_into_labour_or_above_the_maximum(
    city, as_admin, people, as_user
):
    ann, mine = city.engineer, task_of(city, "ann")
    travel = ann.post(EXPENSES, json=line(city, mine)).json
    # engineers do not edit lines at all
    assert ann.patch(f"{EXPENSES}/{travel['id']}", json={"kind": "labour"}).status in (403, 404)
    # and where an implementer lets them, the rules still hold on update
    granted = as_admin.put(
        "/api/v1/metadata/roles/expense_editor",
        {
            "name": "expense_editor",
            "objects": {"expense": {"update": "own", "user_fields": ["resource.login"]}},
        },
    )
    assert granted.status in (200, 201), granted.json
    eve = people("eve", roles=["engineer", "expense_editor"])
    resource = city.create("service_resource", {"name": "Eve", "login": eve["id"]})["id"]
    eves_task = city.create(
        "field_task", {"description": "x", "site": city.ids["site"], "assigned_resource": resource}
    )
    eve_api = as_user(eve)
    made = eve_api.post(
        EXPENSES,
        json={
            "resource": resource,
            "field_task": eves_task["id"],
            "kind": "travel",
            "unit_price": 30,
        },
    )
    assert made.status == 201, made.json
    url = f"{EXPENSES}/{made.json['id']}"
    assert eve_api.patch(url, json={"unit_price": 40}).status == 200
    for change, field in (
        ({"kind": "labour"}, "kind"),
        ({"kind": "parts"}, "kind"),
        ({"unit_price": 5000}, "unit_price"),
        ({"field_task": mine["id"]}, "field_task"),
    ):
        refused = eve_api.patch(url, json=change)
        assert refused.status == 422 and field in refused.problem["errors"], (change, refused.json)
    # the labour line the system wrote for her is not hers to change
    task = task_of_in_service(city, resource)
    done = complete(city, eve_api, task)
    labour = eve_api.get(f"{EXPENSES}?field_task={task['id']}&kind=labour").json["data"][0]
    assert done["status"] == "completed"
    refused = eve_api.patch(f"{EXPENSES}/{labour['id']}", json={"quantity": 40})
    assert refused.status == 422 and "kind" in refused.problem["errors"]


def task_of_in_service(city, resource: int) -> dict:
    started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    return city.create(
        "field_task",
        {
            "description": "Service the boiler",
            "site": city.ids["site"],
            "assigned_resource": resource,
            "status": "in_service",
            "started_at": started.isoformat(),
        },
    )


def complete(city, api, task: dict) -> dict:
    filled = api.patch(
        f"/api/v1/records/field_task/{task['id']}",
        json={
            "customer_signature": {"image": PNG, "signer": "Carl"},
            "resolution": "Serviced",
            "no_parts_used": True,
        },
    )
    assert filled.status == 200, filled.json
    done = transition(api, "field_task", task["id"], "complete")
    assert done.status == 200, done.json
    return done.json


def test_system_lines_and_settlements_still_work(city, stocked, manager):
    ids, ann = stocked, city.engineer
    task = task_of_in_service(city, ids["ann_resource"])
    used = ann.post(
        f"/api/v1/fs/tasks/{task['id']}/parts",
        json={"kind": "consumption", "lines": [{"part": ids["part"], "qty": 2}]},
    )
    assert used.status == 201, used.json
    travel = ann.post(EXPENSES, json=line(city, task))
    assert travel.status == 201, travel.json
    filled = ann.patch(
        f"/api/v1/records/field_task/{task['id']}",
        json={"customer_signature": {"image": PNG, "signer": "Carl"}, "resolution": "Serviced"},
    )
    assert filled.status == 200, filled.json
    assert transition(ann, "field_task", task["id"], "complete").status == 200
    lines = manager.get(f"{EXPENSES}?field_task={task['id']}&sort=kind").json["data"]
    assert [e["kind"] for e in lines] == ["labour", "parts", "travel"]
    labour, parts, _ = lines
    assert labour["resource"] == parts["resource"] == ids["ann_resource"]
    assert 1.9 <= labour["quantity"] <= 2.1 and parts["amount"] == 50
    today = dt.datetime.now(dt.UTC).date()
    period = {
        "period_start": (today - dt.timedelta(days=2)).isoformat(),
        "period_end": (today + dt.timedelta(days=2)).isoformat(),
    }
    settlement = manager.post(
        "/api/v1/records/settlement", json={"resource": ids["ann_resource"], **period}
    )
    assert settlement.status == 201, settlement.json
    assert settlement.json["line_count"] == 3
    total = sum(decimal.Decimal(str(e["amount"])) for e in lines)
    assert decimal.Decimal(str(settlement.json["total"])) == total
    confirmed = transition(manager, "settlement", settlement.json["id"], "confirm")
    assert confirmed.status == 200, confirmed.json

"""Formulas, expression defaults, validation rules and automations, through the record
service, on both databases."""

import decimal

import pytest
import sqlalchemy as sa

from plinth.auth.actor import Actor
from plinth.errors import MetadataInvalid, ValidationError
from plinth.rules.record_rules import RuleFailed
from plinth.runtime import system_tables as st

ORDER = {
    "name": "order_line",
    "fields": [
        {"name": "qty", "type": "integer", "min": 0},
        {"name": "unit_price", "type": "currency"},
        {
            "name": "total",
            "type": "formula",
            "formula": "qty * unit_price",
            "result_type": "currency",
            "stored": True,
        },
        {
            "name": "with_tax",
            "type": "formula",
            "formula": "total * 1.13",
            "result_type": "currency",
        },
        {
            "name": "label",
            "type": "formula",
            "formula": "f'{qty} x {unit_price}'",
            "result_type": "text",
        },
        {"name": "due", "type": "date", "default_expression": "today() + days(7)"},
        {
            "name": "status",
            "type": "select",
            "options": [{"value": "new"}, {"value": "big"}, {"value": "done"}],
            "default": "new",
        },
        {"name": "note", "type": "text"},
    ],
}


def test_formulas_stored_and_computed_on_read(publish, records):
    publish(ORDER)
    line = records("create", "order_line", {"qty": 3, "unit_price": "9.99"})
    assert line["total"] == decimal.Decimal("29.97")  # stored, computed on save
    assert line["with_tax"] == decimal.Decimal("33.87")  # computed on read, rounded to cents
    assert line["label"] == "3 x 9.99"
    changed = records("update", "order_line", line["id"], {"qty": 4})
    assert changed["total"] == decimal.Decimal("39.96")  # recomputed when an input changes
    empty = records("create", "order_line", {"unit_price": "5"})
    assert empty["total"] is None and empty["with_tax"] is None  # blank inputs, blank result
    listed = records("list", "order_line").data
    assert [r["total"] for r in listed] == [decimal.Decimal("39.96"), None]
    assert records("list", "order_line", _sorted_by_total()).data[0]["total"] == decimal.Decimal(
        "39.96"
    )


def _sorted_by_total():
    from plinth.runtime.query import Filter, ListQuery

    return ListQuery(filters=[Filter("total", "gt", "10")], sort=["-total"])


def test_expression_defaults(publish, records, tenant):
    import datetime as dt

    publish(ORDER)
    tenant.clock = lambda: dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC)
    shanghai = Actor(None, "sh", frozenset({"admin"}), time_zone="Asia/Shanghai")
    line = records("create", "order_line", {"qty": 1}, actor=shanghai)
    assert line["due"] == dt.date(2026, 12, 2)  # "today" is the 25th in Shanghai
    given = records("create", "order_line", {"qty": 1, "due": "2027-01-01"})
    assert given["due"] == dt.date(2027, 1, 1)


def test_validation_rules_refuse_with_their_message(publish, records):
    publish(
        ORDER,
        (
            "validation_rules",
            {
                "name": "small_orders",
                "object": "order_line",
                "condition": "qty is None or qty <= 100",
                "message": {"en": "At most 100 per line", "zh-CN": "每行最多 100 件"},
                "fields": ["qty"],
            },
        ),
        (
            "validation_rules",
            {
                "name": "notes_on_done",
                "object": "order_line",
                "events": ["update"],
                "condition": "status != 'done' or not blank(note)",
                "message": "Say why it is done",
            },
        ),
    )
    with pytest.raises(ValidationError) as error:
        records("create", "order_line", {"qty": 101})
    assert error.value.errors == {"qty": ["At most 100 per line"]}
    chinese = Actor(None, "zh", frozenset({"admin"}), locale="zh-CN")
    with pytest.raises(ValidationError) as error:
        records("create", "order_line", {"qty": 500}, actor=chinese)
    assert error.value.errors == {"qty": ["每行最多 100 件"]}
    line = records("create", "order_line", {"qty": 5, "status": "done"})  # create: not checked
    with pytest.raises(ValidationError) as error:
        records("update", "order_line", line["id"], {"qty": 6})
    assert error.value.errors == {"_record": ["Say why it is done"]}
    records("update", "order_line", line["id"], {"qty": 6, "note": "shipped"})


def test_rules_are_checked_when_saved(publish):
    with pytest.raises(MetadataInvalid) as error:
        publish(
            ORDER,
            (
                "validation_rules",
                {
                    "name": "broken",
                    "object": "order_line",
                    "condition": "qty <= limit",
                    "message": "x",
                },
            ),
        )
    assert error.value.errors == {
        "validation_rules/broken#/condition": ["invalid expression, line 1: unknown name 'limit'"]
    }
    bad = {
        **ORDER,
        "fields": [
            *ORDER["fields"],
            {"name": "loop_a", "type": "formula", "formula": "loop_b", "result_type": "integer"},
            {"name": "loop_b", "type": "formula", "formula": "loop_a", "result_type": "integer"},
        ],
    }
    with pytest.raises(MetadataInvalid, match="cycle"):
        publish(bad)
    script = {
        "name": "sneaky",
        "object": "order_line",
        "trigger": {"type": "on_create"},
        "actions": [{"type": "script", "source": "x = 1\nimport os"}],
    }
    with pytest.raises(MetadataInvalid, match="line 2: imports are not allowed"):
        publish(ORDER, ("automations", script))


def test_a_rule_that_cannot_finish_is_refused_when_saved(publish):
    endless = {
        "name": "endless",
        "object": "order_line",
        "condition": "sum([[0]]*100000, []) == []",
        "message": "x",
    }
    with pytest.raises(MetadataInvalid) as error:
        publish(ORDER, ("validation_rules", endless))
    [message] = error.value.errors["validation_rules/endless#/condition"]
    assert message.startswith("the expression cannot finish with blank fields: line 1: stopped:")
    fine = {"name": "fine", "object": "order_line", "condition": "qty > 0", "message": "x"}
    publish(ORDER, ("validation_rules", fine))  # a TypeError with qty None is fine


def test_formulas_on_read_share_one_deadline(publish, records, monkeypatch):
    import plinth.rules.engine as engine

    slow = {"name": "slow", "type": "formula", "result_type": "integer"}
    slow["formula"] = "sum(i for i in range(100000)) * 0 + qty"
    publish({**ORDER, "fields": [*ORDER["fields"], slow]})
    line = records("create", "order_line", {"qty": 3, "unit_price": "2"})
    assert line["slow"] == 3
    monkeypatch.setattr(engine, "MAX_READ_SECONDS", 0.0)  # the read's time is already up
    again = records("get", "order_line", line["id"])
    assert again["slow"] is None  # stopped at its first look at the clock, read as null
    assert again["with_tax"] == decimal.Decimal("6.78")  # too cheap to look at the clock


def test_a_failing_rule_fails_only_that_operation(publish, records, tenant):
    publish(
        ORDER,
        (
            "validation_rules",
            {
                "name": "divides",
                "object": "order_line",
                "condition": "100 / qty > 1",
                "message": "x",
            },
        ),
    )
    with pytest.raises(
        RuleFailed, match="validation rule divides failed to run: line 1: ZeroDivisionError"
    ):
        records("create", "order_line", {"qty": 0})
    assert records("create", "order_line", {"qty": 2})["qty"] == 2
    with tenant.database.transaction() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(sa.table("obj_order_line"))) == 1


AUTOMATIONS = [
    {
        "name": "flag_big",
        "object": "order_line",
        "trigger": {"type": "on_update", "fields": ["qty"]},
        "condition": "qty > 50",
        "actions": [
            {"type": "set_fields", "values": {"status": "big", "note": "=f'was {old.qty}'"}}
        ],
    },
    {
        "name": "note_on_create",
        "object": "order_line",
        "trigger": {"type": "on_create"},
        "actions": [
            {
                "type": "script",
                "source": "if qty and qty > 10:\n    record['note'] = 'bulk ' + str(qty)",
            },
            {
                "type": "create_record",
                "object": "audit_entry",
                "values": {"text": "=f'line {qty}'"},
            },
        ],
    },
    {
        "name": "cleanup",
        "object": "order_line",
        "trigger": {"type": "on_delete"},
        "actions": [
            {"type": "create_record", "object": "audit_entry", "values": {"text": "deleted"}}
        ],
    },
]
AUDIT = {
    "name": "audit_entry",
    "fields": [
        {"name": "text", "type": "text"},
        {"name": "line", "type": "lookup", "target": "order_line", "on_delete": "set_null"},
    ],
}


def test_automations_run_in_their_phases(publish, records):
    publish(ORDER, AUDIT, *[("automations", a) for a in AUTOMATIONS])
    line = records("create", "order_line", {"qty": 20})
    assert line["note"] == "bulk 20"  # before save, in the same save
    assert [e["text"] for e in records("list", "audit_entry").data] == ["line 20"]
    same = records("update", "order_line", line["id"], {"note": "edited"})
    assert same["status"] == "new"  # qty did not change: flag_big does not fire
    big = records("update", "order_line", line["id"], {"qty": 60})
    assert (big["status"], big["note"]) == ("big", "was 20")
    records("delete", "order_line", line["id"])
    assert [e["text"] for e in records("list", "audit_entry").data] == ["line 20", "deleted"]


def test_update_related_and_loop_guard(publish, records):
    parent = {"name": "parent", "fields": [{"name": "stage", "type": "text"}]}
    child = {
        "name": "child",
        "fields": [
            {"name": "stage", "type": "text"},
            {"name": "parent", "type": "lookup", "target": "parent", "on_delete": "cascade"},
        ],
    }
    copy_down = {
        "name": "copy_down",
        "object": "parent",
        "trigger": {"type": "on_update", "fields": ["stage"]},
        "actions": [
            {
                "type": "update_related",
                "object": "child",
                "via": "parent",
                "condition": "related.stage != 'locked'",
                "values": {"stage": "=stage"},
            }
        ],
    }
    publish(parent, child, ("automations", copy_down))
    p = records("create", "parent", {"stage": "a"})
    records("create", "child", {"parent": p["id"], "stage": "a"})
    records("create", "child", {"parent": p["id"], "stage": "locked"})
    records("update", "parent", p["id"], {"stage": "b"})
    assert sorted(c["stage"] for c in records("list", "child").data) == ["b", "locked"]


def test_automations_that_set_each_other_off_are_stopped(publish, records):
    tick = {
        "name": "tick",
        "fields": [
            {"name": "n", "type": "integer"},
            {"name": "tock", "type": "lookup", "target": "tock"},
        ],
    }
    tock = {
        "name": "tock",
        "fields": [
            {"name": "n", "type": "integer"},
            {"name": "tick", "type": "lookup", "target": "tick"},
        ],
    }
    ping = {
        "name": "ping",
        "object": "tick",
        "trigger": {"type": "on_update"},
        "actions": [
            {"type": "update_related", "object": "tock", "via": "tick", "values": {"n": "=n + 1"}}
        ],
    }
    pong = {
        "name": "pong",
        "object": "tock",
        "trigger": {"type": "on_update"},
        "actions": [
            {"type": "update_related", "object": "tick", "via": "tock", "values": {"n": "=n + 1"}}
        ],
    }
    publish(tick, tock)
    a = records("create", "tick", {"n": 0})
    b = records("create", "tock", {"n": 0, "tick": a["id"]})
    records("update", "tick", a["id"], {"tock": b["id"]})
    publish(("automations", ping), ("automations", pong))
    with pytest.raises(RuleFailed, match="more than 5 levels deep"):
        records("update", "tick", a["id"], {"n": 1})
    assert records("get", "tick", a["id"])["n"] == 0  # the whole save was rolled back


def test_notify_after_commit_in_app(publish, records, tenant):
    from plinth.auth.users import create_user

    with tenant.database.transaction(write=True) as conn:
        boss = create_user(conn, "boss@example.com", None, roles=["admin"])
    notify = {
        "name": "tell_boss",
        "object": "order_line",
        "trigger": {"type": "on_create"},
        "condition": "qty > 10",
        "actions": [
            {
                "type": "notify",
                "to": ["role:admin", "owner"],
                "title": "Big order {{ record.qty }}",
                "message": "Line {{ record.id }}: {{ record.qty }} x {{ record.unit_price }}",
            }
        ],
    }
    publish(ORDER, ("automations", notify))
    records("create", "order_line", {"qty": 11, "unit_price": "2"})
    records("create", "order_line", {"qty": 1})
    with tenant.database.transaction() as conn:
        rows = conn.execute(sa.select(st.notification)).mappings().all()
        jobs = conn.execute(sa.select(st.job.c.name, st.job.c.status)).all()
    assert [(r["user_id"], r["title"], r["body"]) for r in rows] == [
        (boss["id"], "Big order 11", "Line 1: 11 x 2.0")
    ]
    assert [tuple(j) for j in jobs] == [("rules.action", "done")]


def test_the_read_budget_is_per_run_not_per_session(tenant, publish):
    from plinth.auth.actor import SYSTEM
    from plinth.rules.sandbox import compile_rule, evaluate
    from plinth.rules.sandbox.errors import SandboxError
    from plinth.rules.scope import rule_scope
    from tests.docs import SITE, doc

    publish(doc(SITE))
    sixty = compile_rule("sum(count('site') for _ in range(60))")
    with tenant.session(SYSTEM) as session:
        for _ in range(3):  # 180 reads in one session, 60 per run: fine
            assert evaluate(sixty, rule_scope(session, {})) == 0
        too_many = compile_rule("sum(count('site') for _ in range(101))")
        with pytest.raises(SandboxError, match="at most 100 times"):
            evaluate(too_many, rule_scope(session, {}))

"""Notification queues: a notify action files what it writes in its queue (its ``queue``,
else its automation), with its title and body in each language of its labels; the inbox API
returns both and filters by queue; the metadata names each queue once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from plinth.metadata.checks import cross_check
from plinth.metadata.publisher import Publisher, Put
from plinth.metadata.schema_validation import schema_problems
from plinth.rules.notifications import (
    default_queue,
    notify_users,
    queue_counts,
    queue_labels,
    shown_text,
)
from plinth.runtime import migrate
from plinth.runtime import system_tables as st

TICKET = {"name": "ticket", "fields": [{"name": "title", "type": "text"}]}
ESCALATE = {
    "name": "escalate",
    "label": {"en": "Escalate", "zh-CN": "升级"},
    "object": "ticket",
    "trigger": {"type": "on_create"},
    "actions": [
        {
            "type": "notify",
            "to": ["owner"],
            "queue": "escalations",
            "queue_label": {"en": "Escalations", "zh-CN": "升级单"},
            "title": {"en": "Escalated: {{ record.title }}", "zh-CN": "已升级：{{ record.title }}"},
            "message": {
                "en": "Ticket {{ record.id }} is late",
                "zh-CN": "工单 {{ record.id }} 逾期",
            },
        }
    ],
}
TELL_OWNER = {
    "name": "tell_owner",
    "label": {"en": "Tell the owner", "zh-CN": "通知负责人"},
    "object": "ticket",
    "trigger": {"type": "on_create"},
    "actions": [
        {"type": "notify", "to": ["owner"], "title": "New: {{ record.title }}", "message": "Hi"}
    ],
}


def _setup(app):
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish(
        [Put("objects", TICKET), Put("automations", ESCALATE), Put("automations", TELL_OWNER)]
    )
    return tenant


def test_notifications_carry_their_queue_and_texts_and_filter_by_queue(app, people, as_user):
    _setup(app)
    ann = as_user(people("ann", roles=["admin"]))
    created = ann.post("/api/v1/records/ticket", {"title": "Pump"})
    assert created.status == 201, created.json
    ticket = created.json
    inbox = ann.get("/api/v1/notifications").json
    assert inbox["unread"] == 2
    by_queue = {n["queue"]: n for n in inbox["data"]}
    assert set(by_queue) == {"escalations", "tell_owner"}
    escalated = by_queue["escalations"]
    assert escalated["title"] == "Escalated: Pump"  # English where there is one
    assert escalated["texts"] == {
        "en": {"title": "Escalated: Pump", "body": f"Ticket {ticket['id']} is late"},
        "zh-CN": {"title": "已升级：Pump", "body": f"工单 {ticket['id']} 逾期"},
    }
    assert by_queue["tell_owner"]["texts"] is None  # plain text: one language
    only = ann.get("/api/v1/notifications?queue=escalations").json
    assert [n["queue"] for n in only["data"]] == ["escalations"]
    assert only["unread"] == 2  # the count stays the user's, the filter is the page's
    unread_there = ann.get("/api/v1/notifications?queue=tell_owner&unread=true").json["data"]
    ann.post(f"/api/v1/notifications/{unread_there[0]['id']}/read")
    assert ann.get("/api/v1/notifications?queue=tell_owner&unread=true").json["data"] == []
    assert ann.get("/api/v1/notifications?queue=nothing").json["data"] == []
    ben = as_user(people("ben"))
    assert ben.get("/api/v1/notifications?queue=escalations").json["data"] == []


def test_queue_labels_come_from_the_metadata(app):
    tenant = _setup(app)
    with tenant.session() as s:
        labels = queue_labels(s.compiled)
    assert labels["escalations"] == {"en": "Escalations", "zh-CN": "升级单"}
    assert labels["tell_owner"] == {"en": "Tell the owner", "zh-CN": "通知负责人"}


def test_queue_counts_and_texts_in_a_language(app, people):
    tenant = app.extensions["plinth"].tenant
    ann = people("ann")
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    texts = {"zh-CN": {"title": "中", "body": "文"}}
    with tenant.database.transaction(write=True) as conn:
        notify_users(conn, [ann["id"]], "A", "a", None, None, "automation:x", now, "q1", texts)
        notify_users(conn, [ann["id"]], "B", "b", None, None, "automation:y", now)
        notify_users(conn, [ann["id"]], "C", "c", None, None, "approval:7", now)
        conn.execute(
            st.notification.update().where(st.notification.c.title == "B"), {"read_at": now}
        )
        counts = queue_counts(conn, ann["id"])
        rows = {r.title: dict(r._mapping) for r in conn.execute(sa.select(st.notification))}
    assert counts == [
        {"queue": "approval", "total": 1, "unread": 1},
        {"queue": "q1", "total": 1, "unread": 1},
        {"queue": "y", "total": 1, "unread": 0},
    ]
    assert shown_text(rows["A"], "zh-CN") == ("中", "文")
    assert shown_text(rows["A"], "zh-TW") == ("中", "文")  # the same language
    assert shown_text(rows["A"], "en") == ("A", "a")
    assert shown_text(rows["B"], "zh-CN") == ("B", "b")


@pytest.mark.parametrize(
    ("source", "queue"),
    [("automation:sla_warning_alert", "sla_warning_alert"), ("approval:12", "approval"),
     ("automation:", None), ("", None), ("elsewhere:1", None)],
)  # fmt: skip
def test_the_default_queue_comes_from_the_source(source, queue):
    assert default_queue(source) == queue


def test_a_queue_is_a_name_and_its_label_a_label():
    bad = {**ESCALATE, "actions": [{**ESCALATE["actions"][0], "queue": "Not A Name"}]}
    assert {p.pointer for p in schema_problems("automations", bad)} == {"/actions/0/queue"}
    worse = {**ESCALATE, "actions": [{**ESCALATE["actions"][0], "queue_label": {"EN": ""}}]}
    assert [p.pointer for p in schema_problems("automations", worse)] == [
        "/actions/0/queue_label/EN"
    ]
    assert schema_problems("automations", ESCALATE) == []


def test_two_notify_actions_may_not_name_one_queue_differently():
    other = {
        **TELL_OWNER,
        "actions": [{**TELL_OWNER["actions"][0], "queue": "escalations", "queue_label": "Late"}],
    }
    problems = cross_check(
        {"objects": {"ticket": TICKET}, "automations": {"escalate": ESCALATE, "tell_owner": other}}
    )
    assert {(p.name, p.pointer) for p in problems} == {
        ("escalate", "/actions/0/queue_label"),
        ("tell_owner", "/actions/0/queue_label"),
    }
    same = {**other, "actions": [{**other["actions"][0], "queue_label": ESCALATE["actions"][0]["queue_label"]}]}  # fmt: skip
    unnamed = {**other, "actions": [{**TELL_OWNER["actions"][0], "queue": "escalations"}]}
    for fine in (same, unnamed):
        docs = {"objects": {"ticket": TICKET}, "automations": {"escalate": ESCALATE, "x": fine}}
        assert cross_check(docs) == []


def test_the_migration_files_earlier_notifications_in_queues(tenant):
    """Notifications written before queues existed get theirs from their source."""
    config = migrate._alembic_config()
    with tenant.database.ddl_transaction() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0011_transition_occurred_at")
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with tenant.database.transaction(write=True) as conn:
        user = {"email": "old@example.com", "created_at": now, "updated_at": now}
        user_id = conn.execute(st.user.insert().values(user).returning(st.user.c.id)).scalar_one()
        for source in ("automation:sla_warning_alert", "approval:3", "elsewhere"):
            old = {"user_id": user_id, "title": source, "source": source, "created_at": now}
            conn.execute(st.notification.insert().values(old))  # the columns 0011 had
    assert migrate.upgrade(tenant.database) == (
        "0011_transition_occurred_at",
        migrate.head_revision(),
    )
    with tenant.database.transaction() as conn:
        rows = conn.execute(sa.select(st.notification.c.source, st.notification.c.queue))
        queues = {row.source: row.queue for row in rows}
    assert queues == {
        "automation:sla_warning_alert": "sla_warning_alert",
        "approval:3": "approval",
        "elsewhere": None,
    }

"""The ticket object, its workflow and roles, shared by workflow, SLA and API tests."""

import datetime as dt

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)

TICKET = {
    "name": "ticket",
    "fields": [
        {"name": "title", "type": "text"},
        {
            "name": "status",
            "type": "select",
            "options": [{"value": v} for v in ("new", "open", "approval", "done", "cancelled")],
        },
        {"name": "resolution", "type": "text"},
        {"name": "closed_by", "type": "user"},
        {"name": "approver", "type": "user"},
        {"name": "cost", "type": "integer"},
        {"name": "log", "type": "text"},
        {
            "name": "priority",
            "type": "select",
            "options": [{"value": v} for v in ("urgent", "normal")],
        },
    ],
}

WORKFLOW = {
    "name": "ticket_flow",
    "object": "ticket",
    "field": "status",
    "states": [
        {"name": "new", "category": "new", "initial": True, "max_dwell": "30m"},
        {"name": "open", "category": "open"},
        {"name": "approval", "category": "waiting", "sla_pause": True},
        {"name": "done", "category": "done"},
        {"name": "cancelled", "category": "cancelled"},
    ],
    "transitions": [
        {"name": "start", "label": {"en": "Start", "zh-CN": "开始"}, "from": ["new"], "to": "open"},
        {
            "name": "finish",
            "from": ["open"],
            "to": "done",
            "roles": ["agent"],
            "require": ["resolution"],
            "condition": "cost is None or cost < 1000",
            "set": {"closed_by": "user.id"},
            "actions": [{"type": "set_fields", "values": {"log": "=f'closed: {resolution}'"}}],
        },
        {
            "name": "spend",
            "from": ["open"],
            "to": "done",
            "approval": {
                "levels": [{"role": "manager"}, {"user_field": "approver"}],
                "pending_state": "approval",
                "on_reject": "send_back",
            },
        },
        {"name": "send_back", "from": ["approval"], "to": "open"},
        {"name": "cancel", "from": "*", "to": "cancelled", "comment_required": True},
        {"name": "note", "from": ["open"], "to": "open"},
    ],
}

ROLES = [
    ("roles", {"name": n, "objects": {"ticket": {"read": "all", "create": "all", "update": "all"}}})
    for n in ("agent", "manager")
]

"""Objects for the assignment tests: engineers (candidates) and jobs to assign."""

import datetime as dt

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai

ENGINEER = {
    "name": "engineer",
    "title_field": "name",
    "fields": [
        {"name": "name", "type": "text"},
        {"name": "login", "type": "user"},
        {"name": "active", "type": "boolean", "default": True},
        {"name": "skills", "type": "json"},
        {"name": "groups", "type": "json"},
        {"name": "calendar", "type": "text"},
        {"name": "absences", "type": "json"},
        {"name": "location", "type": "geo"},
        {"name": "home", "type": "geo"},
    ],
}
SKILL_LEVEL = {
    "name": "skill_level",
    "fields": [
        {"name": "engineer", "type": "lookup", "target": "engineer", "on_delete": "cascade"},
        {"name": "skill", "type": "text"},
        {"name": "level", "type": "integer"},
    ],
}
JOB = {
    "name": "job",
    "fields": [
        {"name": "title", "type": "text"},
        {
            "name": "status",
            "type": "select",
            "options": [{"value": v} for v in ("new", "dispatched", "done")],
        },
        {"name": "priority", "type": "select", "options": [{"value": "urgent"}, {"value": "low"}]},
        {"name": "engineer", "type": "lookup", "target": "engineer", "on_delete": "set_null"},
        {"name": "owner_user", "type": "user"},
        {"name": "parent", "type": "lookup", "target": "job", "on_delete": "set_null"},
        {"name": "required_skills", "type": "json"},
        {"name": "group", "type": "text"},
        {"name": "start", "type": "datetime"},
        {"name": "duration", "type": "integer"},
        {"name": "location", "type": "geo"},
        {"name": "preferred", "type": "lookup", "target": "engineer", "on_delete": "set_null"},
        {"name": "excluded", "type": "json"},
    ],
}
JOB_FLOW = {
    "name": "job_flow",
    "object": "job",
    "field": "status",
    "states": [
        {"name": "new", "category": "new", "initial": True},
        {"name": "dispatched", "category": "open"},
        {"name": "done", "category": "done"},
    ],
    "transitions": [
        {"name": "dispatch", "from": ["new"], "to": "dispatched"},
        {"name": "finish", "from": "*", "to": "done"},
        {"name": "reopen", "from": ["done"], "to": "new", "set": {"engineer": "None"}},
    ],
}
CALENDAR = {
    "name": "day_shift",
    "time_zone": "Asia/Shanghai",
    "hours": {d: [["08:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}
NIGHT = {
    "name": "night_shift",
    "time_zone": "Asia/Shanghai",
    "hours": {d: [["18:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri")},
}


def rule(name, method, **extra):
    """An assignment rule document filling job.engineer from active engineers."""
    return (
        "assignment_rules",
        {
            "name": name,
            "object": "job",
            "field": "engineer",
            "when": {"on": "create"},
            "method": method,
            "candidates": {"object": "engineer", "filter": {"active": True}, "user_field": "login"},
            **extra,
        },
    )

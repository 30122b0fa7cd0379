"""OpenAPI parts of workflows, approvals and SLA clocks: per object with a workflow or SLA
policy its transition, timeline, approval and clock endpoints, and the shared endpoints."""

from __future__ import annotations

from typing import Any

from plinth.api.openapi.static_parts import (
    CURSOR,
    LIMIT,
    body,
    listing_of,
    ok,
    operation,
    path_param,
    query,
    ref,
)
from plinth.runtime.model import ObjectModel
from plinth.runtime.session import Session
from plinth.workflow.definitions import workflow_for
from plinth.workflow.sla_clocks import STATUSES
from plinth.workflow.sla_policies import policies_for

TAG = "workflow"
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}
TIME = {"type": "string", "format": "date-time"}
MAYBE_TIME = {**TIME, "nullable": True}
MAYBE_TEXT = {"type": "string", "nullable": True}
MAYBE_INT = {"type": "integer", "nullable": True}
COMMENT = {"type": "string", "maxLength": 4000}

TRANSITION_OPTION = {
    "type": "object",
    "required": ["name", "label", "to", "needs_approval", "missing", "comment_required"],
    "properties": {
        "name": {"type": "string"},
        "label": {"type": "string"},
        "to": {"type": "string"},
        "needs_approval": {"type": "boolean"},
        "missing": {"type": "array", "items": {"type": "string"}},
        "comment_required": {"type": "boolean"},
    },
}
TIMELINE_ENTRY = {
    "type": "object",
    "required": ["transition", "from", "to", "by", "at", "comment", "dwell_seconds"],
    "properties": {
        "transition": MAYBE_TEXT,
        "from": MAYBE_TEXT,
        "to": {"type": "string"},
        "by": MAYBE_INT,
        "at": TIME,
        "comment": MAYBE_TEXT,
        "dwell_seconds": {"type": "number"},
        "current": {"type": "boolean"},
    },
}
SLA_CLOCK = {
    "type": "object",
    "required": [
        "policy",
        "target",
        "status",
        "started_at",
        "due_at",
        "warn_at",
        "elapsed_seconds",
        "paused_seconds",
        "stopped_at",
    ],
    "properties": {
        "policy": {"type": "string"},
        "target": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)},
        "paused": {"type": "boolean"},
        "priority": MAYBE_TEXT,
        "started_at": TIME,
        "due_at": {**MAYBE_TIME, "description": "null while the clock is paused"},
        "warn_at": MAYBE_TIME,
        "target_seconds": {"type": "integer"},
        "elapsed_seconds": {"type": "number", "description": "business seconds"},
        "paused_seconds": {"type": "number", "description": "business seconds"},
        "stopped_at": MAYBE_TIME,
        "breached_at": MAYBE_TIME,
    },
}
SLA_BREACH = {
    **SLA_CLOCK,
    "required": ["id", "record_id", *SLA_CLOCK["required"]],
    "properties": {
        "id": {"type": "integer"},
        "record_id": {"type": "integer"},
        **SLA_CLOCK["properties"],
    },
}
APPROVAL = {
    "type": "object",
    "required": ["id", "object", "record_id", "transition", "status", "level", "levels", "steps"],
    "properties": {
        "id": {"type": "integer"},
        "object": {"type": "string"},
        "record_id": {"type": "integer"},
        "workflow": {"type": "string"},
        "transition": {"type": "string"},
        "status": {"type": "string", "enum": ["pending", "approved", "rejected", "cancelled"]},
        "level": {"type": "integer", "description": "the level waiting for a decision, from 0"},
        "levels": {"type": "integer"},
        "approver_role": MAYBE_TEXT,
        "approver_user_id": MAYBE_INT,
        "from_state": MAYBE_TEXT,
        "pending_state": {"type": "string"},
        "submitted_by": MAYBE_INT,
        "submitted_at": TIME,
        "comment": MAYBE_TEXT,
        "steps": {"type": "array", "items": {"type": "object"}},
    },
}
FIRE_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "comment": COMMENT,
        "values": {"type": "object", "description": "fields to set with the transition"},
    },
}
DECISION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"comment": {**COMMENT, "description": "required to reject"}},
}


def workflow_schemas() -> dict[str, Any]:
    return {
        "TransitionOption": TRANSITION_OPTION,
        "TimelineEntry": TIMELINE_ENTRY,
        "SlaClock": SLA_CLOCK,
        "SlaBreach": SLA_BREACH,
        "Approval": APPROVAL,
    }


def workflow_static_paths() -> dict[str, Any]:
    """The approval inbox, one approval and its decisions, and the breach report."""
    approval_id = path_param("approval_id", {"type": "integer", "minimum": 1})
    decided = ok(ref("Approval"))
    return {
        "/api/v1/approvals": {
            "get": operation(
                "Pending approvals the caller may decide",
                TAG,
                ok(listing_of(ref("Approval"), paged=False)),
                parameters=[LIMIT],
            )
        },
        "/api/v1/approvals/{approval_id}": {
            "parameters": [approval_id],
            "get": operation("One approval with its steps", TAG, ok(ref("Approval"))),
        },
        "/api/v1/approvals/{approval_id}/approve": {
            "parameters": [approval_id],
            "post": operation(
                "Approve the current level", TAG, decided, requestBody=body(DECISION, False)
            ),
        },
        "/api/v1/approvals/{approval_id}/reject": {
            "parameters": [approval_id],
            "post": operation(
                "Reject (a comment is required)", TAG, decided, requestBody=body(DECISION)
            ),
        },
        "/api/v1/sla/breaches": {
            "get": operation(
                "SLA clocks of an object that breached in a period, newest first",
                TAG,
                ok(listing_of(ref("SlaBreach"))),
                parameters=[
                    {**query("object", NAME), "required": True},
                    query("from", {"type": "string"}, "ISO 8601 date or instant (inclusive)"),
                    query("to", {"type": "string"}, "ISO 8601 date or instant (exclusive)"),
                    query("policy", {"type": "string"}),
                    query("target", {"type": "string"}),
                    LIMIT,
                    CURSOR,
                ],
            )
        },
    }


def workflow_object_paths(model: ObjectModel, session: Session) -> dict[str, Any]:
    """Record endpoints an object has because of its workflow and SLA policies."""
    base = f"/api/v1/records/{model.name}/{{id}}"
    record_id = path_param("id", {"type": "integer", "minimum": 1})
    paths: dict[str, Any] = {}
    workflow = workflow_for(session.compiled, model.name)
    if workflow is not None:
        names = sorted(workflow.transitions)
        if_match = {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "schema": {"type": "string"},
        }
        paths[f"{base}/transitions"] = {
            "parameters": [record_id],
            "get": operation(
                "Transitions the caller may fire now",
                TAG,
                ok(listing_of(ref("TransitionOption"), paged=False)),
            ),
        }
        paths[f"{base}/transitions/{{name}}"] = {
            "parameters": [record_id, path_param("name", {"type": "string", "enum": names})],
            "post": operation(
                "Fire a transition (409 when the record left its source state)",
                TAG,
                ok(ref(model.name)),
                requestBody=body(FIRE_REQUEST, False),
                parameters=[if_match],
            ),
        }
        timeline = listing_of(ref("TimelineEntry"), paged=False)
        timeline["properties"]["time_in_states"] = {
            "type": "object",
            "additionalProperties": {"type": "number"},
        }
        paths[f"{base}/timeline"] = {
            "parameters": [record_id],
            "get": operation("Transitions with time spent in each state", TAG, ok(timeline)),
        }
        paths[f"{base}/approvals"] = {
            "parameters": [record_id],
            "get": operation(
                "Approvals of the record", TAG, ok(listing_of(ref("Approval"), paged=False))
            ),
        }
    if policies_for(session.compiled, model.name):
        paths[f"{base}/sla"] = {
            "parameters": [record_id],
            "get": operation(
                "SLA clocks as of now", TAG, ok(listing_of(ref("SlaClock"), paged=False))
            ),
        }
    return paths

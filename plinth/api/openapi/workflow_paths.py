"""OpenAPI parts of workflows, approvals and SLA clocks per object: with a workflow its
transition, timeline and approval endpoints, with an SLA policy its clocks. The schemas
they refer to are components from ``plinth.workflow.schemas`` (see ``fixed.py``)."""

from __future__ import annotations

from typing import Any

from plinth.api.openapi.parts import body, listing_of, ok, operation, path_param, ref
from plinth.runtime.model import ObjectModel
from plinth.runtime.session import Session
from plinth.workflow.definitions import workflow_for
from plinth.workflow.sla_policies import policies_for

TAG = "workflow"
TIME = {"type": "string", "format": "date-time"}


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
                requestBody=body(ref("FireRequest"), False),
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

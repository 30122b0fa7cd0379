"""OpenAPI parts of assignment: per object with assignment rules, running them on a record
and its assignment log; per object with pool rules, the pool and claiming. The schemas they
refer to are components from ``plinth.rules.assignment.schemas`` (see ``fixed.py``)."""

from __future__ import annotations

from typing import Any

from plinth.api.openapi.parts import (
    CURSOR,
    LIMIT,
    body,
    listing_of,
    ok,
    operation,
    path_param,
    ref,
)
from plinth.api.openapi.workflow_paths import TAG, TIME
from plinth.rules.assignment.definitions import rules_for
from plinth.runtime.model import ObjectModel
from plinth.runtime.session import Session


def assignment_object_paths(model: ObjectModel, session: Session) -> dict[str, Any]:
    rules = rules_for(session.compiled, model.name)
    if not rules:
        return {}
    name = model.name
    record_id = path_param("id", {"type": "integer", "minimum": 1})
    base = f"/api/v1/records/{name}/{{id}}"
    paths: dict[str, Any] = {
        f"{base}/assign": {
            "parameters": [record_id],
            "post": operation(
                "Run assignment rules on the record (422 when none can assign)",
                TAG,
                ok(ref("AssignResult")),
                requestBody=body(ref("AssignRequest"), False),
            ),
        },
        f"{base}/assignments": {
            "parameters": [record_id],
            "get": operation(
                "Who assigned the record, by which rule, with the scores",
                TAG,
                ok(listing_of(ref("Assignment"), paged=False)),
            ),
        },
    }
    if any(r.pool for r in rules):
        pooled = {
            "type": "object",
            "required": ["record", "rule", "since"],
            "properties": {
                "record": ref(name),
                "rule": {"type": "string"},
                "since": TIME,
            },
        }
        paths[f"/api/v1/pool/{name}"] = {
            "get": operation(
                f"{model.label(plural=True)} the caller may claim",
                TAG,
                ok(listing_of(pooled)),
                parameters=[LIMIT, CURSOR],
            )
        }
        paths[f"{base}/claim"] = {
            "parameters": [record_id],
            "post": operation(
                "Claim the record; the first claim wins, later ones get 409",
                TAG,
                ok(ref(name)),
            ),
        }
    return paths

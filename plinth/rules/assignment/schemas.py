"""What the assignment endpoints take and give, as marshmallow schemas (the per-object
assignment paths of the OpenAPI document refer to them by name)."""

from __future__ import annotations

from plinth.schemas import Answer, Anything, Body, Flag, Instant, ListOf, Object, Text, Whole


class AssignRequest(Body):
    rule = Text(63, metadata={"description": "one rule; default: all by priority"})
    dry_run = Flag(metadata={"description": "only say what would happen"})


class AssignResult(Answer):
    rule = Text(required=True)
    method = Text(required=True)
    field = Text(required=True)
    assignee = Anything(required=True, allow_none=True, metadata={"type": "integer"})
    pool = ListOf(Whole(), required=True, allow_none=True)
    detail = Object(required=True, metadata={"description": "scores, exclusions and timings"})
    dry_run = Flag(required=True)


class Assignment(Answer):
    id = Whole(required=True)
    field = Text(required=True)
    rule = Text(required=True, allow_none=True)
    method = Text(required=True)
    assignee = Anything(required=True, allow_none=True, metadata={"type": "integer"})
    actor_id = Whole(required=True, allow_none=True)
    at = Instant(required=True)
    detail = Object(required=True, allow_none=True)

"""The ``transition`` action of automations: the workflow provides it to the rules engine
when the application is composed, so the rules never import the workflow."""

from __future__ import annotations

from typing import Any

from plinth.errors import Conflict
from plinth.rules.actions import ActionContext, related_ids
from plinth.workflow.transitions import PreconditionFailed, fire


def transition(ctx: ActionContext, action: dict[str, Any]) -> None:
    """Fire a workflow transition on another record (the work order of a field task), or
    on every record whose lookup ``via`` points here. Set off by a transition, it happened
    when that one did (its ``occurred_at``, moved into the other record's bounds)."""
    comment = action.get("comment") or f"automation {ctx.automation}"
    for record_id in related_ids(ctx, action):
        if record_id in (None, ""):
            continue  # nothing to move: the lookup is empty
        try:
            fire(
                ctx.session,
                action["object"],
                record_id,
                action["transition"],
                comment=comment,
                occurred_at=ctx.scope.get("occurred_at"),
                lenient_time=True,
            )
        except (Conflict, PreconditionFailed):
            if not action.get("if_possible"):
                raise

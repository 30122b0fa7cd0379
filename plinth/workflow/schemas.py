"""What the workflow endpoints take and give, as marshmallow schemas: firing a transition,
deciding an approval, the transitions on offer, the timeline, approvals and SLA clocks.

The routes load bodies and dump answers with these; the OpenAPI document shows them (the
per-object workflow paths refer to them by name)."""

from __future__ import annotations

from plinth.schemas import (
    Answer,
    Body,
    Choice,
    Flag,
    Instant,
    ListOf,
    Nested,
    Number,
    Object,
    Text,
    Whole,
)
from plinth.workflow.sla_clocks import STATUSES as CLOCK_STATUSES

COMMENT_LENGTH = 4000
APPROVAL_STATUSES = ("pending", "approved", "rejected", "cancelled")


class FireRequest(Body):
    """What may go with a transition."""

    comment = Text(COMMENT_LENGTH, allow_none=True)
    values = Object(allow_none=True, metadata={"description": "fields to set with the transition"})
    occurred_at = Instant(
        allow_none=True,
        metadata={
            "description": "when the step happened, if earlier (a device that did it offline): "
            "not later than now, nor before the record's last step or the maximum age, each "
            "give or take the clock skew allowed; the default is now"
        },
    )


class Decision(Body):
    """An approver's decision."""

    comment = Text(COMMENT_LENGTH, allow_none=True, metadata={"description": "required to reject"})


class TransitionOption(Answer):
    name = Text(required=True)
    label = Text(required=True)
    to = Text(required=True)
    needs_approval = Flag(required=True)
    missing = ListOf(Text(), required=True, metadata={"description": "required fields now empty"})
    comment_required = Flag(required=True)


TimelineEntry = Answer.from_dict(
    {
        "transition": Text(required=True, allow_none=True),
        "from": Text(required=True, allow_none=True),
        "to": Text(required=True),
        "by": Whole(required=True, allow_none=True),
        "at": Instant(required=True, metadata={"description": "when the server recorded it"}),
        "occurred_at": Instant(
            required=True, metadata={"description": "when it happened (the caller's time)"}
        ),
        "comment": Text(required=True, allow_none=True),
        "dwell_seconds": Number(required=True),
        "current": Flag(),
    },
    name="TimelineEntry",
)


class SlaClock(Answer):
    policy = Text(required=True)
    target = Text(required=True)
    status = Choice(CLOCK_STATUSES, required=True)
    paused = Flag()
    priority = Text(allow_none=True)
    started_at = Instant(required=True)
    due_at = Instant(required=True, allow_none=True, metadata={"description": "null while paused"})
    warn_at = Instant(required=True, allow_none=True)
    target_seconds = Whole()
    elapsed_seconds = Number(required=True, metadata={"description": "business seconds"})
    paused_seconds = Number(required=True, metadata={"description": "business seconds"})
    stopped_at = Instant(required=True, allow_none=True)
    breached_at = Instant(allow_none=True)


class SlaBreach(SlaClock):
    id = Whole(required=True)
    record_id = Whole(required=True)


class ApprovalStep(Answer):
    level = Whole(required=True)
    decision = Text(required=True)
    actor_id = Whole(allow_none=True)
    comment = Text(allow_none=True)
    at = Instant(required=True)


class Approval(Answer):
    id = Whole(required=True)
    object = Text(required=True)
    record_id = Whole(required=True)
    workflow = Text()
    transition = Text(required=True)
    status = Choice(APPROVAL_STATUSES, required=True)
    level = Whole(
        required=True, metadata={"description": "the level waiting for a decision, from 0"}
    )
    levels = Whole(required=True)
    approver_role = Text(allow_none=True)
    approver_user_id = Whole(allow_none=True)
    from_state = Text(allow_none=True)
    pending_state = Text()
    submitted_by = Whole(allow_none=True)
    submitted_at = Instant()
    decided_at = Instant(allow_none=True)
    comment = Text(allow_none=True)
    steps = ListOf(Nested(ApprovalStep), required=True)

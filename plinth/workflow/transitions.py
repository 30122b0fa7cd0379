"""Firing workflow transitions, and which ones a user may fire now.

A transition is the only way a workflow's state field changes. It runs in one transaction
with the record locked: two transitions racing from the same state cannot both win (the
second sees the new state and gets 409).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from plinth.errors import Conflict, NotFound, PermissionDenied, ValidationError
from plinth.i18n import Message, Named
from plinth.rules.record_rules import RuleFailed, evaluate_rule
from plinth.rules.sandbox.environment import blank
from plinth.rules.scope import rule_scope
from plinth.runtime.jsonable import to_jsonable
from plinth.runtime.record_values import coerce_input
from plinth.workflow.definitions import Transition, Workflow, workflow_for
from plinth.workflow.step_time import step_time

if TYPE_CHECKING:
    from plinth.auth.actor import Actor
    from plinth.rules.sandbox import CompiledRule
    from plinth.runtime.session import Session

# What kind of move a save is part of (see InProgress.kind).
MOVE, SUBMIT, APPROVED, REJECTED = "move", "submit", "approved", "rejected"
IN_PROGRESS = "workflow.move"  # in Session.state: the transition the session is saving


@dataclasses.dataclass
class InProgress:
    """The transition a save belongs to; the workflow's hooks read it from the session."""

    workflow: Workflow
    transition: Transition | None
    record_id: int
    from_state: str
    comment: str | None
    kind: str = MOVE
    approval_id: int | None = None
    name: str | None = None  # the name recorded on the timeline (defaults to the transition's)
    occurred_at: dt.datetime | None = None  # when the step happened, if the caller said so

    @property
    def timeline_name(self) -> str | None:
        return self.name or (self.transition.name if self.transition else None)


class PreconditionFailed(ValidationError):
    """A transition's condition does not hold for the record now."""


def require_workflow(session: Session, object_name: str) -> Workflow:
    session.compiled.object(object_name)  # 404 for an unknown object
    workflow = workflow_for(session.compiled, object_name)
    if workflow is None:
        raise NotFound(f"{object_name} has no workflow")
    return workflow


def may_fire(actor: Actor, transition: Transition) -> bool:
    """Role check only: admins and the system may fire anything."""
    return not transition.roles or actor.is_admin or bool(actor.roles & transition.roles)


def fire(
    session: Session,
    object_name: str,
    record_id: Any,
    name: str,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
    occurred_at: dt.datetime | None = None,
    lenient_time: bool = False,
) -> dict[str, Any]:
    """Fire transition ``name`` on a record as the session's actor; returns the record.

    ``occurred_at``: when the step happened, if earlier than now (checked by
    ``step_time``; ``lenient_time`` moves it into bounds instead of refusing it). Its
    ``set`` expressions and actions see it as ``occurred_at`` (now when not given)."""
    workflow = require_workflow(session, object_name)
    transition = workflow.transitions.get(name)
    if transition is None:
        raise NotFound(f"{object_name} has no transition {name!r}")
    if not may_fire(session.actor, transition):
        roles = session.compiled.docs("roles")
        raise PermissionDenied(
            Message(
                "only {roles} may {action}",
                roles=[Named(r, roles.get(r, {}).get("label")) for r in sorted(transition.roles)],
                action=action_of(transition),
            )
        )
    # With roles, the roles are the permission (reading the record is enough); without,
    # firing a transition is an update of the record.
    action = "read" if transition.roles else "update"
    record = session.records.lock(object_name, record_id, action, expected_version)
    state = record[workflow.field]
    if not transition.leaves(state):
        known = workflow.states.get(state)
        raise Conflict(
            Message(
                "{object} {id} is {state}: {transition} is not possible from there",
                object=Named(object_name, session.compiled.object(object_name).spec.get("label")),
                id=record["id"],
                state=Named(repr(state), known.label if known else None),
                transition=Named(name, transition.label),
            ),
            state=state,
        )
    when = step_time(session, object_name, record["id"], occurred_at, lenient_time)
    given = _caller_values(session, object_name, workflow, values)
    merged = {**record, **given}
    check_preconditions(session, workflow, transition, merged, record, comment, when)
    given.update(_set_values(session, workflow, transition, merged, record, when))
    target = transition.approval.pending_state if transition.approval else transition.to
    kind = SUBMIT if transition.approval else MOVE
    move = InProgress(workflow, transition, record["id"], state, comment, kind, occurred_at=when)
    return apply_move(session, object_name, record["id"], move, {**given, workflow.field: target})


def apply_move(
    session: Session, object_name: str, record_id: int, move: InProgress, values: dict[str, Any]
) -> dict[str, Any]:
    """Save a move with full access (the checks are done); answer what the actor may see."""
    full = session.with_full_access()
    full.state[IN_PROGRESS] = move
    full.trusted_writes = True  # caller values were checked; `set` comes from the metadata
    full.records.update(object_name, record_id, values, touch=True)
    try:
        return session.records.get(object_name, record_id)
    except (NotFound, PermissionDenied):  # e.g. a reassignment took it out of their scope
        return {"id": record_id, move.workflow.field: values[move.workflow.field]}


def check_preconditions(
    session: Session,
    workflow: Workflow,
    transition: Transition,
    merged: dict[str, Any],
    old: dict[str, Any],
    comment: str | None,
    occurred_at: dt.datetime | None = None,
) -> None:
    """Required fields, a required comment and the condition; 422 naming what is wrong."""
    locale, action = session.actor.locale, action_of(transition)
    required = Message("is required to {action}", locale, action=action)
    errors: dict[str, list[str]] = {}
    for field in transition.require:
        if blank(merged.get(field)):
            errors.setdefault(field, []).append(required)
    if transition.comment_required and blank(comment):
        errors.setdefault("comment", []).append(required)
    if errors:
        raise ValidationError(errors)
    holds = transition.condition is None or _holds(
        session, workflow, transition, merged, old, occurred_at
    )
    if not holds:
        reason = transition.condition_message or Message("its condition does not hold")
        detail = Message(
            "{action} is not possible now: {reason}", locale, action=action, reason=reason
        )
        raise PreconditionFailed(detail=detail)


def action_of(transition: Transition) -> Any:
    """A transition as messages name it: its label (the English text shows it in the
    caller's language, as the API always has), or its name made readable."""
    return transition.label or transition.title()


def available(session: Session, workflow: Workflow, record: dict[str, Any]) -> list[dict[str, Any]]:
    """The transitions the actor may fire from the record's state now (record: every field),
    with the required fields still missing."""
    locale = session.actor.locale
    result = []
    for transition in workflow.from_state(record.get(workflow.field)):
        if not may_fire(session.actor, transition):
            continue
        if transition.condition is not None:
            try:
                if not _holds(session, workflow, transition, record, record):
                    continue
            except RuleFailed:
                continue
        result.append(
            {
                "name": transition.name,
                "label": transition.title(locale),
                "to": transition.to,
                "needs_approval": transition.approval is not None,
                "missing": [f for f in transition.require if blank(record.get(f))],
                "comment_required": transition.comment_required,
            }
        )
    return result


def available_on(session: Session, object_name: str, record_id: Any) -> list[dict[str, Any]]:
    """What the actor may fire on a record now (404 when they may not read it)."""
    workflow = require_workflow(session, object_name)
    visible = session.records.get(object_name, record_id, fields=["id"])
    record = session.with_full_access().records.get(object_name, visible["id"])
    return available(session, workflow, record)


def _caller_values(
    session: Session, object_name: str, workflow: Workflow, values: dict[str, Any] | None
) -> dict[str, Any]:
    """Fields the caller sets along with the transition, checked against their access."""
    if not values:
        return {}
    if not isinstance(values, dict):
        raise ValidationError.single("values", "must be an object of field values")
    if workflow.field in values:
        raise ValidationError.single(workflow.field, "is set by the transition")
    model = session.compiled.object(object_name)
    guard = session.guard
    return coerce_input(
        model,
        values,
        session.coercion,
        guard.readable(model),
        guard.editable(model),
        session.actor.is_system,
    )


def _scope(
    session: Session,
    workflow: Workflow,
    merged: dict[str, Any],
    old: dict[str, Any],
    occurred_at: dt.datetime | None,
) -> dict[str, Any]:
    """What a transition's condition and ``set`` expressions see: the record, and
    ``occurred_at`` (when the step happened: now unless the caller said otherwise)."""
    fields = tuple(session.compiled.object(workflow.object).fields)
    when = occurred_at or session.tenant.clock()
    return rule_scope(session, merged, old, fields=fields, occurred_at=when)


def _holds(
    session: Session,
    workflow: Workflow,
    transition: Transition,
    merged: dict[str, Any],
    old: dict[str, Any],
    occurred_at: dt.datetime | None = None,
) -> bool:
    scope = _scope(session, workflow, merged, old, occurred_at)
    condition = cast("CompiledRule", transition.condition)  # only called when it has one
    return bool(evaluate_rule(condition, scope, f"transition {transition.name}: condition"))


def _set_values(
    session: Session,
    workflow: Workflow,
    transition: Transition,
    merged: dict[str, Any],
    old: dict[str, Any],
    occurred_at: dt.datetime | None,
) -> dict[str, Any]:
    values = {}
    scope = _scope(session, workflow, merged, old, occurred_at)
    for field, rule in transition.set:
        value = evaluate_rule(rule, scope, f"transition {transition.name}: set {field}:")
        values[field] = value if isinstance(value, (dict, list)) else to_jsonable(value)
    return values

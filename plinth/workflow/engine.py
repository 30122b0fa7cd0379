"""The workflow engine of a tenant: guards state fields, records transitions, runs their
actions, keeps approvals and SLA clocks in step, and sweeps dwell limits and SLA events."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from plinth.errors import ValidationError
from plinth.jobs.registry import JobContext
from plinth.rules.actions import AFTER_COMMIT, AFTER_SAVE, BEFORE_SAVE, register_runner
from plinth.rules.automations import run_actions
from plinth.runtime.events import DwellPassed, RecordEvent, TransitionRecorded
from plinth.workflow import approvals, sla_tracking, timeline, transition_action
from plinth.workflow.definitions import Transition, Workflow, workflow_for
from plinth.workflow.transitions import APPROVED, IN_PROGRESS, REJECTED, SUBMIT, InProgress

if TYPE_CHECKING:
    from plinth.runtime.session import Session
    from plinth.runtime.session import TenantContext as Tenant

log = logging.getLogger(__name__)
SWEEP_SECONDS = 60
# In Session.inherited: the user whose transition set off the actions running as the
# system, so a transition they cascade to (a work order's cancel cancelling its field
# tasks) is recorded on the timeline as theirs.
ON_BEHALF_OF = "workflow.on_behalf_of"


class WorkflowEngine:
    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        tenant.events.register("before_save", self._before_save)
        tenant.events.register("after_save", self._after_save)
        tenant.events.register("after_delete", self._after_delete)
        tenant.jobs.register("workflow.dwell", self._dwell_job, max_attempts=3)
        tenant.jobs.register("workflow.sla_sweep", self._sla_job, max_attempts=3)
        tenant.jobs.every("workflow.dwell", SWEEP_SECONDS)
        tenant.jobs.every("workflow.sla_sweep", SWEEP_SECONDS)
        register_runner("transition", transition_action.transition)

    # ---- record events ----------------------------------------------------------------------
    def _before_save(self, event: RecordEvent) -> None:
        workflow = workflow_for(event.session.compiled, event.model.name)
        if workflow is None:
            return
        values, field = event.values, workflow.field
        if event.action == "create":
            if values.get(field) is None:
                values[field] = workflow.initial
            elif values[field] != workflow.initial and not event.session.actor.is_system:
                raise ValidationError.single(
                    field, f"new records start in {workflow.initial!r}; then fire transitions"
                )
            return
        move = _move_of(event.session, event.model.name, values)
        if move is not None and move.transition is not None and move.kind != SUBMIT:
            _run_actions(event.session, event, move, BEFORE_SAVE)

    def _after_save(self, event: RecordEvent) -> None:
        session, model = event.session, event.model
        workflow = workflow_for(session.compiled, model.name)
        if workflow is not None:
            self._record_move(event, workflow)
        sla_tracking.on_save(session, model, event.values, event.old)

    def _record_move(self, event: RecordEvent, workflow: Workflow) -> None:
        session, record, field = event.session, event.values, workflow.field
        now = self.tenant.clock()
        if event.action == "create":
            timeline.enter(
                session.conn,
                workflow,
                event.model.name,
                record["id"],
                None,
                None,
                record[field],
                session.actor.id,
                now,
            )
            return
        move = _move_of(session, event.model.name, record)
        if move is None:
            old = cast("dict[str, Any]", event.old)  # an update: the record was there before
            if record.get(field) != old.get(field):
                raise ValidationError.single(
                    field,
                    f"is managed by workflow {workflow.name}: fire a transition "
                    f"(POST /api/v1/records/{event.model.name}/{record['id']}/transitions/NAME)",
                )
            return
        session.state[IN_PROGRESS] = None  # recorded once, even if an action saves the record again
        timeline.enter(
            session.conn,
            workflow,
            event.model.name,
            record["id"],
            move.timeline_name,
            move.from_state,
            record[field],
            _actor_id(session),
            now,
            move.comment,
            move.occurred_at,
        )
        if move.kind == SUBMIT:
            approvals.open_approval(session, workflow, move, record)
            return
        if move.kind not in (APPROVED, REJECTED):
            approvals.cancel_open(
                session, event.model.name, record["id"], f"left by {move.timeline_name}"
            )
        if move.transition is not None:
            for phase in (AFTER_SAVE, AFTER_COMMIT):
                _run_actions(session, event, move, phase)
            key = f"{event.model.name}:{record['id']}:transition:v{record['version']}"
            self.tenant.events.publish(
                TransitionRecorded(
                    session, event.model, record, event.old, move.transition.name, key
                )
            )

    def _after_delete(self, event: RecordEvent) -> None:
        old = cast("dict[str, Any]", event.old)  # a deleted record was there before
        session, name, record_id = event.session, event.model.name, old["id"]
        sla_tracking.delete_clocks(session, name, record_id)
        approvals.cancel_open(session, name, record_id, "the record was deleted")
        timeline.leave(session.conn, name, record_id, self.tenant.clock())

    # ---- sweeps -----------------------------------------------------------------------------
    def _dwell_job(self, job: JobContext) -> None:
        sweep_dwell(cast("Session", job.session))  # not long-running: it has a session

    def _sla_job(self, job: JobContext) -> None:
        sla_tracking.sweep(cast("Session", job.session))


def sweep_dwell(session: Session) -> int:
    """Raise on_dwell for each record that stayed too long in its state, once per stay."""
    now = session.tenant.clock()
    count = 0
    for entry in timeline.overdue_dwells(session.conn, now):
        if not timeline.claim_dwell(session.conn, entry["id"], now):
            continue
        try:
            with session.savepoint():
                _dwell(session, entry)
            count += 1
        except Exception:  # noqa: BLE001 - reported once; a broken automation is logged
            log.exception("dwell event of %s %s failed", entry["object"], entry["record_id"])
    return count


def _dwell(session: Session, entry: dict[str, Any]) -> None:
    system = session.as_system()
    model = system.compiled.object(entry["object"])
    record = system.records.get(entry["object"], entry["record_id"])
    session.tenant.events.publish(
        DwellPassed(system, model, record, entry["to_state"], f"dwell:{entry['id']}")
    )


def _move_of(session: Session, object_name: str, record: dict[str, Any]) -> InProgress | None:
    move: InProgress | None = session.state.get(IN_PROGRESS)
    if move is None or move.workflow.object != object_name or move.record_id != record.get("id"):
        return None
    return move


def _actor_id(session: Session) -> int | None:
    """Who a step is recorded as: the actor, or for the system acting on a transition's
    behalf, the user who fired that transition."""
    if session.actor.id is not None:
        return session.actor.id
    return session.inherited.get(ON_BEHALF_OF)


def _run_actions(session: Session, event: RecordEvent, move: InProgress, phase: str) -> None:
    """The transition's actions of ``phase``; their expressions see ``occurred_at``. They
    run as the system on behalf of whoever fired the transition (``ON_BEHALF_OF``)."""
    session.inherited[ON_BEHALF_OF] = _actor_id(session)
    transition = cast(Transition, move.transition)  # only moves by a transition run actions
    doc = {"name": f"{move.workflow.name}.{transition.name}", "actions": list(transition.actions)}
    key = f"{event.model.name}:{event.values.get('id')}:transition:v{event.values.get('version')}"
    scope = {"occurred_at": move.occurred_at or session.tenant.clock()}
    run_actions(
        session, event.model, doc, phase, event.values, event.old, "on_transition", key, scope=scope
    )

"""The rules engine of a tenant: plugs defaults, formulas, validation rules and automations
into the record service's hooks, and registers the jobs they use."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from plinth.jobs.registry import JobContext
from plinth.rules import email_outbox, scheduled
from plinth.rules.actions import (
    AFTER_COMMIT,
    AFTER_SAVE,
    BEFORE_SAVE,
    RUNNERS,
    ActionContext,
    scope_from_payload,
)
from plinth.rules.automations import run_actions, triggered
from plinth.rules.delivery import send_email
from plinth.rules.index import rules_for
from plinth.rules.record_rules import (
    apply_defaults,
    compute_formulas,
    formulas_on_read,
    run_validations,
)
from plinth.rules.sandbox.budget import shared_deadline
from plinth.rules.sandbox.limits import MAX_READ_SECONDS
from plinth.runtime.events import (
    DwellPassed,
    FormulasRead,
    RecordEvent,
    SchedulerTick,
    SlaRaised,
    TransitionRecorded,
)

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session
    from plinth.runtime.session import TenantContext as Tenant

log = logging.getLogger(__name__)


def event_key(model_name: str, record: dict[str, Any], action: str) -> str:
    return f"{model_name}:{record.get('id')}:{action}:v{record.get('version')}"


class RulesEngine:
    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        tenant.events.register("before_save", self._before_save)
        tenant.events.register("after_save", self._after_save)
        tenant.events.register("after_delete", self._after_delete)
        tenant.events.register(FormulasRead.event, self._formulas_read)
        tenant.events.register(TransitionRecorded.event, self._transition_recorded)
        tenant.events.register(SlaRaised.event, self._sla_raised)
        tenant.events.register(DwellPassed.event, self._dwell_passed)
        tenant.events.register(SchedulerTick.event, self._scheduler_tick)
        tenant.jobs.register("rules.action", self._action_job)
        tenant.jobs.register("rules.email", self._email_job)
        tenant.jobs.register("rules.scheduled", self._scheduled_job, max_attempts=3)

    # ---- record events ----------------------------------------------------------------------
    def _before_save(self, event: RecordEvent) -> None:
        session = event.session
        rules = rules_for(session.compiled, event.model.name)
        values, old = event.values, event.old
        if event.action == "create" and rules.defaults:
            apply_defaults(session, rules, values)
        trigger = "on_create" if event.action == "create" else "on_update"
        changed = {n for n in values if old is None or values[n] != old.get(n)}
        for doc in list(triggered(session, rules, trigger, values, old, changed)):
            run_actions(session, event.model, doc, BEFORE_SAVE, values, old, trigger, "before-save")
        if rules.formulas:
            compute_formulas(session, rules, values, old, stored_only=True)
        if rules.validations:
            run_validations(session, rules, event.action, values, old)

    def _after_save(self, event: RecordEvent) -> None:
        session = event.session
        rules = rules_for(session.compiled, event.model.name)
        trigger = "on_create" if event.action == "create" else "on_update"
        if not rules.automations.get(trigger):
            return
        key = event_key(event.model.name, event.values, event.action)
        for doc in list(triggered(session, rules, trigger, event.values, event.old, event.changed)):
            for phase in (AFTER_SAVE, AFTER_COMMIT):
                run_actions(session, event.model, doc, phase, event.values, event.old, trigger, key)

    def _after_delete(self, event: RecordEvent) -> None:
        session = event.session
        rules = rules_for(session.compiled, event.model.name)
        if not rules.automations.get("on_delete"):
            return
        old = cast("dict[str, Any]", event.old)  # a deleted record was there before
        key = event_key(event.model.name, old, "delete")
        for doc in list(triggered(session, rules, "on_delete", old, None)):
            for phase in (AFTER_SAVE, AFTER_COMMIT):
                run_actions(
                    session,
                    event.model,
                    doc,
                    phase,
                    old,
                    None,
                    "on_delete",
                    key,
                    saving=False,
                )

    def _formulas_read(self, event: FormulasRead) -> None:
        """Non-stored formulas of records being read. Each run is bounded, but a read runs
        records x formulas of them: they share one deadline, past which the formulas left
        read as null (see plinth/rules/sandbox/budget.py)."""
        rules = rules_for(event.session.compiled, event.model.name)
        if rules.formulas:
            with shared_deadline(MAX_READ_SECONDS):
                formulas_on_read(event.session, rules, event.records, event.wanted)

    def _transition_recorded(self, event: TransitionRecorded) -> None:
        self._dispatch(
            event.session,
            "on_transition",
            event.model,
            event.record,
            event.old,
            event.key,
            transition=event.transition,
        )

    def _sla_raised(self, event: SlaRaised) -> None:
        self._dispatch(
            event.session,
            "on_sla",
            event.model,
            event.record,
            None,
            event.key,
            sla_event=event.sla_event,
            target=event.target,
        )

    def _dwell_passed(self, event: DwellPassed) -> None:
        self._dispatch(
            event.session, "on_dwell", event.model, event.record, None, event.key, state=event.state
        )

    def _dispatch(
        self,
        session: Session,
        trigger: str,
        model: ObjectModel,
        record: dict[str, Any],
        old: dict[str, Any] | None,
        key: str,
        **match: Any,
    ) -> None:
        """Run automations of other triggers (on_transition, on_sla, on_dwell) for a record."""
        rules = rules_for(session.compiled, model.name)
        for doc in list(triggered(session, rules, trigger, record, old, **match)):
            for phase in (AFTER_SAVE, AFTER_COMMIT):
                run_actions(session, model, doc, phase, record, old, trigger, key, saving=False)

    def _scheduler_tick(self, tick: SchedulerTick) -> None:
        """Enqueue every due run of the scheduled automations."""
        tick.counts["cron"] = scheduled.enqueue_due(tick.session, tick.now, tick.length)

    # ---- jobs -------------------------------------------------------------------------------
    def _action_job(self, job: JobContext) -> None:
        payload = job.payload
        session = cast("Session", job.session)  # not long-running: it has a session
        model = session.compiled.object(payload["object"])
        context = ActionContext(
            session,
            model,
            payload["record"] or {},
            payload["old"],
            payload["automation"],
            payload["event"],
            AFTER_COMMIT,
            payload["key"],
            scope_from_payload(payload.get("scope")),
        )
        action = payload["action"]
        if action["type"] == "webhook":
            RUNNERS["webhook"](context, action, attempt=job.attempt)
        else:
            RUNNERS[action["type"]](context, action)

    def _email_job(self, job: JobContext) -> None:
        payload = job.payload
        config = self.tenant.config
        if not config["SMTP_HOST"]:  # kept for admins to read instead of failing and retrying
            to, subject, body = payload["to"], payload["subject"], payload["body"]
            session = cast("Session", job.session)  # not long-running: it has a session
            email_outbox.keep(session.conn, job.key, to, subject, body, self.tenant.clock())
            return
        send_email(config, payload["to"], payload["subject"], payload["body"])

    def _scheduled_job(self, job: JobContext) -> None:
        session = cast("Session", job.session)  # not long-running: it has a session
        scheduled.run(session, job.payload["automation"], job.payload["at"], job.key)

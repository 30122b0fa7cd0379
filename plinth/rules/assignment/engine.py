"""The assignment engine of a tenant: runs assignment rules when records are created or
enter a state, on request (manual), and keeps pools and the assignment log in step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from plinth.errors import NotFound, ValidationError
from plinth.rules.assignment import log, pools
from plinth.rules.assignment.definitions import AssignmentRule, rule_named, rules_for
from plinth.rules.assignment.methods import Decision, decide
from plinth.rules.index import rules_for as object_rules
from plinth.rules.record_rules import apply_defaults, evaluate_rule
from plinth.rules.sandbox.environment import blank
from plinth.rules.scope import rule_scope
from plinth.runtime.events import RecordEvent
from plinth.workflow.definitions import workflow_for

if TYPE_CHECKING:
    from plinth.runtime.session import Session
    from plinth.runtime.session import TenantContext as Tenant


PENDING = "assignment.pending"  # in Session.state: decided before a save, applied after it


class AssignmentEngine:
    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        tenant.events.register("before_save", self._before_save)
        tenant.events.register("after_save", self._after_save)
        tenant.events.register("after_delete", self._after_delete)

    # ---- automatic triggers -------------------------------------------------------------
    def _before_save(self, event: RecordEvent) -> None:
        rules = [r for r in rules_for(event.session.compiled, event.model.name) if _fires(event, r)]
        if not rules:
            return
        values, session = event.values, event.session
        seen = _as_created(session, event) if event.action == "create" else values
        # Decisions of an earlier save of this object that failed before its after_save.
        pending = session.state.setdefault(PENDING, [])
        pending[:] = [p for p in pending if p[0] != event.model.name]
        for field in sorted({r.field for r in rules}):
            if not blank(values.get(field)):
                continue  # a rule fills only an empty field
            for rule in (r for r in rules if r.field == field):
                if not _condition_holds(session, rule, seen, event.old):
                    continue
                decision = decide(session, rule, seen)
                if not decision.decided:
                    continue
                if decision.assignee is not None:
                    values[field] = decision.assignee
                pending.append((event.model.name, decision))
                break

    def _after_save(self, event: RecordEvent) -> None:
        session, name, record = event.session, event.model.name, event.values
        decided = session.state.get(PENDING, [])
        pending = [d for n, d in decided if n == name]
        if pending:
            decided[:] = [p for p in decided if p[0] != name]
        for decision in pending:
            _apply(session, name, record["id"], decision)
        if event.action == "update" and not pending:
            self._close_filled_pools(session, event)

    def _close_filled_pools(self, session: Session, event: RecordEvent) -> None:
        pooled = {r.field for r in rules_for(session.compiled, event.model.name) if r.pool}
        if any(f in event.changed and not blank(event.values.get(f)) for f in pooled):
            pools.close(session, event.model.name, event.values["id"])

    def _after_delete(self, event: RecordEvent) -> None:
        if any(r.pool for r in rules_for(event.session.compiled, event.model.name)):
            old = cast("dict[str, Any]", event.old)  # a deleted record was there before
            pools.close(event.session, event.model.name, old["id"])


def _as_created(session: Session, event: RecordEvent) -> dict[str, Any]:
    """The new record as the rules will see it: with its expression defaults (a field
    task's location and service group from its site), which are applied after the
    assignment rules ran; on a copy, so a default reading the assigned field still sees it
    filled when it is applied."""
    record = dict(event.values)
    rules = object_rules(session.compiled, event.model.name)
    if rules.defaults:
        apply_defaults(session, rules, record)
    return record


# ---- on request -------------------------------------------------------------------------
def assign(
    session: Session,
    object_name: str,
    record_id: Any,
    rule_name: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Run one named rule, or the object's rules by priority until one decides, for a
    record the caller may update; with ``dry_run`` only say what would happen."""
    model = session.compiled.object(object_name)
    record = session.records.lock(object_name, record_id, "update")
    if rule_name is not None:
        rule = rule_named(session.compiled, object_name, rule_name)
        if rule is None:
            raise NotFound(f"{object_name} has no assignment rule {rule_name!r}")
        rules = [rule]
    else:
        rules = list(rules_for(session.compiled, model.name))
        if not rules:
            raise NotFound(f"{object_name} has no assignment rules")
    tried: list[dict[str, Any]] = []
    for rule in rules:
        if not _condition_holds(session, rule, record, None):
            tried.append({"rule": rule.name, "reason": "condition does not hold"})
            continue
        decision = _dry_decide(session, rule, record) if dry_run else decide(session, rule, record)
        if decision.decided:
            if not dry_run:
                if decision.assignee is not None:
                    session.records.update(
                        object_name, record["id"], {rule.field: decision.assignee}
                    )
                _apply(session, object_name, record["id"], decision)
            return _summary(decision, dry_run)
        tried.append(
            {
                "rule": rule.name,
                "reason": decision.detail.get("reason"),
                "detail": decision.detail,
            }
        )
    raise _nobody(tried)


def _dry_decide(session: Session, rule: AssignmentRule, record: dict[str, Any]) -> Decision:
    """Decide, then undo what deciding wrote (a round-robin pointer moving on)."""
    savepoint = session.conn.begin_nested()
    try:
        return decide(session, rule, record)
    finally:
        savepoint.rollback()


def _nobody(tried: list[dict[str, Any]]) -> ValidationError:
    reasons = [f"{t['rule']}: {t['reason']}" for t in tried]
    return ValidationError({"rule": ["no rule could assign this record", *reasons]})


def _summary(decision: Decision, dry_run: bool) -> dict[str, Any]:
    rule = decision.rule
    return {
        "rule": rule.name,
        "method": rule.method,
        "field": rule.field,
        "assignee": decision.assignee,
        "pool": [c.id for c in decision.pool] if decision.pool else None,
        "detail": decision.detail,
        "dry_run": dry_run,
    }


def _apply(session: Session, object_name: str, record_id: int, decision: Decision) -> None:
    rule = decision.rule
    if decision.pool:
        pools.publish(session, object_name, record_id, rule, decision.pool)
    method = f"{rule.method}:pool" if decision.pool else rule.method
    log.write(
        session,
        object_name,
        record_id,
        rule.field,
        rule.name,
        method,
        decision.assignee,
        decision.detail,
    )


def _fires(event: RecordEvent, rule: AssignmentRule) -> bool:
    if rule.on == "create":
        return event.action == "create"
    if rule.on != "state":
        return False
    workflow = workflow_for(event.session.compiled, event.model.name)
    if workflow is None:
        return False
    state = event.values.get(workflow.field)
    before = event.old.get(workflow.field) if event.old else None
    return state == rule.state and (event.action == "create" or state != before)


def _condition_holds(
    session: Session, rule: AssignmentRule, values: dict[str, Any], old: dict[str, Any] | None
) -> bool:
    if rule.condition is None:
        return True
    fields = tuple(session.compiled.object(rule.object).fields)
    scope = rule_scope(session, values, old, fields=fields)
    return bool(evaluate_rule(rule.condition, scope, f"assignment rule {rule.name}: condition"))

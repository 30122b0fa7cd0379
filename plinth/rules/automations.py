"""Which automations an event triggers, and running their actions phase by phase."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from plinth.rules.actions import AFTER_COMMIT, RUNNERS, ActionContext, phase_of, scope_payload
from plinth.rules.index import ObjectRules
from plinth.rules.record_rules import RuleFailed, evaluate_rule
from plinth.rules.scope import rule_scope
from plinth.runtime.jsonable import to_jsonable

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session

DEPTH_KEY = "rules.automation_depth"  # in Session.inherited: how deep automations nest
MAX_DEPTH = 5  # automations whose actions save records that trigger automations, ...


def triggered(
    session: Session,
    rules: ObjectRules,
    trigger_type: str,
    record: dict[str, Any],
    old: dict[str, Any] | None,
    changed: set[str] | None = None,
    **match: Any,
) -> Iterator[Mapping[str, Any]]:
    """The active automations of this trigger whose filters match and condition holds."""
    for doc, condition in rules.automations.get(trigger_type, ()):
        trigger = doc["trigger"]
        if trigger_type == "on_update" and trigger.get("fields"):
            if changed is None or not set(trigger["fields"]) & changed:
                continue
        if any(trigger.get(k) is not None and trigger.get(k) != v for k, v in match.items()):
            continue
        if condition is not None:
            scope = rule_scope(session, record, old, fields=rules.fields)
            if not evaluate_rule(condition, scope, f"automation {doc['name']}: condition"):
                continue
        yield doc


def run_actions(
    session: Session,
    model: ObjectModel,
    doc: Mapping[str, Any],
    phase: str,
    record: dict[str, Any],
    old: dict[str, Any] | None,
    event: str,
    key: str,
    saving: bool = True,
    scope: Mapping[str, dt.datetime] | None = None,
) -> None:
    """Run (or, after commit, enqueue) the actions of one automation that belong to ``phase``.

    Actions run as the system, in the session's transaction; ``key`` identifies the event
    so that a retried or repeated event enqueues each after-commit action once. ``scope``:
    names the event adds for the actions' expressions (see ``ActionContext.scope``).
    """
    actions = [(i, a) for i, a in enumerate(doc["actions"]) if phase_of(a, saving) == phase]
    if not actions:
        return
    depth = session.inherited.get(DEPTH_KEY, 0)
    if depth >= MAX_DEPTH:
        raise RuleFailed(
            f"automation {doc['name']}: automations set each other off more than {MAX_DEPTH} "
            "levels deep (a loop?)"
        )
    system = session.as_system()
    system.inherited[DEPTH_KEY] = depth + 1
    context = ActionContext(
        system, model, record, old, doc["name"], event, phase, key, dict(scope or {})
    )
    for index, action in actions:
        if phase == AFTER_COMMIT:
            payload = {
                "automation": doc["name"],
                "action": action,
                "object": model.name,
                "record": to_jsonable(record),
                "old": to_jsonable(old),
                "event": event,
                "key": f"{key}:{doc['name']}:{index}",
            }
            if scope:
                payload["scope"] = scope_payload(scope)
            session.tenant.jobs.enqueue(session, "rules.action", payload, key=payload["key"])
        else:
            RUNNERS[action["type"]](context, action)

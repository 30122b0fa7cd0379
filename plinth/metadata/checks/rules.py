"""Cross-checks of validation rules, automations and SLA policies."""

from __future__ import annotations

import zoneinfo
from typing import Any, cast

from plinth.metadata.checks.actions import check_actions
from plinth.metadata.checks.context import CheckContext
from plinth.rules.scheduled import cron_problem


def check_validation_rules(ctx: CheckContext) -> None:
    kind = "validation_rules"
    for name, rule in ctx.each(kind):
        if not ctx.require_object(kind, name, ("object",), rule.get("object")):
            continue
        ctx.require_fields(kind, name, ("fields",), rule["object"], rule.get("fields"))
        condition = rule.get("condition")
        ctx.require_expression(kind, name, ("condition",), condition, "eval", rule["object"])


def check_automations(ctx: CheckContext) -> None:
    kind = "automations"
    for name, auto in ctx.each(kind):
        trigger = auto.get("trigger", {})
        obj = auto.get("object")
        if obj is None and trigger.get("type") != "scheduled":
            ctx.add(kind, name, ("object",), "is required unless the trigger is scheduled")
        if obj is not None and not ctx.require_object(kind, name, ("object",), obj):
            continue
        if obj:
            ctx.require_fields(kind, name, ("trigger", "fields"), obj, trigger.get("fields"))
        if trigger.get("type") == "scheduled":
            cron = trigger.get("cron")
            if not cron:
                ctx.add(
                    kind, name, ("trigger", "cron"), "a scheduled trigger needs a cron expression"
                )
            elif cron_problem(cron):
                ctx.add(kind, name, ("trigger", "cron"), cast(str, cron_problem(cron)))
            if trigger.get("time_zone"):
                try:
                    zoneinfo.ZoneInfo(trigger["time_zone"])
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    message = f"unknown time zone {trigger['time_zone']!r}"
                    ctx.add(kind, name, ("trigger", "time_zone"), message)
        if trigger.get("type") == "on_transition" and obj:
            _check_transition_name(ctx, kind, name, obj, trigger.get("transition"))
        if trigger.get("type") == "on_sla" and not trigger.get("sla_event"):
            ctx.add(kind, name, ("trigger", "sla_event"), "an on_sla trigger needs sla_event")
        ctx.require_expression(kind, name, ("condition",), auto.get("condition"), "eval", obj)
        check_actions(ctx, kind, name, ("actions",), obj, auto.get("actions"))


def _check_transition_name(
    ctx: CheckContext, kind: str, name: str, obj: str | None, transition: Any
) -> None:
    if transition is None:
        return
    known = {
        t.get("name")
        for _, wf in ctx.each("workflows")
        if wf.get("object") == obj
        for t in wf.get("transitions", ())
    }
    if transition not in known:
        ctx.add(
            kind, name, ("trigger", "transition"), f"unknown transition {transition!r} of {obj}"
        )


def check_sla_policies(ctx: CheckContext) -> None:
    kind = "sla_policies"
    for name, policy in ctx.each(kind):
        obj = policy.get("object")
        if not ctx.require_object(kind, name, ("object",), obj):
            continue
        if policy.get("calendar") not in ctx.docs("calendars"):
            ctx.add(kind, name, ("calendar",), f"unknown calendar {policy.get('calendar')!r}")
        ctx.require_expression(kind, name, ("applies_if",), policy.get("applies_if"), "eval", obj)
        priorities = None
        if policy.get("priority_field"):
            field = ctx.fields(obj).get(policy["priority_field"])
            if field is None or field.get("type") != "select":
                ctx.add(kind, name, ("priority_field",), f"must be a select field of {obj}")
            else:
                priorities = {o.get("value") for o in field.get("options", ())} | {"default"}
        states = ctx.workflow_states(obj)
        for index, target in enumerate(policy.get("targets", ())):
            path = ("targets", index)
            for key in ("start_states", "stop_states"):
                for position, state in enumerate(target.get(key, ())):
                    if states is not None and state not in states:
                        ctx.add(kind, name, (*path, key, position), f"unknown state {state!r}")
            for priority in target.get("durations", {}):
                if priorities is not None and priority not in priorities:
                    ctx.add(
                        kind, name, (*path, "durations", priority), f"unknown priority {priority!r}"
                    )
                if priorities is None and priority != "default":
                    ctx.add(
                        kind,
                        name,
                        (*path, "durations", priority),
                        "without a priority_field the only key is 'default'",
                    )

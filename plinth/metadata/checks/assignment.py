"""Cross-checks of assignment rules: the field filled, candidates, methods and match criteria."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plinth.metadata.checks.context import CheckContext, Pointer

K = "assignment_rules"
GEO = "geo"


def check_assignment_rules(ctx: CheckContext) -> None:
    for name, rule in ctx.each(K):
        obj = rule.get("object")
        if not ctx.require_object(K, name, ("object",), obj):
            continue
        field = ctx.fields(obj).get(rule.get("field"))
        if field is None or field.get("type") not in ("lookup", "user"):
            ctx.add(K, name, ("field",), f"must be a lookup or user field of {obj}")
            field = None
        candidates = rule.get("candidates") or {}
        candidate_object = _check_candidates(ctx, name, rule, field, candidates)
        _check_when_and_method(ctx, name, rule, obj, candidates)
        if rule.get("match"):
            _check_match(ctx, name, obj, candidate_object, rule["match"])
        ctx.require_expression(K, name, ("condition",), rule.get("condition"), "eval", obj)


def _check_candidates(
    ctx: CheckContext,
    name: str,
    rule: Mapping[str, Any],
    field: Mapping[str, Any] | None,
    candidates: Mapping[str, Any],
) -> str | None:
    obj = rule["object"]
    if "role" in candidates:
        if candidates["role"] not in ctx.role_names():
            ctx.add(K, name, ("candidates", "role"), f"unknown role {candidates['role']!r}")
        if field is not None and field.get("type") != "user":
            ctx.add(K, name, ("candidates", "role"), "users with a role can fill only user fields")
        return None
    target = candidates.get("object")
    if not candidates or not ctx.require_object(K, name, ("candidates", "object"), target):
        return None
    if field is not None and field.get("type") == "lookup" and target != field.get("target"):
        ctx.add(K, name, ("candidates", "object"), f"must be {field.get('target')}")
    user_field = candidates.get("user_field")
    if user_field is not None and _type(ctx, target, user_field) != "user":
        ctx.add(K, name, ("candidates", "user_field"), f"must be a user field of {target}")
    if field is not None and field.get("type") == "user" and user_field is None:
        ctx.add(K, name, ("candidates", "user_field"), "a user field is filled from user_field")
    if rule.get("pool") and user_field is None:
        ctx.add(K, name, ("candidates", "user_field"), "a pool needs the candidates' user_field")
    known = ctx.field_names(target)
    for key in candidates.get("filter") or {}:
        if str(key).partition("__")[0] not in known:
            ctx.add(K, name, ("candidates", "filter", key), f"unknown field of {target}")
    # A candidate condition sees the record's fields and the candidate as `candidate`.
    ctx.require_expression(
        K,
        name,
        ("candidates", "condition"),
        candidates.get("condition"),
        "eval",
        obj,
        extra={"candidate"},
    )
    return target


def _check_when_and_method(
    ctx: CheckContext,
    name: str,
    rule: Mapping[str, Any],
    obj: str | None,
    candidates: Mapping[str, Any],
) -> None:
    states: set[str] | None
    when = rule.get("when", {})
    if when.get("on") == "state":
        states = ctx.workflow_states(obj) or set()
        if when.get("state") not in states:
            ctx.add(K, name, ("when", "state"), f"unknown state {when.get('state')!r}")
    method = rule.get("method")
    if method == "fixed" and rule.get("assignee") is None:
        ctx.add(K, name, ("assignee",), "the fixed method needs an assignee")
    if method == "based_on_field":
        _check_source_field(ctx, name, obj, rule.get("source_field"))
    if method in ("round_robin", "load_balancing", "best_match") and not candidates:
        ctx.add(K, name, ("candidates",), f"the {method} method needs candidates")
    if rule.get("pool") and method in ("fixed", "based_on_field"):
        ctx.add(K, name, ("pool",), f"the {method} method names one assignee: no pool")
    states = ctx.workflow_states(obj)
    for index, state in enumerate(rule.get("load_states", ())):
        if states is not None and state not in states:
            ctx.add(K, name, ("load_states", index), f"unknown state {state!r}")


def _check_source_field(ctx: CheckContext, name: str, obj: str | None, source: str | None) -> None:
    if not source:
        ctx.add(K, name, ("source_field",), "based_on_field needs source_field")
        return
    first, _, second = source.partition(".")
    field = ctx.fields(obj).get(first)
    if field is None:
        ctx.add(K, name, ("source_field",), f"unknown field {first!r} of {obj}")
    elif second:
        if field.get("type") != "lookup":
            ctx.add(K, name, ("source_field",), f"{first} must be a lookup to follow it")
        elif second not in ctx.field_names(field.get("target")):
            ctx.add(K, name, ("source_field",), f"unknown field {second!r} of {field['target']}")


def _check_match(
    ctx: CheckContext,
    name: str,
    obj: str | None,
    candidate_object: str | None,
    match: Mapping[str, Any],
) -> None:
    path: Pointer = ("match",)
    if candidate_object is None:
        ctx.add(K, name, path, "match criteria need candidates from an object")
        return
    record_fields = ctx.field_names(obj)

    def record_field(key: str, value: Any, *where: str | int) -> None:
        if value is not None and value not in record_fields:
            ctx.add(K, name, (*path, key, *where), f"unknown field {value!r} of {obj}")

    def candidate_source(key: str, value: Any, *where: str) -> None:
        if isinstance(value, Mapping):
            _check_related(ctx, name, (*path, key, *where), candidate_object, value)
        elif value is not None and value not in ctx.field_names(candidate_object):
            ctx.add(K, name, (*path, key, *where), f"unknown field {value!r} of {candidate_object}")

    for key in ("skills", "group"):
        if key in match:
            record_field(key, match[key].get("required" if key == "skills" else "record"), key)
            candidate_source(key, match[key].get("candidate"), "candidate")
    hours = match.get("working_hours")
    if hours:
        at = hours.get("at")
        if isinstance(at, list):
            for index, name in enumerate(at):
                record_field("working_hours", name, "at", index)
        else:
            record_field("working_hours", at, "at")
        record_field("working_hours", hours.get("duration"), "duration")
        candidate_source("working_hours", hours.get("calendar"), "calendar")
        candidate_source("working_hours", hours.get("absences"), "absences")
        default = hours.get("default_calendar")
        if default is not None and default not in ctx.docs("calendars"):
            ctx.add(K, name, (*path, "working_hours", "default_calendar"), "unknown calendar")
    distance = match.get("distance")
    if distance:
        if _type(ctx, obj, distance.get("record")) != GEO:
            ctx.add(K, name, (*path, "distance", "record"), f"must be a geo field of {obj}")
        for key in ("candidate", "fallback"):
            value = distance.get(key)
            if value is not None and _type(ctx, candidate_object, value) != GEO:
                ctx.add(
                    K, name, (*path, "distance", key), f"must be a geo field of {candidate_object}"
                )
    for key in ("preferred", "excluded", "required_candidate"):
        record_field(key, match.get(key))


def _check_related(
    ctx: CheckContext, name: str, path: Pointer, candidate_object: str, spec: Mapping[str, Any]
) -> None:
    other = spec.get("object")
    if not ctx.require_object(K, name, (*path, "object"), other):
        return
    via = ctx.fields(other).get(spec.get("via"))
    if via is None or via.get("type") != "lookup" or via.get("target") != candidate_object:
        ctx.add(K, name, (*path, "via"), f"must be a lookup of {other} to {candidate_object}")
    known = ctx.field_names(other)
    for key in ("key", "level", "efficiency", "from", "to"):
        if spec.get(key) is not None and spec[key] not in known:
            ctx.add(K, name, (*path, key), f"unknown field {spec[key]!r} of {other}")


def _type(ctx: CheckContext, obj: str | None, field: str | None) -> str | None:
    return (ctx.fields(obj).get(field) or {}).get("type") if obj and field else None

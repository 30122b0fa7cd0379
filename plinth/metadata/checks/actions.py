"""Cross-checks of automation actions (shared by automations and workflow transitions)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from plinth.metadata.checks.context import CheckContext, Pointer
from plinth.rules.webhook_addresses import saved_url_problem


def check_actions(
    ctx: CheckContext,
    kind: str,
    name: str,
    path: Pointer,
    obj: str | None,
    actions: Iterable[Mapping[str, Any]] | None,
    extra: tuple[str, ...] = (),
) -> None:
    """``obj`` is the object whose record triggers the actions (what expressions see);
    ``extra``: names the trigger adds (a transition's ``occurred_at``)."""
    for index, action in enumerate(actions or ()):
        here = (*path, index)
        kind_of = action.get("type")
        if kind_of == "set_fields" and obj:
            _check_values(ctx, kind, name, (*here, "values"), obj, obj, action.get("values"), extra)
        elif kind_of == "create_record":
            target = action.get("object")
            if ctx.require_object(kind, name, (*here, "object"), target):
                values = action.get("values")
                _check_values(ctx, kind, name, (*here, "values"), target, obj, values, extra)
        elif kind_of == "update_related":
            target = action.get("object")
            if ctx.require_object(kind, name, (*here, "object"), target):
                via = ctx.fields(target).get(action.get("via"))
                if via is None or via.get("type") != "lookup" or via.get("target") != obj:
                    ctx.add(kind, name, (*here, "via"), f"must be a lookup of {target} to {obj}")
                _check_values(
                    ctx,
                    kind,
                    name,
                    (*here, "values"),
                    target,
                    obj,
                    action.get("values"),
                    ("related", *extra),
                )
                ctx.require_expression(
                    kind,
                    name,
                    (*here, "condition"),
                    action.get("condition"),
                    "eval",
                    obj,
                    extra=("related", *extra),
                )
        elif kind_of == "transition":
            _check_transition(ctx, kind, name, here, obj, action)
        elif kind_of == "update_record":
            target = action.get("object")
            if ctx.require_object(kind, name, (*here, "object"), target):
                _check_reference(ctx, kind, name, here, obj, target, action.get("record") or "")
                values = action.get("values")
                _check_values(ctx, kind, name, (*here, "values"), target, obj, values, extra)
        elif kind_of == "script":
            source = action.get("source")
            ctx.require_expression(kind, name, (*here, "source"), source, "exec", obj, extra)
        elif kind_of == "notify":
            ctx.require_template(kind, name, (*here, "title"), action.get("title"))
            ctx.require_template(kind, name, (*here, "message"), action.get("message"))
            _check_queue_label(ctx, kind, name, here, action)
        elif kind_of == "webhook":
            # Only what is known without DNS: a host name is checked where it connects.
            problem = saved_url_problem(action.get("url") or "")
            if problem:
                ctx.add(kind, name, (*here, "url"), problem)


def _check_queue_label(
    ctx: CheckContext, kind: str, name: str, path: Pointer, action: Mapping[str, Any]
) -> None:
    """Notify actions that share a queue may each name it, but not differently: the inbox
    shows one name per queue."""
    queue, label = action.get("queue"), action.get("queue_label")
    if not queue or not label:
        return
    for other_kind, other_name, other in _notify_actions(ctx):
        if other.get("queue") == queue and other.get("queue_label") not in (None, label):
            ctx.add(
                kind,
                name,
                (*path, "queue_label"),
                f"queue {queue!r} has another label in {other_kind} {other_name}",
            )
            return


def _notify_actions(ctx: CheckContext) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    """Every notify action of the automations and workflow transitions."""
    for auto_name, auto in ctx.each("automations"):
        for action in auto.get("actions") or ():
            if isinstance(action, Mapping) and action.get("type") == "notify":
                yield "automations", auto_name, action
    for flow_name, flow in ctx.each("workflows"):
        for step in flow.get("transitions") or ():
            for action in (step.get("actions") if isinstance(step, Mapping) else None) or ():
                if isinstance(action, Mapping) and action.get("type") == "notify":
                    yield "workflows", flow_name, action


def _check_values(
    ctx: CheckContext,
    kind: str,
    name: str,
    path: Pointer,
    target: str | None,
    scope_object: str | None,
    values: Mapping[str, Any] | None,
    extra: Iterable[str] = (),
) -> None:
    """Field names must exist on ``target``; ``=expressions`` run in the triggering record's
    scope (``scope_object``)."""
    known = ctx.field_names(target)
    for field_name, value in (values or {}).items():
        if field_name not in known:
            ctx.add(kind, name, (*path, field_name), f"unknown field {field_name!r} of {target}")
        elif isinstance(value, str) and value.startswith("="):
            ctx.require_expression(
                kind, name, (*path, field_name), value[1:], "eval", scope_object, extra=extra
            )


def _check_transition(
    ctx: CheckContext,
    kind: str,
    name: str,
    path: Pointer,
    obj: str | None,
    action: Mapping[str, Any],
) -> None:
    target = action.get("object")
    if not ctx.require_object(kind, name, (*path, "object"), target):
        return
    flows = [
        w
        for w in ctx.docs("workflows").values()
        if isinstance(w, dict) and w.get("object") == target
    ]
    names = {t.get("name") for w in flows for t in w.get("transitions") or ()}
    if action.get("transition") not in names:
        ctx.add(
            kind,
            name,
            (*path, "transition"),
            f"{target} has no workflow transition {action.get('transition')!r}",
        )
    if action.get("via"):
        via = ctx.fields(target).get(action["via"])
        if via is None or via.get("type") != "lookup" or via.get("target") != obj:
            ctx.add(kind, name, (*path, "via"), f"must be a lookup of {target} to {obj}")
    else:
        _check_reference(ctx, kind, name, path, obj, target, action.get("record") or "")


def _check_reference(
    ctx: CheckContext,
    kind: str,
    name: str,
    path: Pointer,
    obj: str | None,
    target: str | None,
    reference: str,
) -> None:
    if reference.startswith("="):
        ctx.require_expression(kind, name, (*path, "record"), reference[1:], "eval", obj)
    elif obj:
        field = ctx.fields(obj).get(reference)
        if field is None or field.get("type") != "lookup" or field.get("target") != target:
            ctx.add(kind, name, (*path, "record"), f"must be a lookup field of {obj} to {target}")

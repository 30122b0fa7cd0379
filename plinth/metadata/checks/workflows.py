"""Cross-checks of workflows: the bound field, states, transitions and approvals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plinth.metadata.checks.actions import check_actions
from plinth.metadata.checks.context import CheckContext, Pointer

K = "workflows"
STEP_NAMES = ("occurred_at",)  # what a transition's expressions see besides the record


def check_workflows(ctx: CheckContext) -> None:
    bound: dict[str | None, str] = {}  # one workflow per object
    for name, wf in ctx.each(K):
        obj = wf.get("object")
        if not ctx.require_object(K, name, ("object",), obj):
            continue
        field = ctx.fields(obj).get(wf.get("field"))
        if field is None:
            ctx.add(K, name, ("field",), f"unknown field {wf.get('field')!r} of {obj}")
            continue
        if field.get("type") != "select":
            ctx.add(K, name, ("field",), "a workflow must bind to a select field")
            continue
        if obj in bound:
            ctx.add(K, name, ("object",), f"{obj} already has workflow {bound[obj]!r}")
        bound.setdefault(obj, name)
        states = _check_states(ctx, name, wf, field)
        _check_transitions(ctx, name, wf, states)


def _check_states(
    ctx: CheckContext, name: str, wf: Mapping[str, Any], field: Mapping[str, Any]
) -> set[str]:
    states: list[str] = []
    for index, state in enumerate(wf.get("states", ())):
        if state.get("name") in states:
            ctx.add(K, name, ("states", index, "name"), f"duplicate state {state.get('name')!r}")
        states.append(state.get("name"))
    options = [o.get("value") for o in field.get("options", ())]
    for index, state in enumerate(states):
        if state not in options:
            ctx.add(
                K, name, ("states", index, "name"), f"{state!r} is not an option of {field['name']}"
            )
    missing = [o for o in options if o not in states]
    if missing:
        ctx.add(K, name, ("states",), f"options without a state: {', '.join(missing)}")
    initial = [s for s in wf.get("states", ()) if s.get("initial")]
    if len(initial) != 1:
        ctx.add(K, name, ("states",), "exactly one state must be initial")
    return set(states)


def _check_transitions(
    ctx: CheckContext, name: str, wf: Mapping[str, Any], states: set[str]
) -> None:
    obj = wf["object"]
    seen = set()
    transitions = wf.get("transitions", ())
    names = {t.get("name") for t in transitions}
    for index, tr in enumerate(transitions):
        path: Pointer = ("transitions", index)
        if tr.get("name") in seen:
            ctx.add(K, name, (*path, "name"), f"duplicate transition {tr.get('name')!r}")
        seen.add(tr.get("name"))
        sources = tr.get("from")
        if isinstance(sources, list):
            for position, state in enumerate(sources):
                if state not in states:
                    ctx.add(K, name, (*path, "from", position), f"unknown state {state!r}")
        if tr.get("to") not in states:
            ctx.add(K, name, (*path, "to"), f"unknown state {tr.get('to')!r}")
        for position, role in enumerate(tr.get("roles", ())):
            if role not in ctx.role_names():
                ctx.add(K, name, (*path, "roles", position), f"unknown role {role!r}")
        ctx.require_fields(K, name, (*path, "require"), obj, tr.get("require"))
        known = ctx.field_names(obj)
        for field_name, source in (tr.get("set") or {}).items():
            if field_name not in known:
                ctx.add(K, name, (*path, "set", field_name), f"unknown field {field_name!r}")
            where = (*path, "set", field_name)
            ctx.require_expression(K, name, where, source, "eval", obj, STEP_NAMES)
        condition = tr.get("condition")
        ctx.require_expression(K, name, (*path, "condition"), condition, "eval", obj, STEP_NAMES)
        check_actions(ctx, K, name, (*path, "actions"), obj, tr.get("actions", ()), STEP_NAMES)
        approval = tr.get("approval")
        if approval:
            _check_approval(ctx, name, path, obj, approval, states, names)


def _check_approval(
    ctx: CheckContext,
    name: str,
    path: Pointer,
    obj: str | None,
    approval: Mapping[str, Any],
    states: set[str],
    names: set[Any],
) -> None:
    path = (*path, "approval")
    if approval.get("pending_state") not in states:
        ctx.add(
            K, name, (*path, "pending_state"), f"unknown state {approval.get('pending_state')!r}"
        )
    if approval.get("on_reject") and approval["on_reject"] not in names:
        ctx.add(K, name, (*path, "on_reject"), f"unknown transition {approval['on_reject']!r}")
    fields = ctx.fields(obj)
    for index, level in enumerate(approval.get("levels", ())):
        if "role" in level and level["role"] not in ctx.role_names():
            ctx.add(K, name, (*path, "levels", index, "role"), f"unknown role {level['role']!r}")
        if "user_field" in level:
            field = fields.get(level["user_field"])
            if field is None or field.get("type") != "user":
                ctx.add(K, name, (*path, "levels", index, "user_field"), "must name a user field")

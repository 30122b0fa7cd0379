"""Automation actions, and which phase each runs in.

- before save (in the saving transaction, changing the record being saved): ``set_fields``,
  ``script``;
- after save (in the same transaction, so atomic with the save): ``create_record``,
  ``update_related``, ``update_record``, ``transition``;
- after commit (as jobs, retried): ``notify``, ``webhook``, ``enqueue``, and any action
  marked ``after_commit: true``.

Values in ``values`` are literals, or expressions when they start with ``=``
(``{"due": "=today() + days(3)"}``). Expressions see the record's fields and helpers, plus
the names the event adds (``ActionContext.scope``: a transition's ``occurred_at``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from plinth.errors import ValidationError
from plinth.i18n import localize
from plinth.rules.notifications import notify_users, resolve_recipients, user_emails
from plinth.rules.record_rules import RuleFailed
from plinth.rules.sandbox import SandboxError, compile_rule, evaluate, execute
from plinth.rules.sandbox.views import RecordView
from plinth.rules.scope import rule_scope
from plinth.rules.templates import render
from plinth.runtime.jsonable import to_jsonable
from plinth.runtime.query import Filter, ListQuery

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session

log = logging.getLogger(__name__)

BEFORE_SAVE, AFTER_SAVE, AFTER_COMMIT = "before_save", "after_save", "after_commit"
DEFAULT_PHASE = {
    "set_fields": BEFORE_SAVE,
    "script": BEFORE_SAVE,
    "create_record": AFTER_SAVE,
    "update_related": AFTER_SAVE,
    "notify": AFTER_COMMIT,
    "webhook": AFTER_COMMIT,
    "enqueue": AFTER_COMMIT,
    "transition": AFTER_SAVE,
    "update_record": AFTER_SAVE,
}
MAX_RELATED = 1000


def phase_of(action: dict[str, Any], event_has_record_being_saved: bool = True) -> str:
    if action.get("after_commit"):
        return AFTER_COMMIT
    phase = DEFAULT_PHASE[action["type"]]
    if phase == BEFORE_SAVE and not event_has_record_being_saved:
        return AFTER_SAVE  # e.g. on_delete, on_transition: nothing is being saved any more
    return phase


@dataclasses.dataclass
class ActionContext:
    session: Session  # the system session in the current transaction
    model: ObjectModel
    record: dict[str, Any]  # mutable in the before-save phase
    old: dict[str, Any] | None
    automation: str
    event: str
    phase: str
    key: str  # idempotency key of this event, for jobs
    # Names the event adds to what expressions see: instants only, so that they survive
    # the trip through the job queue (``scope_payload``).
    scope: Mapping[str, dt.datetime] = dataclasses.field(default_factory=dict)


def scope_payload(scope: Mapping[str, dt.datetime]) -> dict[str, str]:
    """An action's scope as a job's payload carries it."""
    return {name: value.isoformat() for name, value in scope.items()}


def scope_from_payload(payload: Mapping[str, str] | None) -> dict[str, dt.datetime]:
    return {name: dt.datetime.fromisoformat(text) for name, text in (payload or {}).items()}


def _names(ctx: ActionContext, **extra: Any) -> dict[str, Any]:
    """What expressions see besides the record and helpers: the event's names, ``extra``."""
    return {**ctx.scope, **extra}


def resolve_values(ctx: ActionContext, values: dict[str, Any], **extra: Any) -> dict[str, Any]:
    result = {}
    for name, value in (values or {}).items():
        if isinstance(value, str) and value.startswith("="):
            try:
                value = evaluate(
                    value[1:],
                    rule_scope(
                        ctx.session,
                        ctx.record,
                        ctx.old,
                        fields=tuple(ctx.model.fields),
                        **_names(ctx, **extra),
                    ),
                )
            except SandboxError as exc:
                raise RuleFailed(f"automation {ctx.automation}: {name}: {exc}") from None
        result[name] = to_jsonable(value) if not isinstance(value, (dict, list)) else value
    return result


def _coerced(ctx: ActionContext, model: ObjectModel, values: dict[str, Any]) -> dict[str, Any]:
    from plinth.runtime.record_values import coerce_input

    try:
        return coerce_input(model, values, ctx.session.coercion, None, None, trusted=True)
    except ValidationError as exc:
        raise RuleFailed(f"automation {ctx.automation}: {exc.detail}") from None


def set_fields(ctx: ActionContext, action: dict[str, Any]) -> None:
    values = resolve_values(ctx, action["values"])
    if ctx.phase == BEFORE_SAVE:
        ctx.record.update(_coerced(ctx, ctx.model, values))
    else:
        ctx.session.records.update(ctx.model.name, ctx.record["id"], values)


def script(ctx: ActionContext, action: dict[str, Any]) -> None:
    scope = rule_scope(
        ctx.session,
        dict(ctx.record),
        ctx.old,
        writable=True,
        fields=tuple(ctx.model.fields),
        **_names(ctx),
    )
    before = dict(scope["record"])
    try:
        namespace = execute(compile_rule(action["source"], "exec"), scope)
    except SandboxError as exc:
        raise RuleFailed(f"automation {ctx.automation}: script {exc}") from None
    after = namespace["record"]
    changes = {k: v for k, v in after.items() if k in ctx.model.fields and before.get(k) != v}
    if not changes:
        return
    changes = {
        k: to_jsonable(v) if not isinstance(v, (dict, list)) else v for k, v in changes.items()
    }
    if ctx.phase == BEFORE_SAVE:
        ctx.record.update(_coerced(ctx, ctx.model, changes))
    else:
        ctx.session.records.update(ctx.model.name, ctx.record["id"], changes)


def create_record(ctx: ActionContext, action: dict[str, Any]) -> None:
    ctx.session.records.create(action["object"], resolve_values(ctx, action["values"]))


def update_related(ctx: ActionContext, action: dict[str, Any]) -> None:
    query = ListQuery(filters=[Filter(action["via"], "eq", ctx.record["id"])], limit=MAX_RELATED)
    condition = compile_rule(action["condition"]) if action.get("condition") else None
    for related in ctx.session.records.list(action["object"], query).data:
        if condition is not None:
            scope = rule_scope(
                ctx.session,
                ctx.record,
                ctx.old,
                fields=tuple(ctx.model.fields),
                **_names(ctx, related=RecordView(related)),
            )
            if not evaluate(condition, scope):
                continue
        values = resolve_values(ctx, action["values"], related=RecordView(related))
        ctx.session.records.update(action["object"], related["id"], values)


def template_context(ctx: ActionContext) -> dict[str, Any]:
    return {
        "record": to_jsonable(ctx.record),
        "old": to_jsonable(ctx.old),
        "object": ctx.model.name,
        "object_label": ctx.model.label(),
        "event": ctx.event,
        "automation": ctx.automation,
    }


def notify(ctx: ActionContext, action: dict[str, Any]) -> None:
    conn = ctx.session.conn
    users, addresses = resolve_recipients(conn, action["to"], ctx.record, ctx.model)
    context = template_context(ctx)
    try:
        title = render(_text(action.get("title")) or ctx.automation, context)
        body = render(_text(action["message"]), context)
        texts = _translations(action.get("title"), action["message"], context)
    except SandboxError as exc:
        raise RuleFailed(f"automation {ctx.automation}: {exc}") from None
    channels = action.get("channels") or ["in_app"]
    if "in_app" in channels:
        notify_users(
            conn,
            users,
            title,
            body,
            ctx.model.name,
            ctx.record.get("id"),
            f"automation:{ctx.automation}",
            ctx.session.tenant.clock(),
            queue=action.get("queue") or ctx.automation,
            texts=texts,
        )
    if "email" in channels:
        for address in sorted(set(user_emails(conn, users).values()) | addresses):
            ctx.session.tenant.jobs.enqueue(
                ctx.session,
                "rules.email",
                {"to": address, "subject": title, "body": body},
                key=f"{ctx.key}:email:{address}",
            )


def _text(label: str | dict[str, str] | None) -> str:
    if label is None or isinstance(label, str):
        return label or ""
    return label.get("en") or next(iter(label.values()), "")


def _translations(
    title: str | dict[str, str] | None, message: str | dict[str, str], context: dict[str, Any]
) -> dict[str, dict[str, str]] | None:
    """The title and message rendered in each language their labels have (the inbox shows
    a notification in its reader's language)."""
    locales = {k for label in (title, message) if isinstance(label, dict) for k in label}
    if not locales:
        return None
    return {
        locale: {
            "title": render(localize(title, locale) or "", context) if title else "",
            "body": render(localize(message, locale) or "", context),
        }
        for locale in sorted(locales)
    }


def webhook(ctx: ActionContext, action: dict[str, Any], attempt: int = 1) -> None:
    from plinth.rules.delivery import post_webhook

    payload = action.get("payload")
    if payload is None:
        payload = {"record": to_jsonable(ctx.record), "old": to_jsonable(ctx.old)}
    else:
        payload = resolve_values(ctx, payload) if isinstance(payload, dict) else payload
    body = {
        "event": ctx.event,
        "automation": ctx.automation,
        "object": ctx.model.name,
        "record_id": ctx.record.get("id"),
        "data": payload,
    }
    context = template_context(ctx)
    headers = {k: render(v, context) for k, v in (action.get("headers") or {}).items()}
    tenant = ctx.session.tenant
    post_webhook(
        ctx.session,
        tenant.config,
        action["url"],
        body,
        ctx.key,
        attempt,
        ctx.automation,
        action.get("secret_setting"),
        headers,
    )


def enqueue(ctx: ActionContext, action: dict[str, Any]) -> None:
    payload = action.get("payload")
    if isinstance(payload, dict):
        payload = resolve_values(ctx, payload)
    ctx.session.tenant.jobs.enqueue(
        ctx.session, action["job"], payload, key=f"{ctx.key}:{action['job']}"
    )


def _target_id(ctx: ActionContext, reference: str) -> Any:
    """A record id named by an action: a lookup field of the triggering record, or
    ``=expression``."""
    if reference.startswith("="):
        return resolve_values(ctx, {"record": reference})["record"]
    return ctx.record.get(reference)


def update_record(ctx: ActionContext, action: dict[str, Any]) -> None:
    """Update one other record, e.g. the service resource a field task points to."""
    record_id = _target_id(ctx, action["record"])
    if record_id not in (None, ""):
        ctx.session.records.update(
            action["object"], record_id, resolve_values(ctx, action["values"])
        )


# Runs an action: ``runner(ctx, action)`` (``webhook`` also takes ``attempt=``).
ActionRunner = Callable[..., None]

RUNNERS: dict[str, ActionRunner] = {
    "set_fields": set_fields,
    "script": script,
    "create_record": create_record,
    "update_related": update_related,
    "notify": notify,
    "webhook": webhook,
    "enqueue": enqueue,
    "update_record": update_record,
}


def register_runner(action_type: str, runner: ActionRunner) -> None:
    """Add the runner of an action type that a layer above the rules provides (the
    workflow's ``transition``), when the application is composed."""
    known = RUNNERS.get(action_type)
    if known is not None and known is not runner:
        raise ValueError(f"action type {action_type!r} already has a runner")
    RUNNERS[action_type] = runner


def related_ids(ctx: ActionContext, action: dict[str, Any]) -> list[Any]:
    """The records an action names: those whose lookup ``via`` points here, or the one its
    ``record`` (a lookup field or an ``=expression``) names."""
    if action.get("via"):
        query = ListQuery(
            filters=[Filter(action["via"], "eq", ctx.record["id"])], limit=MAX_RELATED
        )
        return [r["id"] for r in ctx.session.records.list(action["object"], query).data]
    return [_target_id(ctx, action["record"])]

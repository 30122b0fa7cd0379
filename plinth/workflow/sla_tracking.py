"""Keeping SLA clocks current: on every save of a record, on stop events raised by code,
and in a periodic sweep that raises warning and breach events exactly once each."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from plinth.errors import NotFound
from plinth.rules.record_rules import evaluate_rule
from plinth.rules.scope import rule_scope
from plinth.runtime import system_tables as st
from plinth.runtime.events import SlaRaised
from plinth.services.id_paging import IdPage, id_page
from plinth.workflow import sla_clocks as clocks
from plinth.workflow.definitions import workflow_for
from plinth.workflow.sla_policies import Policy, Target, policies_for

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel
    from plinth.runtime.session import Session

log = logging.getLogger(__name__)
C = st.sla_clock
SWEEP_BATCH = 500


def on_save(
    session: Session,
    model: ObjectModel,
    record: dict[str, Any],
    old: dict[str, Any] | None,
    stop_events: Iterable[str] = (),
) -> None:
    """Start, pause, resume, re-target and stop the record's clocks after a save."""
    policies = policies_for(session.compiled, model.name)
    if not policies:
        return
    now = session.tenant.clock()
    workflow = workflow_for(session.compiled, model.name)
    state = record.get(workflow.field) if workflow else None
    paused = workflow.paused(state) if workflow else False
    existing = {(c["policy"], c["target"]): c for c in _clocks(session, model.name, record["id"])}
    stop_events = set(stop_events)
    for policy in policies:
        if not _applies(session, policy, model, record, old):
            _drop_running(session, [c for k, c in existing.items() if k[0] == policy.name])
            continue
        priority = record.get(policy.priority_field) if policy.priority_field else None
        for target in policy.targets:
            clock = existing.get((policy.name, target.name))
            duration = target.duration(priority)
            if clock is None:
                if duration is not None and _starts(target, state):
                    _start(session, model, record, policy, target, priority, duration, paused, now)
                continue
            if clock["stopped_at"] is not None:
                continue
            if duration is None:
                _drop_running(session, [clock])
                continue
            clocks.advance(clock, policy.calendar, now)
            clock["duration_seconds"] = int(duration.total_seconds())
            clock["priority"] = None if priority is None else str(priority)
            clocks.set_paused(clock, paused, now)
            if state in target.stop_states or (target.stop_on and target.stop_on in stop_events):
                clock["stopped_at"] = now
            clocks.schedule(clock, policy.calendar, policy.warn_at, now)
            _save(session, clock)
            _raise_events(session, model, record, target, clock, now)


def stop_event(session: Session, object_name: str, record_id: Any, event: str) -> None:
    """Stop the running clocks whose target says ``stop_on: <event>`` (e.g. a check-in)."""
    system = session.as_system()
    record = system.records.lock(object_name, record_id)
    on_save(system, session.compiled.object(object_name), record, record, stop_events={event})


def record_clocks(session: Session, object_name: str, record_id: Any) -> list[dict[str, Any]]:
    """The record's clocks as of now, for a caller who may read the record."""
    record = session.records.get(object_name, record_id, fields=["id"])
    now = session.tenant.clock()
    result = []
    for clock in _clocks(session, object_name, record["id"]):
        policy = _policy(session, object_name, clock["policy"])
        if policy is not None:
            clock = clocks.live(clock, policy.calendar, policy.warn_at, now)
        result.append(clocks.public(clock))
    return result


def delete_clocks(session: Session, object_name: str, record_id: int) -> None:
    session.conn.execute(C.delete().where(C.c.object == object_name, C.c.record_id == record_id))


def sweep(session: Session, limit: int = SWEEP_BATCH) -> int:
    """Raise the warning and breach events that came due; returns how many clocks moved."""
    now = session.tenant.clock()
    due = session.conn.execute(
        sa.select(C).where(C.c.next_event_at <= now).order_by(C.c.next_event_at).limit(limit)
    ).mappings()
    count = 0
    for row in [dict(r) for r in due]:
        try:
            with session.savepoint():
                count += _sweep_one(session, row["id"], now)
        except Exception:  # noqa: BLE001 - one broken automation must not stop the others
            log.exception(
                "SLA clock %s of %s %s failed", row["id"], row["object"], row["record_id"]
            )
            _give_up(session, row, now)
    return count


def breached_between(
    session: Session, object_name: str, start: dt.datetime | None, end: dt.datetime | None
) -> sa.Select[Any]:
    """A select of clocks of ``object_name`` that breached in [start, end), limited to
    records the actor may read."""
    model = session.compiled.object(object_name)
    query = sa.select(C).where(C.c.object == object_name, C.c.breached_at.is_not(None))
    if start is not None:
        query = query.where(C.c.breached_at >= start)
    if end is not None:
        query = query.where(C.c.breached_at < end)
    return _visible_only(session, model, query)


def breaches_page(
    session: Session,
    object_name: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    limit: int,
    cursor: int | None,
    policy: str | None = None,
    target: str | None = None,
) -> IdPage[dict[str, Any]]:
    """A page of the clocks ``breached_between`` finds (of one policy or target when
    given), newest first, each as the API shows it with its id and record id."""
    query = breached_between(session, object_name, start, end)
    if policy:
        query = query.where(C.c.policy == policy)
    if target:
        query = query.where(C.c.target == target)
    page = id_page(session.conn, query, C.c.id, limit, cursor)
    return page.map(lambda r: {"id": r["id"], "record_id": r["record_id"], **clocks.public(r)})


def _visible_only(session: Session, model: ObjectModel, query: sa.Select[Any]) -> sa.Select[Any]:
    session.guard.check(model, "read")
    visible = session.guard.row_filter(model, "read")
    if visible is None:
        return query
    return query.where(C.c.record_id.in_(sa.select(model.table.c.id).where(visible)))


# ---- internals -----------------------------------------------------------------------------
def _clocks(session: Session, object_name: str, record_id: int) -> list[dict[str, Any]]:
    rows = session.conn.execute(
        sa.select(C)
        .where(C.c.object == object_name, C.c.record_id == record_id)
        .order_by(C.c.policy, C.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def _policy(session: Session, object_name: str, name: str) -> Policy | None:
    return next((p for p in policies_for(session.compiled, object_name) if p.name == name), None)


def _applies(
    session: Session,
    policy: Policy,
    model: ObjectModel,
    record: dict[str, Any],
    old: dict[str, Any] | None,
) -> bool:
    if policy.applies_if is None:
        return True
    scope = rule_scope(session, record, old, fields=tuple(model.fields))
    return bool(evaluate_rule(policy.applies_if, scope, f"SLA policy {policy.name}: applies_if"))


def _starts(target: Target, state: str | None) -> bool:
    if state is not None and state in target.stop_states:
        return False
    return target.start_states is None or state in target.start_states


def _start(
    session: Session,
    model: ObjectModel,
    record: dict[str, Any],
    policy: Policy,
    target: Target,
    priority: Any,
    duration: dt.timedelta,
    paused: bool,
    now: dt.datetime,
) -> None:
    clock = clocks.new_clock(
        model.name, record["id"], policy.name, target.name, priority, duration, paused, now
    )
    clocks.schedule(clock, policy.calendar, policy.warn_at, now)
    clock["id"] = session.conn.execute(C.insert().returning(C.c.id), clock).scalar_one()
    _raise_events(session, model, record, target, clock, now)


def _save(session: Session, clock: dict[str, Any]) -> None:
    values = {
        k: v for k, v in clock.items() if k not in ("id", "warning_fired_at", "breach_fired_at")
    }
    session.conn.execute(C.update().where(C.c.id == clock["id"]).values(**values))


def _drop_running(session: Session, running: list[dict[str, Any]]) -> None:
    ids = [c["id"] for c in running if c["stopped_at"] is None]
    if ids:
        session.conn.execute(C.delete().where(C.c.id.in_(ids)))


def _raise_events(
    session: Session,
    model: ObjectModel,
    record: dict[str, Any],
    target: Target,
    clock: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Fire on_sla automations for a warning or breach this clock reached and nobody has
    reported yet. Claiming is a conditional UPDATE, so racing sweeps report each once."""
    status = clock["status"]
    if status == clocks.BREACHED and clock["breach_fired_at"] is None:
        if not _claim(session, clock, "breach_fired_at", now):
            return
        if clock["warning_fired_at"] is None:  # no late warning after a breach
            _claim(session, clock, "warning_fired_at", now)
        event = "breach"
    elif status == clocks.WARNING and clock["warning_fired_at"] is None:
        if not _claim(session, clock, "warning_fired_at", now):
            return
        event = "warning"
    else:
        return
    policy = cast(Policy, _policy(session, model.name, clock["policy"]))  # the clock's, found
    clocks.schedule(clock, policy.calendar, policy.warn_at, now)
    session.conn.execute(
        C.update().where(C.c.id == clock["id"]).values(next_event_at=clock["next_event_at"])
    )
    _dispatch(session, model, record, target, clock, event)


def _claim(session: Session, clock: dict[str, Any], column: str, now: dt.datetime) -> bool:
    claimed = session.conn.execute(
        C.update()
        .where(C.c.id == clock["id"], C.c[column].is_(None))
        .values({column: now})
        .returning(C.c.id)
    ).first()
    if claimed is not None:
        clock[column] = now
    return claimed is not None


def _dispatch(
    session: Session,
    model: ObjectModel,
    record: dict[str, Any],
    target: Target,
    clock: dict[str, Any],
    event: str,
) -> None:
    key = f"sla:{clock['id']}:{event}"
    session.tenant.events.publish(
        SlaRaised(session.as_system(), model, record, event, target.name, key)
    )


def _sweep_one(session: Session, clock_id: int, now: dt.datetime) -> bool:
    """Bring one due clock up to date and raise its events; False when a racing sweep (or a
    save of the record) got there first. The row is locked and read afresh."""
    row: Mapping[Any, Any] | None = (
        session.conn.execute(
            sa.select(C).where(C.c.id == clock_id, C.c.next_event_at <= now).with_for_update()
        )
        .mappings()
        .first()
    )
    if row is None:
        return False
    row = dict(row)
    policy = _policy(session, row["object"], row["policy"])
    target = policy.target(row["target"]) if policy else None
    if policy is None or target is None:
        _give_up(session, row, now)  # the policy or target is gone
        return True
    system = session.as_system()
    model = session.compiled.object(row["object"])
    try:
        record = system.records.get(row["object"], row["record_id"])
    except NotFound:
        delete_clocks(session, row["object"], row["record_id"])
        return True
    clocks.advance(row, policy.calendar, now)
    clocks.schedule(row, policy.calendar, policy.warn_at, now)
    _save(session, row)
    _raise_events(session, model, record, target, row, now)
    return True


def _give_up(session: Session, row: dict[str, Any], now: dt.datetime) -> None:
    """Count the events that came due as reported (after a failure, or when the policy is
    gone) so they are not retried every sweep; later ones stay scheduled."""
    values: dict[str, Any] = {}
    remaining = []
    for instant, column in (
        (row["warn_at"], "warning_fired_at"),
        (row["due_at"], "breach_fired_at"),
    ):
        if row[column] is not None or instant is None:
            continue
        if instant <= now:
            values[column] = now
        else:
            remaining.append(instant)
    values["next_event_at"] = min(remaining) if remaining else None
    session.conn.execute(C.update().where(C.c.id == row["id"]).values(**values))

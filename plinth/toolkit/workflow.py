"""Workflow, SLA and business time, as a pack drives them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from plinth.errors import NotFound
from plinth.runtime import system_tables as st
from plinth.runtime.session import Session
from plinth.workflow import sla_tracking, transitions
from plinth.workflow.calendar import BusinessCalendar, calendar_for, parse_duration
from plinth.workflow.sla_clocks import live, public
from plinth.workflow.sla_policies import policies_for

__all__ = [
    "BusinessCalendar",
    "business_calendar",
    "business_calendars",
    "calendar_for",
    "fire_transition",
    "parse_duration",
    "sla_clocks",
    "sla_event",
]


def fire_transition(
    session: Session,
    object_name: str,
    record_id: Any,
    name: str,
    values: dict[str, Any] | None = None,
    comment: str | None = None,
    expected_version: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Fire the workflow transition ``name`` on a record as the session's actor.

    Exactly what ``POST /api/v1/<object>/<id>/transitions/<name>`` does: role check,
    preconditions, ``set`` expressions, history, SLA clocks and automations; ``occurred_at``
    is when the step happened if earlier than now (checked as the API checks it). Returns
    the record after the move; raises ``Conflict`` when the record is in the wrong state,
    ``ValidationError`` when a precondition fails and ``PermissionDenied`` for the role.
    """
    return transitions.fire(
        session, object_name, record_id, name, values, comment, expected_version, occurred_at
    )


def sla_event(session: Session, object_name: str, record_id: Any, event: str) -> None:
    """Raise the SLA event ``event`` on a record: every running clock whose target says
    ``stop_on: <event>`` stops now (e.g. ``check_in`` stops the time-to-arrive clock)."""
    sla_tracking.stop_event(session, object_name, record_id, event)


def sla_clocks(
    session: Session, object_name: str, record_ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """The SLA clocks of several records of one object as of now, by record id, in one query.

    Each clock is shaped as ``GET /api/v1/records/<object>/<id>/sla`` lists it (``policy``,
    ``target``, ``status``, ``paused``, ``due_at``, ``warn_at``, ``stopped_at``,
    ``breached_at``, …; instants as aware datetimes). Only records the session's actor may
    read are answered (none when the actor may not read the object at all); a record without
    clocks is absent. For a day's tasks, where one ``/sla`` request per record would cost a
    request and a query each.
    """
    ids = sorted({i for i in record_ids if isinstance(i, int) and not isinstance(i, bool)})
    model = session.compiled.object(object_name)
    if not ids or not session.guard.allows(model, "read"):
        return {}
    clock = st.sla_clock
    query = (
        sa.select(clock)
        .where(clock.c.object == object_name, clock.c.record_id.in_(ids))
        .order_by(clock.c.record_id, clock.c.policy, clock.c.id)
    )
    visible = session.guard.row_filter(model, "read")
    if visible is not None:
        query = query.where(clock.c.record_id.in_(sa.select(model.table.c.id).where(visible)))
    policies = {p.name: p for p in policies_for(session.compiled, object_name)}
    now = session.tenant.clock()
    found: dict[int, list[dict[str, Any]]] = {}
    for row in session.conn.execute(query).mappings():
        current = dict(row)
        policy = policies.get(current["policy"])
        if policy is not None:
            current = live(current, policy.calendar, policy.warn_at, now)
        found.setdefault(current["record_id"], []).append(public(current))
    return found


def business_calendar(session: Session, name: str) -> BusinessCalendar:
    """The installed business calendar ``name`` (working hours, breaks, holidays, zone);
    ``calendar.between(a, b)`` and ``calendar.add(start, duration)`` count business time.
    Raises ``NotFound`` when no calendar of that name is installed."""
    doc = session.compiled.docs("calendars").get(name)
    if doc is None:
        raise NotFound(f"no business calendar {name!r}")
    return calendar_for(dict(doc))


def business_calendars(session: Session) -> dict[str, BusinessCalendar]:
    """Every installed business calendar by name."""
    return {
        name: calendar_for(dict(doc)) for name, doc in session.compiled.docs("calendars").items()
    }

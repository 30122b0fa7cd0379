"""Workflow, SLA and business time, as a pack drives them."""

from __future__ import annotations

from typing import Any

from plinth.errors import NotFound
from plinth.runtime.session import Session
from plinth.workflow import sla_tracking, transitions
from plinth.workflow.calendar import BusinessCalendar, calendar_for, parse_duration

__all__ = [
    "BusinessCalendar",
    "business_calendar",
    "business_calendars",
    "calendar_for",
    "fire_transition",
    "parse_duration",
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
) -> dict[str, Any]:
    """Fire the workflow transition ``name`` on a record as the session's actor.

    Exactly what ``POST /api/v1/<object>/<id>/transitions/<name>`` does: role check,
    preconditions, ``set`` expressions, history, SLA clocks and automations. Returns the
    record after the move; raises ``Conflict`` when the record is in the wrong state,
    ``ValidationError`` when a precondition fails and ``PermissionDenied`` for the role.
    """
    return transitions.fire(
        session, object_name, record_id, name, values, comment, expected_version
    )


def sla_event(session: Session, object_name: str, record_id: Any, event: str) -> None:
    """Raise the SLA event ``event`` on a record: every running clock whose target says
    ``stop_on: <event>`` stops now (e.g. ``check_in`` stops the time-to-arrive clock)."""
    sla_tracking.stop_event(session, object_name, record_id, event)


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

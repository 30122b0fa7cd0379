"""One SLA clock: business time elapsed towards a target, pauses, due and warning instants.

A clock is a row of ``plinth_sla_clock`` handled as a dict. ``elapsed_seconds`` and
``paused_seconds`` are business seconds (in the policy's calendar) counted up to
``last_change_at``; ``advance`` brings them up to an instant, ``schedule`` derives the due
and warning instants, the status and when the sweep must look at the clock next.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from plinth.workflow.calendar import BusinessCalendar

ON_TRACK, WARNING, BREACHED, MET = "on_track", "warning", "breached", "met"
STATUSES = (ON_TRACK, WARNING, BREACHED, MET)


def new_clock(
    object_name: str,
    record_id: int,
    policy: str,
    target: str,
    priority: Any,
    duration: dt.timedelta,
    paused: bool,
    now: dt.datetime,
) -> dict[str, Any]:
    return {
        "object": object_name,
        "record_id": record_id,
        "policy": policy,
        "target": target,
        "priority": None if priority is None else str(priority),
        "status": ON_TRACK,
        "paused": paused,
        "duration_seconds": int(duration.total_seconds()),
        "started_at": now,
        "due_at": None,
        "warn_at": None,
        "elapsed_seconds": 0.0,
        "paused_seconds": 0.0,
        "last_change_at": now,
        "paused_since": now if paused else None,
        "stopped_at": None,
        "breached_at": None,
        "warning_fired_at": None,
        "breach_fired_at": None,
        "next_event_at": None,
    }


def advance(clock: dict[str, Any], calendar: BusinessCalendar, now: dt.datetime) -> None:
    """Count the business time since the last change as elapsed (or paused) time."""
    if clock["stopped_at"] is not None or now <= clock["last_change_at"]:
        return
    seconds = calendar.between(clock["last_change_at"], now).total_seconds()
    clock["paused_seconds" if clock["paused"] else "elapsed_seconds"] += seconds
    clock["last_change_at"] = now


def set_paused(clock: dict[str, Any], paused: bool, now: dt.datetime) -> None:
    if clock["paused"] != paused:
        clock["paused"] = paused
        clock["paused_since"] = now if paused else None


def schedule(
    clock: dict[str, Any], calendar: BusinessCalendar, warn_fraction: float, now: dt.datetime
) -> None:
    """Due and warning instants, status and the next instant the sweep must act on."""
    duration = clock["duration_seconds"]
    elapsed = clock["elapsed_seconds"]
    threshold = duration * warn_fraction
    running = clock["stopped_at"] is None and not clock["paused"]
    if clock["stopped_at"] is None:
        clock["due_at"] = _instant(calendar, now, duration - elapsed, clock["due_at"], running)
        clock["warn_at"] = _instant(calendar, now, threshold - elapsed, clock["warn_at"], running)
    clock["status"] = status_of(clock, warn_fraction)
    if clock["status"] == BREACHED and clock["breached_at"] is None:
        clock["breached_at"] = clock["due_at"] or now
    events = []
    if running:
        if clock["warning_fired_at"] is None and clock["warn_at"] is not None:
            events.append(clock["warn_at"])
        if clock["breach_fired_at"] is None and clock["due_at"] is not None:
            events.append(clock["due_at"])
    clock["next_event_at"] = min(events) if events else None


def _instant(
    calendar: BusinessCalendar,
    now: dt.datetime,
    seconds_left: float,
    previous: dt.datetime | None,
    running: bool,
) -> dt.datetime | None:
    """When ``seconds_left`` of business time will have passed: in the future while running,
    unknown (None) while paused; once passed, the instant it passed stays."""
    if seconds_left <= 0:
        return previous or now
    if not running:
        return None
    return calendar.add(now, dt.timedelta(seconds=seconds_left))


def status_of(clock: dict[str, Any], warn_fraction: float) -> str:
    duration, elapsed = clock["duration_seconds"], clock["elapsed_seconds"]
    if clock["stopped_at"] is not None:
        return MET if elapsed <= duration else BREACHED
    if elapsed >= duration:
        return BREACHED
    if elapsed >= duration * warn_fraction:
        return WARNING
    return ON_TRACK


def live(
    clock: dict[str, Any], calendar: BusinessCalendar, warn_fraction: float, now: dt.datetime
) -> dict[str, Any]:
    """The clock as of ``now`` (not saved)."""
    view = dict(clock)
    advance(view, calendar, now)
    schedule(view, calendar, warn_fraction, now)
    return view


def public(clock: dict[str, Any]) -> dict[str, Any]:
    """The API shape of a clock."""
    return {
        "policy": clock["policy"],
        "target": clock["target"],
        "status": clock["status"],
        "paused": clock["paused"],
        "priority": clock["priority"],
        "started_at": clock["started_at"],
        "due_at": clock["due_at"],
        "warn_at": clock["warn_at"],
        "target_seconds": clock["duration_seconds"],
        "elapsed_seconds": round(clock["elapsed_seconds"], 3),
        "paused_seconds": round(clock["paused_seconds"], 3),
        "stopped_at": clock["stopped_at"],
        "breached_at": clock["breached_at"],
    }

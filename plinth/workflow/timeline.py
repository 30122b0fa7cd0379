"""Every state a record entered, when and by whom: the timeline and time spent per state.

Each entry has two times: ``at``, when the server recorded the step, and ``occurred_at``,
when it happened (the caller's time, e.g. a phone's offline step replayed later; else the
server's). A stay lasts from its step's ``occurred_at`` to the next step's (``left_at``);
the dwell limit (``dwell_due_at``) counts from ``at``, on the server's clock like SLA clocks.
Entries made before ``occurred_at`` existed have none: their ``at`` stands for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st
from plinth.workflow.definitions import Workflow

T = st.transition


def enter(
    conn: Connection,
    workflow: Workflow,
    object_name: str,
    record_id: int,
    transition: str | None,
    from_state: str | None,
    to_state: str,
    actor_id: int | None,
    now: dt.datetime,
    comment: str | None = None,
    occurred_at: dt.datetime | None = None,
) -> int:
    """Record that a record entered ``to_state`` (closing the stay in the previous one);
    ``occurred_at``: when the step happened, if not ``now``."""
    occurred_at = occurred_at or now
    leave(conn, object_name, record_id, occurred_at)
    state = workflow.states.get(to_state)
    dwell_due = now + state.max_dwell if state is not None and state.max_dwell else None
    return conn.execute(
        T.insert().returning(T.c.id),
        {
            "object": object_name,
            "record_id": record_id,
            "workflow": workflow.name,
            "transition": transition,
            "from_state": from_state,
            "to_state": to_state,
            "actor_id": actor_id,
            "at": now,
            "occurred_at": occurred_at,
            "comment": comment,
            "dwell_due_at": dwell_due,
        },
    ).scalar_one()


def leave(conn: Connection, object_name: str, record_id: int, now: dt.datetime) -> None:
    """End the record's current stay (it moved on, or was deleted)."""
    conn.execute(
        T.update()
        .where(T.c.object == object_name, T.c.record_id == record_id, T.c.left_at.is_(None))
        .values(left_at=now)
    )


def last_step_at(conn: Connection, object_name: str, record_id: int) -> dt.datetime | None:
    """When the record's latest step happened (None: it has no timeline)."""
    row = conn.execute(
        sa.select(T.c.at, T.c.occurred_at)
        .where(T.c.object == object_name, T.c.record_id == record_id)
        .order_by(T.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else row.occurred_at or row.at


def timeline(
    conn: Connection, object_name: str, record_id: int, now: dt.datetime
) -> list[dict[str, Any]]:
    """The record's transitions, oldest first, each with the seconds spent in its target
    state (up to now for the current one)."""
    rows = conn.execute(
        sa.select(T).where(T.c.object == object_name, T.c.record_id == record_id).order_by(T.c.id)
    ).mappings()
    entries = []
    for row in rows:
        occurred = row["occurred_at"] or row["at"]
        entries.append(
            {
                "transition": row["transition"],
                "from": row["from_state"],
                "to": row["to_state"],
                "by": row["actor_id"],
                "at": row["at"],
                "occurred_at": occurred,
                "comment": row["comment"],
                "dwell_seconds": round(((row["left_at"] or now) - occurred).total_seconds(), 3),
                "current": row["left_at"] is None,
            }
        )
    return entries


def time_in_states(entries: list[dict[str, Any]]) -> dict[str, float]:
    """Total seconds spent in each state, from a timeline."""
    totals: dict[str, float] = {}
    for entry in entries:
        totals[entry["to"]] = totals.get(entry["to"], 0.0) + entry["dwell_seconds"]
    return totals


def overdue_dwells(conn: Connection, now: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
    """Current stays that outlasted their state's max_dwell and were not reported yet."""
    return [
        dict(r)
        for r in conn.execute(
            sa.select(T)
            .where(T.c.dwell_due_at <= now, T.c.left_at.is_(None), T.c.dwell_fired_at.is_(None))
            .order_by(T.c.dwell_due_at)
            .limit(limit)
        ).mappings()
    ]


def claim_dwell(conn: Connection, entry_id: int, now: dt.datetime) -> bool:
    """Mark one overdue stay as reported; False when another sweep already did."""
    claimed = conn.execute(
        T.update()
        .where(T.c.id == entry_id, T.c.dwell_fired_at.is_(None), T.c.left_at.is_(None))
        .values(dwell_fired_at=now)
        .returning(T.c.id)
    ).first()
    return claimed is not None

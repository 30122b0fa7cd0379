"""Demo backlog: the next working day's field tasks, not yet dispatched, so a dispatcher
can try the dispatch optimiser on `make demo` data (``POST /api/v1/dispatch/optimize``)."""

from __future__ import annotations

import datetime as dt

from packs.field_service.demo_work import PRIORITIES, SUBJECTS
from plinth.runtime.query import Filter, ListQuery
from plinth.runtime.session import Session
from plinth.workflow.transitions import fire

BACKLOG = 80
WINDOW_HOURS = (9, 11, 13, 15)  # appointment windows start at these local hours, 2 h long


def next_working_day(now: dt.datetime, zone) -> dt.date:
    """The first weekday after ``now``'s local date."""
    day = now.astimezone(zone).date() + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def generate(session, city, progress) -> int:
    """Work orders sent to the field whose tasks wait for the next working day."""
    rng = city.rng
    zone = city.dispatcher.zone
    day = next_working_day(session.tenant.clock(), zone)
    dispatcher = Session(session.tenant, session.conn, city.dispatcher)
    total = city.count(BACKLOG)
    progress(f"field_service: {total} field tasks waiting for {day.isoformat()}")
    for _ in range(total):
        site = rng.choice(city.sites)
        kind, subject, skill = rng.choice(SUBJECTS)
        order = dispatcher.records.create(
            "work_order",
            {
                "subject": subject,
                "customer": site["customer"],
                "contact": site["contact"],
                "site": site["id"],
                "type": kind,
                "priority": rng.choice(PRIORITIES),
                "channel": "phone",
                "description": f"{subject}: booked for {day.isoformat()}",
            },
        )
        fire(dispatcher, "work_order", order["id"], "send_to_field")
        task = session.records.list(
            "field_task", ListQuery([Filter("work_order", "eq", order["id"])], limit=1)
        ).data[0]
        values = {
            "required_skills": [{"skill": skill, "level": rng.choice([1, 1, 2, 3])}],
            "duration": rng.choice([30, 45, 60, 60, 90, 120]),
            "earliest_start": dt.datetime.combine(day, dt.time(9), zone),
        }
        if rng.random() < 0.5:
            opens = dt.datetime.combine(day, dt.time(rng.choice(WINDOW_HOURS)), zone)
            values.update(window_start=opens, window_end=opens + dt.timedelta(hours=2))
        session.records.update("field_task", task["id"], values)
    return total

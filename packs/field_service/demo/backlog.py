"""Demo backlog: the next working day's field tasks, not yet dispatched, so a dispatcher
can try the dispatch optimiser on `make demo` data (``POST /api/v1/dispatch/optimize``)."""

from __future__ import annotations

import datetime as dt

from packs.field_service.demo.work import SUBJECTS, field_task_of, new_work_order
from plinth.toolkit import act_as, fire_transition

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
    dispatcher = act_as(session, city.dispatcher)
    total = city.count(BACKLOG)
    progress(f"field_service: {total} field tasks waiting for {day.isoformat()}")
    for _ in range(total):
        site = rng.choice(city.sites)
        kind, subject, skill = rng.choice(SUBJECTS)
        description = f"{subject}: booked for {day.isoformat()}"
        order = new_work_order(dispatcher, rng, site, kind, subject, "phone", description)
        fire_transition(dispatcher, "work_order", order["id"], "send_to_field")
        task = field_task_of(session, order["id"])
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

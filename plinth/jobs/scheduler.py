"""`plinth scheduler`: every tick, enqueue due cron automations and periodic jobs, and hand
on jobs that should be running (new, retrying, or lost with a dead worker)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import TYPE_CHECKING

from plinth.auth.actor import SYSTEM
from plinth.runtime.events import SchedulerTick

if TYPE_CHECKING:
    from plinth.runtime.session import TenantContext as Tenant

log = logging.getLogger(__name__)


def tick(tenant: Tenant, now: dt.datetime | None = None) -> dict[str, int]:
    """One scheduler tick; safe to run from several schedulers at once (job keys dedupe)."""
    now = now or tenant.clock()
    tick_length = dt.timedelta(seconds=tenant.config["SCHEDULER_TICK_SECONDS"])
    with tenant.session(SYSTEM) as session:
        event = SchedulerTick(session, now, tick_length, {"cron": 0})
        tenant.events.publish(event)  # the rules engine enqueues due cron automations
        periodic = 0
        for name, seconds in tenant.jobs.periodic.items():
            bucket = int(now.timestamp() // seconds)
            tenant.jobs.enqueue(session, name, {"period": bucket}, key=f"every:{bucket}")
            periodic += 1
    swept = tenant.jobs.sweep()
    return {**event.counts, "periodic": periodic, "handed_on": swept}


def run_forever(tenant: Tenant, stop: threading.Event | None = None) -> None:
    """Tick every SCHEDULER_TICK_SECONDS until ``stop`` is set (or forever)."""
    stop = stop or threading.Event()
    seconds = tenant.config["SCHEDULER_TICK_SECONDS"]
    while not stop.is_set():
        started = time.monotonic()
        try:
            counts = tick(tenant)
            if any(counts.values()):
                log.info("scheduler tick: %s", counts)
        except Exception:  # noqa: BLE001 - a bad tick must not stop the scheduler
            log.exception("scheduler tick failed")
        stop.wait(max(0.0, seconds - (time.monotonic() - started)))

"""`plinth scheduler`: every tick, enqueue due cron automations and periodic jobs, hand on
jobs that should be running (new, retrying, or lost with a dead worker), and forget expired
idempotency keys and resumable uploads."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from plinth.auth.actor import SYSTEM, Actor
from plinth.runtime import idempotency, uploads
from plinth.runtime.events import SchedulerTick

if TYPE_CHECKING:
    from plinth.config import Config
    from plinth.jobs.service import JobService
    from plinth.runtime.event_bus import EventBus
    from plinth.runtime.session import Session

log = logging.getLogger(__name__)


class Tenant(Protocol):
    """What the scheduler needs of a tenant (``plinth.tenant.Tenant``): sessions, events, and
    its job service, which also hands on due jobs (``sweep``)."""

    @property
    def config(self) -> Config: ...
    @property
    def clock(self) -> Callable[[], dt.datetime]: ...
    @property
    def events(self) -> EventBus: ...
    @property
    def jobs(self) -> JobService: ...
    def session(
        self, actor: Actor = ..., write: bool = True
    ) -> AbstractContextManager[Session]: ...


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
        expired = idempotency.purge(session.conn, now)
        expired_uploads = uploads.purge(session, now)
    swept = tenant.jobs.sweep()
    return {
        **event.counts,
        "periodic": periodic,
        "handed_on": swept,
        "expired_keys": expired,
        "expired_uploads": expired_uploads,
    }


def run_forever(tenant: Tenant, stop: threading.Event | None = None) -> None:
    """Tick every SCHEDULER_TICK_SECONDS until ``stop`` is set (or forever)."""
    stop = stop or threading.Event()
    seconds = tenant.config["SCHEDULER_TICK_SECONDS"]
    while not stop.is_set():
        started = time.monotonic()
        try:
            counts = tick(tenant)
            # Periodic jobs are offered every tick (their keys dedupe): not news on their own.
            news = any(n for name, n in counts.items() if name != "periodic")
            log.log(logging.INFO if news else logging.DEBUG, "scheduler tick: %s", counts)
        except Exception:  # noqa: BLE001 - a bad tick must not stop the scheduler
            log.exception("scheduler tick failed")
        stop.wait(max(0.0, seconds - (time.monotonic() - started)))

"""A tenant's jobs: register handlers, enqueue in a transaction, run with leases and retries."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from plinth.auth.actor import SYSTEM
from plinth.errors import PlinthError
from plinth.jobs import outbox
from plinth.jobs.dispatch import InlineDispatcher, RqDispatcher
from plinth.jobs.registry import DEFAULT_BACKOFF, Handler, JobContext, JobRegistry
from plinth.log import request_id

if TYPE_CHECKING:
    from plinth.runtime.session import Session
    from plinth.runtime.session import TenantContext as Tenant

log = logging.getLogger(__name__)
# Failures with a known cause a user can act on (e-mail not set up, a webhook answering
# 500, a rule refusing): logged as one line; anything else with its traceback.
EXPECTED_FAILURES = (PlinthError,)


class JobService:
    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.registry = JobRegistry()
        redis_url = tenant.config["REDIS_URL"]
        self.dispatcher: RqDispatcher | InlineDispatcher
        if redis_url:
            self.dispatcher = RqDispatcher(redis_url, tenant.config["JOB_QUEUE"])
        else:
            self.dispatcher = InlineDispatcher(self.run, self.is_long_running)
        self.lease_seconds = tenant.config["JOB_LEASE_SECONDS"]
        self.periodic: dict[str, int] = {}

    # ---- registration ---------------------------------------------------------------------
    def register(
        self,
        name: str,
        handler: Handler,
        max_attempts: int = 5,
        backoff: Sequence[int] = DEFAULT_BACKOFF,
        long_running: bool = False,
    ) -> None:
        """Register a job handler. ``long_running`` handlers (an optimisation, an import)
        get no transaction of their own (see ``JobContext``) and, without Redis, run in a
        background thread so the request that queued them returns at once."""
        self.registry.register(name, handler, max_attempts, backoff, long_running)

    def is_long_running(self, key: str) -> bool:
        spec = self.registry.get(key.split(":", 1)[0])
        return bool(spec and spec.long_running)

    def job(self, name: str, **options: Any) -> Callable[[Handler], Handler]:
        return self.registry.job(name, **options)

    def every(self, name: str, seconds: int) -> None:
        """Run the registered job ``name`` once per ``seconds`` (from `plinth scheduler`)."""
        if self.registry.get(name) is None:
            raise ValueError(f"unknown job {name!r}")
        if seconds < 1:
            raise ValueError("the period must be at least one second")
        self.periodic[name] = seconds

    # ---- enqueueing -------------------------------------------------------------------------
    def enqueue(
        self,
        session: Session,
        name: str,
        payload: Any = None,
        key: str | None = None,
        delay_seconds: int = 0,
    ) -> str:
        """Add a job in the session's transaction; it is handed on once that commits.

        The same ``key`` (one per logical event) is accepted once only.
        """
        spec = self.registry.get(name)
        if spec is None:
            raise ValueError(f"unknown job {name!r}")
        full_key = outbox.job_key(name, key, payload)
        now = self.tenant.clock()
        run_after = now + dt.timedelta(seconds=delay_seconds)
        added = outbox.add(session.conn, name, payload, full_key, spec.max_attempts, run_after, now)
        if added and delay_seconds <= 0:
            session.on_commit(lambda: self.dispatcher.push([full_key]))
        return full_key

    def enqueue_now(self, name: str, payload: Any = None, key: str | None = None) -> str:
        """Enqueue in a transaction of its own."""
        with self.tenant.session(SYSTEM) as session:
            return self.enqueue(session, name, payload, key)

    # ---- running ----------------------------------------------------------------------------
    def run(self, key: str) -> str | None:
        """Run one job if it is due and not taken; returns its new status (None: not ours)."""
        tenant = self.tenant
        with tenant.database.transaction(write=True) as conn:
            job = outbox.claim(conn, key, tenant.clock(), self.lease_seconds)
        if job is None:
            return None
        spec = self.registry.get(job["name"])
        token = request_id.set(f"job:{job['id']}")
        try:
            if spec is None:
                raise LookupError(f"no handler is registered for job {job['name']!r}")
            if spec.long_running:
                spec.handler(JobContext(None, key, job["payload"], job["attempts"], tenant))
                with tenant.database.transaction(write=True) as conn:
                    outbox.finish(conn, job["id"], tenant.clock())
            else:
                with tenant.session(SYSTEM) as session:
                    context = JobContext(session, key, job["payload"], job["attempts"], tenant)
                    spec.handler(context)
                    outbox.finish(session.conn, job["id"], tenant.clock())
            log.info("job %s done (attempt %s)", key, job["attempts"])
            return outbox.DONE
        except Exception as exc:  # noqa: BLE001 - recorded, retried, then listed as failed
            if isinstance(exc, EXPECTED_FAILURES):  # a known cause: one line, no traceback
                log.warning("job %s failed (attempt %s): %s", key, job["attempts"], exc)
            else:
                log.exception("job %s failed (attempt %s)", key, job["attempts"])
            retry_in = None
            if spec is not None and job["attempts"] < job["max_attempts"]:
                retry_in = spec.delay(job["attempts"])
            with tenant.database.transaction(write=True) as conn:
                message = f"{type(exc).__name__}: {exc}"
                status = outbox.fail(conn, job, message, retry_in, tenant.clock())
            if status == outbox.RETRY:
                self.dispatcher.push_later(key, cast(int, retry_in))  # RETRY: it has a delay
            return status
        finally:
            request_id.reset(token)

    def sweep(self) -> int:
        """Hand on every job that should be running and may not be (new, retrying, lost)."""
        with self.tenant.database.transaction() as conn:
            keys = outbox.due(conn, self.tenant.clock())
        if keys:
            self.dispatcher.push(keys)
        return len(keys)

"""The function rq workers call, and the tenant a worker process uses."""

from __future__ import annotations

import functools

from plinth.config import load_config


@functools.cache
def _tenant():
    # Created in the process that runs the job (rq forks a work horse per job), so database
    # connections are never shared across a fork.
    from plinth.packs.plugins import load_plugins
    from plinth.tenant import Tenant

    tenant = Tenant(load_config())
    load_plugins(tenant)
    return tenant


def run_job(key: str) -> str | None:
    """Entry point of every rq job: run the outbox job with this key."""
    return _tenant().jobs.run(key)

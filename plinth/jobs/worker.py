"""The function rq workers call, and the tenant a worker process uses."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from plinth.config import load_config

if TYPE_CHECKING:
    from plinth.tenant import Tenant


@functools.cache
def _tenant() -> Tenant:
    # Created in the process that runs the job (rq forks a work horse per job), so database
    # connections are never shared across a fork.
    from plinth.bootstrap import build_tenant

    return build_tenant(load_config())


def run_job(key: str) -> str | None:
    """Entry point of every rq job: run the outbox job with this key."""
    return _tenant().jobs.run(key)

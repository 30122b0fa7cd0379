"""Background jobs: a transactional outbox run by rq workers on Redis, or in-process.

Use ``tenant.jobs.register(name, handler)`` (or the ``tenant.jobs.job(name)`` decorator)
and ``tenant.jobs.enqueue(session, name, payload, key=...)``.
"""

from plinth.jobs.registry import JobContext, JobSpec

__all__ = ["JobContext", "JobSpec"]

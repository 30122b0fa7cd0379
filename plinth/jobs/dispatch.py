"""Handing jobs to whatever runs them: rq workers on Redis, or this process.

This is the only module that imports rq.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rq import Queue

log = logging.getLogger(__name__)
QUEUE_NAME = "plinth"
RQ_ENTRY = "plinth.jobs.worker.run_job"
RQ_OPTIONS: dict[str, Any] = {"job_timeout": 3600, "result_ttl": 300, "failure_ttl": 86400}


class InlineDispatcher:
    """No Redis: run each job right away in the calling thread (after its commit); long
    running ones in a background thread of this process."""

    mode = "inline"

    def __init__(
        self, run: Callable[[str], object], in_background: Callable[[str], bool] = lambda k: False
    ):
        self._run = run
        self._in_background = in_background
        self.threads: list[threading.Thread] = []

    def push(self, keys: Iterable[str]) -> None:
        for key in keys:
            if self._in_background(key):
                thread = threading.Thread(target=self._run, args=(key,), name=key, daemon=True)
                self.threads = [t for t in self.threads if t.is_alive()] + [thread]
                thread.start()
            else:
                self._run(key)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the background jobs started so far (tests, shutdown)."""
        for thread in list(self.threads):
            thread.join(timeout)

    def push_later(self, key: str, seconds: int) -> None:
        """In-process there is no timer: the scheduler's sweep runs the retry when due."""


class RqDispatcher:
    """Redis: put each job on the rq queue; `plinth worker` processes run them."""

    mode = "redis"

    def __init__(self, redis_url: str, queue_name: str = QUEUE_NAME):
        self.redis_url = redis_url
        self.queue_name = queue_name
        self._queue: Queue | None = None

    @property
    def queue(self) -> Queue:
        if self._queue is None:
            import redis
            from rq import Queue

            connection = redis.Redis.from_url(self.redis_url)
            self._queue = Queue(self.queue_name, connection=connection)
        return self._queue

    def push(self, keys: Iterable[str]) -> None:
        for key in keys:
            # A failed push is not lost: the job row stays queued and the scheduler's sweep
            # pushes it again.
            self.queue.enqueue(RQ_ENTRY, key, **RQ_OPTIONS)

    def push_later(self, key: str, seconds: int) -> None:
        """Run a retry when its back-off ends (rq's scheduler, started with each worker)."""
        try:
            self.queue.enqueue_in(dt.timedelta(seconds=seconds), RQ_ENTRY, key, **RQ_OPTIONS)
        except Exception:  # noqa: BLE001 - the scheduler's sweep hands the retry on anyway
            log.warning("could not schedule the retry of %s on Redis", key, exc_info=True)

    def ping(self) -> bool:
        try:
            return bool(self.queue.connection.ping())
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False


def run_rq_worker(redis_url: str, queue_name: str = QUEUE_NAME, burst: bool = False) -> None:
    """Run an rq worker (with rq's scheduler) on the instance's queue until stopped."""
    import redis
    from rq import Queue, Worker

    connection = redis.Redis.from_url(redis_url)
    worker = Worker([Queue(queue_name, connection=connection)], connection=connection)
    worker.work(with_scheduler=True, burst=burst)

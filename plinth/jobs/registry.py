"""Job handlers, registered explicitly per tenant (engine subsystems and packs)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from plinth.runtime.session import Session

_NAME = re.compile(r"^[a-z][a-z0-9_.]{0,127}$")
DEFAULT_BACKOFF = (10, 60, 300, 1800, 7200)


@dataclasses.dataclass(frozen=True)
class JobContext:
    """What a handler gets: a system session in the job's transaction, the payload, and
    which attempt this is. Database work done through ``session`` commits together with
    the job's completion, so it happens exactly once.

    A long-running job gets no session (``session`` is None): it opens its own short
    transactions with ``tenant.session()``, so it never holds a lock while it computes,
    and must itself be safe to run again."""

    session: Session | None
    key: str
    payload: Any
    attempt: int
    tenant: Any = None


Handler = Callable[[JobContext], None]


@dataclasses.dataclass(frozen=True)
class JobSpec:
    name: str
    handler: Handler
    max_attempts: int = 5
    backoff: Sequence[int] = DEFAULT_BACKOFF
    long_running: bool = False

    def delay(self, attempt: int) -> int:
        """Seconds before the next try after ``attempt`` failed tries."""
        return self.backoff[min(attempt, len(self.backoff)) - 1]


class JobRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def register(
        self,
        name: str,
        handler: Handler,
        max_attempts: int = 5,
        backoff: Sequence[int] = DEFAULT_BACKOFF,
        long_running: bool = False,
    ) -> None:
        if not _NAME.match(name):
            raise ValueError(f"invalid job name {name!r}")
        if name in self._specs:
            raise ValueError(f"job {name!r} is registered twice")
        if not callable(handler):
            raise TypeError(f"job {name!r}: handler is not callable")
        if max_attempts < 1 or not backoff:
            raise ValueError(f"job {name!r}: needs at least one attempt and a backoff")
        self._specs[name] = JobSpec(name, handler, max_attempts, tuple(backoff), long_running)

    def job(self, name: str, **options: Any) -> Callable[[Handler], Handler]:
        """Decorator form of ``register``."""

        def decorate(handler: Handler) -> Handler:
            self.register(name, handler, **options)
            return handler

        return decorate

    def get(self, name: str) -> JobSpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return sorted(self._specs)

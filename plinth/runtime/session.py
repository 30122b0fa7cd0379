"""A unit of work: one transaction, one actor, one compiled metadata snapshot."""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from plinth.auth.access import FULL_ACCESS, AccessGuard
from plinth.auth.actor import Actor
from plinth.runtime.compiler import CompiledMetadata
from plinth.runtime.field_types.base import CoercionContext

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from plinth.auth.access import AccessGuard
    from plinth.config import Config
    from plinth.runtime.database import Database
    from plinth.runtime.event_bus import EventBus
    from plinth.runtime.files import FileStore
    from plinth.runtime.metadata_cache import MetadataCache
    from plinth.runtime.query import ListQuery


# ---- what a session needs of its tenant ---------------------------------------------------
# Protocols, so the runtime, the engines and the jobs can name the tenant's parts without
# importing ``plinth.tenant`` (which builds sessions and record services from them): the
# import graph stays one-directional. ``plinth.tenant.Tenant`` is the one implementation.


class Records(Protocol):
    """The record service of a session (``plinth.runtime.record_service.RecordService``):
    the one door to data, with the session's actor's permissions."""

    def get(
        self,
        object_name: str,
        record_id: Any,
        fields: list[str] | None = None,
        expand_fields: Iterable[str] = (),
    ) -> dict[str, Any]: ...

    def get_many(self, object_name: str, ids: Iterable[int]) -> list[dict[str, Any]]: ...

    def list(self, object_name: str, query: ListQuery | None = None) -> Any: ...

    def count(self, object_name: str, query: ListQuery | None = None) -> int: ...

    # (``builtins.list``: within the class, ``list`` names the method above)
    def history(
        self, object_name: str, record_id: Any, limit: int = 100, before: int | None = None
    ) -> builtins.list[dict[str, Any]]: ...

    def create(self, object_name: str, values: Mapping[str, Any]) -> dict[str, Any]: ...

    def update(
        self,
        object_name: str,
        record_id: Any,
        values: Mapping[str, Any],
        expected_version: int | None = None,
        touch: bool = False,
    ) -> dict[str, Any]: ...

    def lock(
        self,
        object_name: str,
        record_id: Any,
        action: str = "update",
        expected_version: int | None = None,
    ) -> dict[str, Any]: ...

    def delete(
        self, object_name: str, record_id: Any, expected_version: int | None = None
    ) -> None: ...


class Jobs(Protocol):
    """The tenant's background jobs, as records and engines use them."""

    periodic: dict[str, int]

    def register(self, name: str, handler: Callable[..., Any], **options: Any) -> None: ...

    def every(self, name: str, seconds: int) -> None: ...

    def enqueue(
        self,
        session: Session,
        name: str,
        payload: Any = None,
        key: str | None = None,
        delay_seconds: int = 0,
    ) -> str: ...

    def enqueue_now(self, name: str, payload: Any = None, key: str | None = None) -> str: ...


class TenantContext(Protocol):
    """One tenant's data space: its settings, database, files, compiled metadata, events,
    jobs and clock; and the sessions that work in it."""

    name: str
    config: Config
    database: Database
    files: FileStore
    metadata: MetadataCache
    events: EventBus
    jobs: Jobs
    zone: ZoneInfo
    clock: Callable[[], dt.datetime]

    def session(
        self, actor: Actor = ..., write: bool = True
    ) -> contextlib.AbstractContextManager[Session]: ...

    def access_guard(self, session: Session) -> AccessGuard: ...

    def record_service(self, session: Session) -> Records: ...


class Session:
    """Everything a request or job needs to touch data, bound to its tenant."""

    def __init__(
        self,
        tenant: TenantContext,
        conn: Connection,
        actor: Actor,
        revision_id: int | None = None,
    ):
        self.tenant = tenant
        self.conn = conn
        self.actor = actor
        self._revision_id = revision_id
        self.after_commit: list[Callable[[], object]] = []
        self.after_end: list[Callable[[], object]] = []
        # Scratch space of the subsystems above the runtime, each under its own key (the
        # workflow's move being saved, assignments decided before a save): ``state`` is this
        # session's own; ``inherited`` is copied into the sessions cloned from it (how deep
        # automations have set each other off).
        self.state: dict[str, Any] = {}
        self.inherited: dict[str, Any] = {}
        # Writes whose values the engine already checked (a transition's caller values and
        # its ``set`` expressions) may fill read-only fields, like the system actor.
        self.trusted_writes = False

    def on_end(self, callback: Callable[[], object]) -> None:
        """Run ``callback()`` once the transaction has ended, committed or rolled back (for
        records that must survive a failure, like a webhook delivery log)."""
        self.after_end.append(callback)

    def run_after_end(self) -> None:
        callbacks, self.after_end = self.after_end, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - must not hide the outcome of the work itself
                log.exception("after-transaction callback failed")

    def on_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback()`` once this session's transaction has committed (not on rollback)."""
        self.after_commit.append(callback)

    def run_after_commit(self) -> None:
        callbacks, self.after_commit = self.after_commit, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001 - the commit stands; jobs are swept up later
                log.exception("after-commit callback failed")

    @functools.cached_property
    def compiled(self) -> CompiledMetadata:
        """The metadata of the newest revision (checked once per session)."""
        return self.tenant.metadata.current(self.conn, self._revision_id)

    @functools.cached_property
    def guard(self) -> AccessGuard:
        return self.tenant.access_guard(self)

    @functools.cached_property
    def coercion(self) -> CoercionContext:
        return CoercionContext(time_zone=self.actor.zone, dialect=self.conn.dialect.name)

    @functools.cached_property
    def records(self) -> Records:
        return self.tenant.record_service(self)

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """Run a block whose failure is rolled back without ending the session."""
        with self.conn.begin_nested():
            yield

    def as_system(self) -> Session:
        """The same transaction, acting as the system (automations, jobs)."""
        from plinth.auth.actor import SYSTEM

        clone = self.with_full_access()
        clone.actor = SYSTEM
        clone.__dict__.pop("coercion", None)
        return clone

    def acting_as(self, actor: Actor) -> Session:
        """The same transaction, acting as ``actor`` with that actor's own permissions (a
        demo or an import playing several users); jobs queued by either are handed on when
        the transaction commits."""
        clone = Session(self.tenant, self.conn, actor, self._revision_id)
        clone.__dict__["compiled"] = self.compiled
        clone.after_commit = self.after_commit  # the same transaction: the same callbacks
        clone.after_end = self.after_end
        clone.inherited = dict(self.inherited)
        return clone

    def with_full_access(self) -> Session:
        """The same transaction, bypassing role checks (for cascades done on the user's behalf)."""
        clone = self.acting_as(self.actor)
        clone.__dict__["guard"] = FULL_ACCESS
        return clone

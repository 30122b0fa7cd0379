"""A unit of work: one transaction, one actor, one compiled metadata snapshot."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from plinth.auth.access import FULL_ACCESS, AccessGuard
from plinth.auth.actor import Actor
from plinth.runtime.compiler import CompiledMetadata
from plinth.runtime.field_types.base import CoercionContext

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from plinth.runtime.record_service import RecordService
    from plinth.tenant import Tenant


class Session:
    """Everything a request or job needs to touch data, bound to its tenant."""

    def __init__(
        self, tenant: Tenant, conn: Connection, actor: Actor, revision_id: int | None = None
    ):
        self.tenant = tenant
        self.conn = conn
        self.actor = actor
        self._revision_id = revision_id
        self.after_commit: list = []
        self.after_end: list = []
        self.automation_depth = 0
        self.transition = None  # the workflow move this session is saving (workflow engine)
        self.pending_assignments: list = []  # decided before a save, logged after it
        # Writes whose values the engine already checked (a transition's caller values and
        # its ``set`` expressions) may fill read-only fields, like the system actor.
        self.trusted_writes = False

    def on_end(self, callback) -> None:
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

    def on_commit(self, callback) -> None:
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
    def records(self) -> RecordService:
        from plinth.runtime.record_service import RecordService

        return RecordService(self)

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

    def with_full_access(self) -> Session:
        """The same transaction, bypassing role checks (for cascades done on the user's behalf)."""
        clone = Session(self.tenant, self.conn, self.actor)
        clone.__dict__["compiled"] = self.compiled
        clone.__dict__["guard"] = FULL_ACCESS
        clone.after_commit = self.after_commit  # the same transaction: the same callbacks
        clone.after_end = self.after_end
        clone.automation_depth = self.automation_depth
        return clone

"""A tenant: its settings, database, files, compiled metadata, events, jobs and clock; and
the sessions that work in it. It builds nothing above the runtime: the engines that
subscribe to its events are composed by ``plinth.bootstrap``."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from plinth.auth.access import FULL_ACCESS, AccessGuard
from plinth.auth.actor import SYSTEM, Actor
from plinth.auth.role_access import RoleAccess
from plinth.config import Config
from plinth.errors import ConfigError
from plinth.jobs.service import JobService
from plinth.packs.routes import PackRoutes
from plinth.runtime.database import Database
from plinth.runtime.event_bus import EventBus
from plinth.runtime.files import FileStore
from plinth.runtime.metadata_cache import MetadataCache
from plinth.runtime.record_service import RecordService
from plinth.runtime.session import Session, TenantContext

# Who is acting, found once the transaction has begun (an API request authenticates in the
# transaction it then works in): the actor and the newest metadata revision it saw.
Identify = Callable[[Connection], tuple[Actor, int | None]]


class Tenant:
    """One customer's data space. Today there is one; nothing here assumes so."""

    def __init__(self, config: Config, name: str = "default"):
        self.name = name
        self.config = config
        self.database = Database(config["DATABASE_URL"], config["DATABASE_SCHEMA"])
        self.files = FileStore(config["STORAGE_DIR"])
        self.metadata = MetadataCache()
        self.events = EventBus()
        self.routes = PackRoutes()  # HTTP endpoints packs add
        self.plugins: set[str] = set()  # packs whose register(context) has run
        self.clock: Callable[[], dt.datetime] = _utc_now
        self.jobs = JobService(as_context(self))
        try:
            self.zone = ZoneInfo(config["DEFAULT_TIME_ZONE"])
        except (KeyError, ValueError):
            raise ConfigError(f"unknown time zone {config['DEFAULT_TIME_ZONE']!r}") from None

    @contextlib.contextmanager
    def session(
        self, actor: Actor = SYSTEM, write: bool = True, identify: Identify | None = None
    ) -> Iterator[Session]:
        """A session in one transaction: committed when the block succeeds, else rolled back.
        With ``identify``, the actor is whoever it finds in that transaction."""
        session = None
        try:
            with self.database.transaction(write=write) as conn:
                revision = None
                if identify is not None:
                    actor, revision = identify(conn)
                session = Session(as_context(self), conn, actor, revision)
                yield session
        finally:
            if session is not None:
                session.run_after_end()
        session.run_after_commit()

    def access_guard(self, session: Session) -> AccessGuard:
        """The guard for a session's actor: full access for the system actor and admins."""
        return FULL_ACCESS if session.actor.is_admin else RoleAccess(session)

    def record_service(self, session: Session) -> RecordService:
        return RecordService(session)

    def dispose(self) -> None:
        self.database.dispose()


def as_context(tenant: Tenant) -> TenantContext:
    """The tenant as the engines below it take it. It is a TenantContext in all but one
    respect mypy checks: the protocol declares ``jobs: Jobs`` as a settable attribute, which
    mypy matches invariantly, while a tenant's ``jobs`` is the whole JobService (the worker
    and the scheduler use more of it than ``Jobs`` names)."""
    return cast(TenantContext, tenant)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

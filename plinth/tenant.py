"""A tenant: its database, file store, compiled metadata and hooks; sessions come from here."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

from plinth.auth.access import FULL_ACCESS, AccessGuard
from plinth.auth.actor import SYSTEM, Actor
from plinth.config import Config
from plinth.errors import ConfigError
from plinth.jobs.service import JobService
from plinth.packs.routes import PackRoutes
from plinth.rules.assignment.engine import AssignmentEngine
from plinth.rules.engine import RulesEngine
from plinth.runtime.database import Database
from plinth.runtime.files import FileStore
from plinth.runtime.hooks import Hooks
from plinth.runtime.metadata_cache import MetadataCache
from plinth.runtime.session import Session
from plinth.workflow.engine import WorkflowEngine


class Tenant:
    """One customer's data space. Today there is one; nothing here assumes so."""

    def __init__(self, config: Config, name: str = "default"):
        self.name = name
        self.config = config
        self.database = Database(config["DATABASE_URL"], config["DATABASE_SCHEMA"])
        self.files = FileStore(config["STORAGE_DIR"])
        self.metadata = MetadataCache()
        self.hooks = Hooks()
        self.routes = PackRoutes()  # HTTP endpoints packs add
        self.plugins: set[str] = set()  # packs whose register(context) has run
        self.clock: Callable[[], dt.datetime] = _utc_now
        self.jobs = JobService(self)
        # Hook order matters: the workflow sets and guards states before rules validate.
        self.workflow = WorkflowEngine(self)
        self.assignment = AssignmentEngine(self)  # after the workflow: a state entry assigns
        self.rules = RulesEngine(self)
        try:
            self.zone = ZoneInfo(config["DEFAULT_TIME_ZONE"])
        except (KeyError, ValueError):
            raise ConfigError(f"unknown time zone {config['DEFAULT_TIME_ZONE']!r}") from None

    @contextlib.contextmanager
    def session(self, actor: Actor = SYSTEM, write: bool = True) -> Iterator[Session]:
        """A session in one transaction: committed when the block succeeds, else rolled back."""
        session = None
        try:
            with self.database.transaction(write=write) as conn:
                session = Session(self, conn, actor)
                yield session
        finally:
            if session is not None:
                session.run_after_end()
        session.run_after_commit()

    def access_guard(self, session: Session) -> AccessGuard:
        """The guard for a session's actor: full access for the system actor and admins."""
        if session.actor.is_admin:
            return FULL_ACCESS
        from plinth.auth.role_access import RoleAccess

        return RoleAccess(session)

    def dispose(self) -> None:
        self.database.dispose()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""Create or upgrade the engine's system tables with the alembic revisions in migrations/."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import migrations
from plinth.runtime.database import Database

VERSION_TABLE = "plinth_alembic_version"


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return cfg


def head_revision() -> str:
    """The newest revision id shipped with this code."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # only when migrations/ holds no revision at all
        raise RuntimeError("no alembic revision found in migrations/")
    return head


def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None when it was never initialised."""
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(database: Database) -> tuple[str | None, str]:
    """Bring the system tables to the newest revision; returns (before, after). Idempotent."""
    database.ensure_schema()
    before = current_revision(database)
    cfg = _alembic_config()
    with database.ddl_transaction() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return before, head_revision()

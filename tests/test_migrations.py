"""The engine's system tables: alembic revisions match the code, init is idempotent."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from plinth.runtime import migrate, system_tables


def test_system_tables_match_their_migrations(tenant):
    with tenant.database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _p: (
                    type_ != "table"
                    or (name.startswith("plinth_") and name != migrate.VERSION_TABLE)
                ),
            },
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert compare_metadata(context, system_tables.metadata) == []


def test_upgrade_is_idempotent(tenant):
    head = migrate.head_revision()
    assert migrate.current_revision(tenant.database) == head
    assert migrate.upgrade(tenant.database) == (head, head)


def test_alembic_has_a_single_head():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate._alembic_config())
    assert len(script.get_heads()) == 1

"""Alembic environment: runs on the connection handed over by ``plinth.runtime.migrate``."""

from alembic import context

from plinth.runtime.system_tables import metadata as target_metadata

VERSION_TABLE = "plinth_alembic_version"


def _include_name(name, type_, _parent_names):
    # Object tables (obj_*) and archives are synced from metadata, never by these revisions.
    if type_ == "table":
        return name.startswith("plinth_")
    return True


def run_migrations_online() -> None:
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=_include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `plinth init`")
run_migrations_online()

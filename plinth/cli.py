"""The ``plinth`` command: set-up, serving, users, packs and metadata.

User mistakes print one ``Error:`` line and exit non-zero; tracebacks are for bugs only.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

import click
import sqlalchemy as sa

from plinth.commands import db, metadata, packs, users, workers
from plinth.commands.state import CliState
from plinth.errors import PlinthError, ValidationError


def describe_error(error: PlinthError) -> str:
    """One line for any core error, including every field of a validation error."""
    if isinstance(error, ValidationError) and error.errors:
        parts = [f"{key}: {' '.join(messages)}" for key, messages in error.errors.items()]
        text = "; ".join(parts)
        return text if len(text) < 2000 else text[:2000] + "…"
    return error.detail


def _database_reason(exc: sa.exc.DBAPIError) -> str:
    text = str(exc.orig or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class PlinthGroup(click.Group):
    """Turns core errors into one-line CLI errors (exit status 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlinthError as exc:
            raise click.ClickException(describe_error(exc)) from None
        except sa.exc.OperationalError as exc:
            raise click.ClickException(
                f"database unavailable ({_database_reason(exc)}); check PLINTH_DATABASE_URL "
                "and run `plinth init`"
            ) from None
        except sa.exc.ProgrammingError as exc:
            raise click.ClickException(
                f"database not initialised ({_database_reason(exc)}); run `plinth init`"
            ) from None


@click.group(cls=PlinthGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="plinth")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Plinth: a metadata-driven object platform."""
    ctx.obj = CliState()


for module in (db, users, packs, metadata, workers):
    module.register(cli)

# Packs add their own commands (e.g. `plinth dispatch`) through this entry point group.
for command_set in entry_points(group="plinth.commands"):
    command_set.load()(cli)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="plinth")

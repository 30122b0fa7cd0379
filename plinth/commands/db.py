"""``plinth init``, ``plinth run`` and ``plinth config``."""

from __future__ import annotations

import click

from plinth.runtime import migrate


def register(cli: click.Group) -> None:
    cli.add_command(init)
    cli.add_command(run)
    cli.add_command(config)


@click.command()
@click.pass_obj
def init(state) -> None:
    """Create or upgrade the database (idempotent)."""
    database = state.tenant.database
    before, after = migrate.upgrade(database)
    where = database.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"Database {where} is up to date (revision {after}).")
    else:
        click.echo(f"Database {where} upgraded from {before or 'empty'} to {after}.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--debug", is_flag=True, help="Reload on code changes and show debug pages.")
def run(host: str, port: int, debug: bool) -> None:
    """Serve the web UI and API (development server; use gunicorn in production)."""
    from plinth.app import create_app

    app = create_app()
    click.echo(f"Plinth is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug, use_reloader=debug, threaded=True)


@click.command()
@click.pass_obj
def config(state) -> None:
    """Show every setting, its value and where it came from."""
    for row in state.config.describe():
        click.echo(f"{row['name']}={row['value'] if row['value'] is not None else ''}")
        click.echo(f"    {row['help']} [{row['source']}]")

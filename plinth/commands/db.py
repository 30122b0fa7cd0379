"""``plinth init``, ``plinth run`` and ``plinth config``."""

from __future__ import annotations

import os
import threading

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
@click.option(
    "--scheduler/--no-scheduler",
    default=None,
    help="Run the job scheduler in this process (default: on when PLINTH_REDIS_URL is unset).",
)
def run(host: str, port: int, debug: bool, scheduler: bool | None) -> None:
    """Serve the web UI and API (development server; use gunicorn in production)."""
    from plinth.app import create_app
    from plinth.extension import current_tenant

    app = create_app()
    with app.app_context():
        tenant = current_tenant()
    if scheduler is None:
        scheduler = not tenant.config["REDIS_URL"]
    reloader_parent = debug and not os.environ.get("WERKZEUG_RUN_MAIN")
    if scheduler and not reloader_parent:
        start_scheduler_thread(tenant)
        click.echo("Cron automations, periodic jobs and retries run in this process.")
    click.echo(f"Plinth is serving on http://{host}:{port}/ (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug, use_reloader=debug, threaded=True)


def start_scheduler_thread(tenant, stop: threading.Event | None = None) -> threading.Thread:
    """The scheduler loop in a daemon thread, for single-process setups without Redis."""
    from plinth.jobs.scheduler import run_forever

    thread = threading.Thread(target=run_forever, args=(tenant, stop), name="plinth-scheduler")
    thread.daemon = True
    thread.start()
    return thread


@click.command()
@click.pass_obj
def config(state) -> None:
    """Show every setting, its value and where it came from."""
    for row in state.config.describe():
        click.echo(f"{row['name']}={row['value'] if row['value'] is not None else ''}")
        click.echo(f"    {row['help']} [{row['source']}]")

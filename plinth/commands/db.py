"""``plinth init``, ``plinth run`` and ``plinth config``."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

import click

from plinth.runtime import migrate

if TYPE_CHECKING:
    from plinth.commands.state import CliState
    from plinth.tenant import Tenant


def register(cli: click.Group) -> None:
    cli.add_command(init)
    cli.add_command(run)
    cli.add_command(config)


@click.command()
@click.pass_obj
def init(state: CliState) -> None:
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
        click.echo("Catching up on scheduled work (SLA clocks, alerts, tracks)...")
        _first_tick(tenant)  # its burst of job lines comes before the banner, not after
        start_scheduler_thread(tenant)
        click.echo("Cron automations, periodic jobs and retries run in this process.")
    if debug:
        click.echo("\n".join(banner(tenant, host, port)))
        app.run(host=host, port=port, debug=True, use_reloader=True, threaded=True)
        return
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True)  # bound: the address works now
    click.echo("\n".join(banner(tenant, host, port)))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")
    finally:
        server.server_close()


def banner(tenant: Tenant, host: str, port: int) -> list[str]:
    """What a newcomer needs once the server is up: where to go, and (with demo data) the
    demo accounts of each role with their passwords."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://{shown}:{port}"
    lines = [
        "",
        f"  Plinth is serving on {base}/  (Ctrl+C to stop; a development server, see",
        "  docs/operations.md for production)",
        f"    Open the app:   {base}/app/",
        f"    API reference:  {base}/api/v1/docs",
    ]
    accounts = _demo_accounts(tenant)
    if accounts:
        width = max(len(a["email"]) for a in accounts)
        lines += ["", "  Demo accounts (log in at /app/):"]
        for account in accounts:
            lines.append(
                f"    {account['label']:<18} {account['email']:<{width}}  {account['password']}"
            )
        admin = next((a["email"] for a in accounts if a["role"] == "admin"), None)
        if admin:
            lines.append(f"    API token:         {_command()} token create --email {admin}")
    lines.append("")
    return lines


def _command() -> str:
    """How this ``plinth`` was started (``.venv/bin/plinth`` under ``make demo``)."""
    program = os.path.relpath(sys.argv[0]) if sys.argv and sys.argv[0] else "plinth"
    return program if os.path.basename(program) == "plinth" else "plinth"


def _demo_accounts(tenant: Tenant) -> list[dict[str, Any]]:
    """The demo accounts that still exist and are active, administrators first, with their
    roles' labels; none when the database cannot tell (not initialised)."""
    import sqlalchemy as sa

    from plinth.auth.users import find_user
    from plinth.i18n import localize
    from plinth.packs.demo import demo_accounts

    try:
        with tenant.database.transaction() as conn:
            roles = tenant.metadata.current(conn).docs("roles")
            accounts = [
                a for a in demo_accounts(conn) if (find_user(conn, a["email"]) or {}).get("active")
            ]
    except sa.exc.SQLAlchemyError:
        return []
    labels = {"admin": "Administrator"}
    for account in accounts:
        role = account["role"]
        account["label"] = (
            labels.get(role) or localize((roles.get(role) or {}).get("label"), "en") or role
        )
    return sorted(accounts, key=lambda a: a["role"] != "admin")


def _first_tick(tenant: Tenant) -> None:
    from plinth.jobs.scheduler import tick

    try:
        tick(tenant)
    except Exception:  # noqa: BLE001 - the scheduler thread tries again; serving goes on
        logging.getLogger(__name__).exception("scheduler tick failed")


def start_scheduler_thread(tenant: Tenant, stop: threading.Event | None = None) -> threading.Thread:
    """The scheduler loop in a daemon thread, for single-process setups without Redis."""
    from plinth.jobs.scheduler import run_forever

    thread = threading.Thread(target=run_forever, args=(tenant, stop), name="plinth-scheduler")
    thread.daemon = True
    thread.start()
    return thread


@click.command()
@click.pass_obj
def config(state: CliState) -> None:
    """Show every setting, its value and where it came from."""
    for row in state.config.describe():
        click.echo(f"{row['name']}={row['value'] if row['value'] is not None else ''}")
        click.echo(f"    {row['help']} [{row['source']}]")

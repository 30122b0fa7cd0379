"""``plinth worker`` and ``plinth scheduler``: running background jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from plinth.jobs.dispatch import run_rq_worker
from plinth.jobs.scheduler import run_forever, tick

if TYPE_CHECKING:
    from plinth.commands.state import CliState


def register(cli: click.Group) -> None:
    cli.add_command(worker)
    cli.add_command(scheduler)


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.pass_obj
def worker(state: CliState, burst: bool) -> None:
    """Run an rq worker (with rq's scheduler) for the jobs of this instance."""
    redis_url = state.config["REDIS_URL"]
    if not redis_url:
        raise click.ClickException(
            "PLINTH_REDIS_URL is not set: without Redis, jobs run in-process and no worker is "
            "needed (run `plinth scheduler` for cron automations and retries)"
        )
    # The tenant is built now, so a broken configuration fails here, not in the first job;
    # its connections are closed before rq forks work horses (each builds its own).
    tenant = state.tenant
    database = tenant.database.url.render_as_string(hide_password=True)
    tenant.dispose()
    queue = state.config["JOB_QUEUE"]
    click.echo(f"Worker for {database} on {redis_url}, queue {queue} (Ctrl+C to stop)")
    run_rq_worker(redis_url, queue, burst=burst)


@click.command()
@click.option("--once", is_flag=True, help="Run one tick and exit.")
@click.pass_obj
def scheduler(state: CliState, once: bool) -> None:
    """Enqueue cron automations and periodic jobs, and hand on due or lost jobs, every tick.

    Several schedulers may run at once: each due run is enqueued exactly once.
    """
    tenant = state.tenant
    if once:
        counts = tick(tenant)
        click.echo(
            f"{counts['cron']} cron run(s), {counts['periodic']} periodic job(s) enqueued; "
            f"{counts['handed_on']} job(s) handed on."
        )
        return
    seconds = tenant.config["SCHEDULER_TICK_SECONDS"]
    click.echo(f"Scheduler ticking every {seconds}s (Ctrl+C to stop)")
    try:
        run_forever(tenant)
    except KeyboardInterrupt:
        click.echo("Scheduler stopped.")

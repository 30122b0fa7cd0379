"""``plinth worker`` and ``plinth scheduler``: names reserved for background jobs."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    cli.add_command(worker)
    cli.add_command(scheduler)


def _not_yet(name: str) -> None:
    raise click.ClickException(
        f"`plinth {name}` is reserved for background jobs, which this version does not ship "
        "yet: jobs run in-process today."
    )


@click.command()
def worker() -> None:
    """Run a background job worker (reserved)."""
    _not_yet("worker")


@click.command()
def scheduler() -> None:
    """Run the periodic job scheduler (reserved)."""
    _not_yet("scheduler")

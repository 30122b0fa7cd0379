"""`plinth dispatch ...`: the dispatch optimiser on the command line."""

from __future__ import annotations

import json
import pathlib
import time

import click


def register(cli: click.Group) -> None:
    cli.add_command(dispatch)


@click.group()
def dispatch() -> None:
    """The dispatch optimiser (PyVRP)."""


@dispatch.command()
@click.argument("path", type=click.Path(path_type=pathlib.Path))
@click.option(
    "--seconds",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Time budget of the solver (one core).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed of the solver.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one line of JSON.")
def vrptw(path: pathlib.Path, seconds: float, seed: int, as_json: bool) -> None:
    """Solve the CVRPTW instance at PATH (VRPLIB format, e.g. Solomon) with DIMACS distances."""
    from packs.field_service.dispatch.vrplib import NoFeasibleSolution, solve_vrptw

    started = time.perf_counter()
    try:
        result = solve_vrptw(path, seconds, seed=seed)
    except (ValueError, NoFeasibleSolution) as exc:
        raise click.ClickException(str(exc)) from None
    elapsed = time.perf_counter() - started
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(
            f"{result['instance']}: {result['vehicles']} vehicles, "
            f"distance {result['distance']:.1f}, {elapsed:.1f} s"
        )

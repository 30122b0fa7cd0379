"""``plinth pack install|export|list`` and ``plinth demo``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from plinth.config import add_to_config_file, config_file_path
from plinth.errors import ConfigError
from plinth.packs.demo import demo_loaded, load_demo
from plinth.packs.exporter import export_pack
from plinth.packs.installer import PackInstaller, install_order, installed_packs
from plinth.packs.loader import Pack, discovered_packs, find_pack, load_pack

if TYPE_CHECKING:
    from plinth.commands.state import CliState


def register(cli: click.Group) -> None:
    cli.add_command(pack)
    cli.add_command(demo)


def _progress(message: str) -> None:
    click.echo(f"  … {message}")


@click.group()
def pack() -> None:
    """Install, export and list packs."""


@pack.command("install")
@click.argument("packs", nargs=-1, required=True)
@click.option(
    "--confirm-destructive",
    is_flag=True,
    help="Allow changes that archive data (removed fields, narrowed types).",
)
@click.option("--force", is_flag=True, help="Reinstall the same version or downgrade.")
@click.pass_obj
def pack_install(
    state: CliState, packs: tuple[str, ...], confirm_destructive: bool, force: bool
) -> None:
    """Install or upgrade packs, given by name or folder, in dependency order."""
    loaded = [find_pack(p) for p in packs]
    installer = PackInstaller(state.tenant, progress=_progress)
    for outcome in installer.install(loaded, confirm_destructive, force):
        if outcome.action == "unchanged":
            click.echo(f"{outcome.pack} {outcome.version} is already installed.")
        elif outcome.action == "upgraded":
            click.echo(
                f"Upgraded {outcome.pack} {outcome.previous} -> {outcome.version} "
                f"({outcome.changes} changes, revision {outcome.revision_id})."
            )
        else:
            click.echo(
                f"Installed {outcome.pack} {outcome.version} "
                f"({outcome.changes} documents, revision {outcome.revision_id})."
            )


@pack.command("export")
@click.argument("name")
@click.option("--to", "to", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", help="Version to write in pack.yaml (default: the installed one).")
@click.option("--name", "new_name", help="Export under another pack name.")
@click.option("--overwrite", is_flag=True, help="Replace metadata files in a non-empty folder.")
@click.pass_obj
def pack_export(
    state: CliState,
    name: str,
    to: Path,
    version: str | None,
    new_name: str | None,
    overwrite: bool,
) -> None:
    """Write an installed pack (or `custom`, the unpackaged metadata) to a folder."""
    folder, count = export_pack(state.tenant, name, to, version, new_name, overwrite)
    click.echo(f"Exported {count} documents of {name} to {folder}.")


@pack.command("list")
@click.pass_obj
def pack_list(state: CliState) -> None:
    """List installed packs and the packs available to install."""
    with state.tenant.database.transaction() as conn:
        installed = installed_packs(conn)
    available = discovered_packs()
    if not installed and not available:
        click.echo("No packs installed or available.")
    for name in sorted(set(installed) | set(available)):
        if name in installed:
            row = installed[name]
            click.echo(f"{name} {row['version']} installed {row['updated_at']:%Y-%m-%d %H:%M} UTC")
        else:
            click.echo(f"{name} (available: {available[name]})")


@click.command()
@click.option("--force", is_flag=True, help="Load again even if already loaded.")
@click.pass_obj
def demo(state: CliState, force: bool) -> None:
    """Load the demo data of every installed pack (once)."""
    tenant = state.tenant
    with tenant.database.transaction() as conn:
        installed = installed_packs(conn)
        done = {name for name in installed if demo_loaded(conn, name)}
    packs = []
    for name, row in installed.items():
        root = Path(row["source"])
        packs.append(load_pack(root) if root.is_dir() else find_pack(name))
    if not packs:
        click.echo("No packs installed: nothing to load.")
        return
    _use_the_demo_time_zone(state, packs)
    for loaded in install_order(packs, installed):
        if loaded.name in done and not force:
            click.echo(f"{loaded.name}: demo data already loaded.")
            continue
        count = load_demo(tenant, loaded, _progress, force)
        click.echo(f"{loaded.name}: loaded {count} demo records.")


def _use_the_demo_time_zone(state: CliState, packs: list[Pack]) -> None:
    """Make the demo data's time zone (a pack's ``demo_time_zone``: the demo city is in
    Shanghai) the instance's, in its config file, unless one was chosen already."""
    zone = next(
        (p.manifest["demo_time_zone"] for p in packs if "demo_time_zone" in p.manifest), None
    )
    if zone is None:
        return
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError):
        raise ConfigError(f"unknown demo time zone {zone!r}") from None
    config = state.config
    current, source = config["DEFAULT_TIME_ZONE"], config.source("DEFAULT_TIME_ZONE")
    if source != "default":
        if current != zone:
            click.echo(f"The demo data is in {zone}; the instance keeps {current} ({source}).")
        return
    path = config_file_path(config.instance_dir)
    add_to_config_file(path, "DEFAULT_TIME_ZONE", zone)
    state.tenant.zone = ZoneInfo(zone)
    click.echo(f"Instance time zone: {zone}, the demo's (default_time_zone in {path}).")

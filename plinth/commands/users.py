"""``plinth user create`` and ``plinth token create``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from plinth.auth.tokens import create_token
from plinth.auth.users import create_user, find_user
from plinth.errors import NotFound
from plinth.metadata.store import load_documents
from plinth.packs.demo import add_demo_account
from plinth.runtime.audit import audit

if TYPE_CHECKING:
    from plinth.commands.state import CliState


def register(cli: click.Group) -> None:
    cli.add_command(user)
    cli.add_command(token)


@click.group()
def user() -> None:
    """Manage platform users."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="")
@click.option("--role", "roles", multiple=True, help="Role name; repeat for several.")
@click.option("--locale", default="en", show_default=True)
@click.option(
    "--time-zone", help="IANA time zone (default: the instance's, PLINTH_DEFAULT_TIME_ZONE)."
)
@click.option("--exists-ok", is_flag=True, help="Succeed without changes if the user exists.")
@click.option(
    "--demo",
    is_flag=True,
    help="A demo account: `plinth run` shows it with its password (kept in plain text).",
)
@click.pass_obj
def user_create(
    state: CliState,
    email: str,
    password: str,
    name: str,
    roles: tuple[str, ...],
    locale: str,
    time_zone: str | None,
    exists_ok: bool,
    demo: bool,
) -> None:
    """Create a user who can log in with EMAIL and PASSWORD."""
    time_zone = time_zone or state.config["DEFAULT_TIME_ZONE"]
    with state.tenant.database.transaction(write=True) as conn:
        if demo:
            add_demo_account(conn, email, roles[0] if roles else "", password)
        if exists_ok and find_user(conn, email) is not None:
            click.echo(f"User {email.strip().lower()} already exists.")
            return
        known = load_documents(conn).get("roles", {})
        created = create_user(conn, email, password, name, roles, known, locale, time_zone)
        audit(
            conn, None, "user.create", created["email"], {"roles": created["roles"], "via": "cli"}
        )
    roles_text = ", ".join(created["roles"]) or "no roles"
    click.echo(f"Created user {created['email']} (id {created['id']}, {roles_text}).")


@click.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option("--email", required=True)
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Expire after this many days.")
@click.pass_obj
def token_create(state: CliState, email: str, name: str, expires_days: int | None) -> None:
    """Print a new API token for the user (shown only once)."""
    with state.tenant.database.transaction(write=True) as conn:
        found = find_user(conn, email)
        if found is None or not found["active"]:
            raise NotFound(f"no active user with email {email}")
        expires = None
        if expires_days:
            expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=expires_days)
        secret, row = create_token(conn, found["id"], name, expires)
        audit(conn, None, "token.create", found["email"], {"token_id": row["id"], "via": "cli"})
    click.echo(secret)

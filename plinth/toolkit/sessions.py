"""Acting as someone: the system, another user, an anonymous visitor, within one transaction."""

from __future__ import annotations

from collections.abc import Iterable

from plinth.auth.actor import SYSTEM, Actor
from plinth.auth.users import create_user, find_user
from plinth.runtime.session import Session

#: Who a public page acts as before anybody has logged in: no roles, no id.
ANONYMOUS = Actor(None, "anonymous")

__all__ = ["ANONYMOUS", "SYSTEM", "Actor", "Session", "act_as", "as_system", "ensure_user"]


def act_as(session: Session, actor: Actor) -> Session:
    """The same transaction acting as ``actor``, with that actor's own permissions.

    Use it where one piece of work plays several people (a demo, an import): records,
    history and notifications name the right person, and jobs either session queues are
    handed on when the shared transaction commits.
    """
    return session.acting_as(actor)


def as_system(session: Session) -> Session:
    """The same transaction acting as the system: every permission, history says "system"."""
    return session.as_system()


def ensure_user(
    session: Session,
    email: str,
    name: str,
    roles: Iterable[str],
    password: str | None = None,
    locale: str = "en",
    time_zone: str = "UTC",
    password_hash: str | None = None,
) -> Actor:
    """Find the user with ``email`` or create them with ``roles``; return who they act as.

    Roles must exist (``admin`` or a role of the installed metadata). An existing user keeps
    their roles and profile; the returned actor carries the ``roles`` asked for. Many users
    with one password (demo data) share one ``password_hash`` from ``hash_password``.
    """
    known = ["admin", *session.compiled.docs("roles")]
    user = find_user(session.conn, email) or create_user(
        session.conn,
        email,
        password,
        name,
        list(roles),
        known,
        locale,
        time_zone,
        password_hash=password_hash,
    )
    return Actor(
        user["id"],
        user["email"],
        frozenset(roles),
        time_zone=user.get("time_zone") or time_zone,
        locale=user.get("locale") or locale,
    )

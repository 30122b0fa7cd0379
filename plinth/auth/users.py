"""Platform users: creation, lookup and the actor a user acts as."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.auth.actor import ADMIN_ROLE, Actor
from plinth.auth.passwords import hash_password
from plinth.errors import Conflict, NotFound, ValidationError
from plinth.i18n import SUPPORTED_LOCALES
from plinth.runtime import system_tables as st
from plinth.runtime.field_types.base import CoercionContext, Field, FieldError
from plinth.runtime.field_types.text import EmailType

_EMAIL = EmailType()
TIME_ZONE_LENGTH = 64  # the column's


def normalize_email(email: object) -> str:
    try:
        # _EmailField has the little of a Field that EmailType.coerce reads
        return _EMAIL.coerce(cast(Field, _EmailField), email, CoercionContext()).lower()
    except FieldError as exc:
        raise ValidationError.single("email", str(exc)) from None


class _EmailField:
    name = "email"
    spec: dict[str, Any] = {}


def check_roles(roles: Iterable[str], known: Iterable[str]) -> list[str]:
    known = set(known) | {ADMIN_ROLE}
    roles = list(roles)
    if not all(isinstance(r, str) for r in roles):  # before dict.fromkeys: [{}] is unhashable
        raise ValidationError.single("roles", "must be a list of role names")
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise ValidationError.single("roles", f"unknown role(s): {', '.join(unknown)}")
    return roles


def check_profile(locale: str | None, time_zone: str | None) -> None:
    if locale is not None and (not isinstance(locale, str) or locale not in SUPPORTED_LOCALES):
        raise ValidationError.single("locale", f"must be one of {', '.join(SUPPORTED_LOCALES)}")
    if time_zone is None:
        return
    if not isinstance(time_zone, str) or len(time_zone) > TIME_ZONE_LENGTH:
        raise ValidationError.single("time_zone", "must be a time zone name such as Asia/Shanghai")
    try:
        ZoneInfo(time_zone)
    except (KeyError, ValueError, OSError):  # OSError: a directory, a name too long
        raise ValidationError.single("time_zone", f"unknown time zone {time_zone!r}") from None


def create_user(
    conn: Connection,
    email: str,
    password: str | None,
    name: str = "",
    roles: Iterable[str] = (),
    known_roles: Iterable[str] = (),
    locale: str = "en",
    time_zone: str = "UTC",
    *,
    password_hash: str | None = None,
) -> dict[str, Any]:
    """Create an active user; the email must be new and every role must exist. A
    ``password_hash`` (of ``hash_password``) stands for the password: several demo users
    share one, hashed once (Argon2 is slow on purpose)."""
    email = normalize_email(email)
    roles = check_roles(roles, known_roles)
    check_profile(locale, time_zone)
    if find_user(conn, email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    now = dt.datetime.now(dt.UTC)
    user_id: int = conn.execute(
        st.user.insert().returning(st.user.c.id),
        {
            "email": email,
            "name": (name or email.split("@")[0])[:200],
            "password_hash": password_hash
            or (hash_password(password) if password is not None else None),
            "locale": locale,
            "time_zone": time_zone,
            "active": True,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    set_roles(conn, user_id, roles)
    return get_user(conn, user_id)


def set_roles(conn: Connection, user_id: int, roles: Iterable[str]) -> None:
    conn.execute(st.user_role.delete().where(st.user_role.c.user_id == user_id))
    rows = [{"user_id": user_id, "role": role} for role in roles]
    if rows:
        conn.execute(st.user_role.insert(), rows)


def find_user(conn: Connection, email: str) -> dict[str, Any] | None:
    row = (
        conn.execute(sa.select(st.user).where(st.user.c.email == email.strip().lower()))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def get_user(conn: Connection, user_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(st.user).where(st.user.c.id == user_id)).mappings().first()
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    user = dict(row)
    user["roles"] = sorted(
        conn.scalars(sa.select(st.user_role.c.role).where(st.user_role.c.user_id == user_id))
    )
    return user


def actor_for(conn: Connection, user: dict[str, Any]) -> Actor:
    """The identity a (loaded, active) user acts as: their roles and teams."""
    roles = user.get("role_names")
    teams = user.get("team_ids")
    if roles is None:
        roles = conn.scalars(
            sa.select(st.user_role.c.role).where(st.user_role.c.user_id == user["id"])
        ).all()
    if teams is None:
        teams = conn.scalars(
            sa.select(st.team_member.c.team_id).where(st.team_member.c.user_id == user["id"])
        ).all()
    return Actor(
        id=user["id"],
        label=user["email"],
        roles=frozenset(roles),
        teams=frozenset(teams),
        time_zone=user["time_zone"],
        locale=user["locale"],
    )

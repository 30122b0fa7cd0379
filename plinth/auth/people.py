"""Managing users and teams (the API's users/teams endpoints, /me and the builder's people
pages call these). Bodies are loaded with the schemas of ``plinth.auth.schemas``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.auth.actor import Actor
from plinth.auth.browser_sessions import end_user_sessions
from plinth.auth.passwords import hash_password, verify_password
from plinth.auth.schemas import TEAM_NAME, NewUser, ProfileInput, TeamInput, UserInput
from plinth.auth.users import (
    check_profile,
    check_roles,
    create_user,
    find_user,
    get_user,
    normalize_email,
    set_roles,
)
from plinth.errors import Conflict, NotFound, ValidationError
from plinth.runtime import system_tables as st
from plinth.runtime.audit import audit
from plinth.schemas import load
from plinth.services.id_paging import IdPage, id_page


def describe_user(conn: Connection, user_id: int, full: bool) -> dict[str, Any]:
    user = get_user(conn, user_id)
    summary = {k: user[k] for k in ("id", "email", "name", "active")}
    if not full:
        return summary
    teams = conn.execute(
        sa.select(st.team.c.id, st.team.c.name)
        .join(st.team_member, st.team_member.c.team_id == st.team.c.id)
        .where(st.team_member.c.user_id == user_id)
        .order_by(st.team.c.name)
    ).mappings()
    return {
        **summary,
        "locale": user["locale"],
        "time_zone": user["time_zone"],
        "roles": user["roles"],
        "teams": [dict(t) for t in teams],
        "manager_id": user["manager_id"],
        "created_at": user["created_at"],
        "last_login_at": user["last_login_at"],
    }


def list_users(
    conn: Connection, full: bool, search: str | None, limit: int, after: int | None
) -> IdPage[dict[str, Any]]:
    """A page of users by id (``full``: every detail, inactive users too)."""
    u = st.user
    query = sa.select(u.c.id)
    if not full:
        query = query.where(u.c.active.is_(True))
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(u.c.name).like(pattern), u.c.email.like(pattern)))
    page = id_page(conn, query, u.c.id, limit, after, newest_first=False)
    return page.map(lambda row: describe_user(conn, row["id"], full))


def create_user_from(
    conn: Connection, actor: Actor, body: Any, known_roles: Iterable[str]
) -> dict[str, Any]:
    """Create a user from a ``NewUser`` body; returns it as ``describe_user`` does."""
    body = load(NewUser, body)
    user = create_user(
        conn,
        body["email"],
        body.get("password"),
        body.get("name") or "",
        body.get("roles", []),
        known_roles,
        body.get("locale", "en"),
        body.get("time_zone", "UTC"),
    )
    extra = {k: body[k] for k in ("teams", "active", "manager_id") if k in body}
    if extra:
        update_user(conn, actor, user["id"], extra, known_roles, audited=False)
    audit(conn, actor, "user.create", user["email"], {"roles": user["roles"]})
    return describe_user(conn, user["id"], full=True)


def update_user(
    conn: Connection,
    actor: Actor,
    user_id: int,
    body: Any,
    known_roles: Iterable[str],
    audited: bool = True,
) -> dict[str, Any]:
    """Change a user with a ``UserInput`` body (only the properties it names)."""
    body = load(UserInput, body)
    current = get_user(conn, user_id)
    changes: dict[str, Any] = {}
    if "email" in body:
        email = normalize_email(body["email"])
        other = find_user(conn, email)
        if other is not None and other["id"] != user_id:
            raise Conflict(f"a user with email {email} already exists")
        changes["email"] = email
    if "name" in body:
        changes["name"] = body["name"] or ""
    if "password" in body:
        changes["password_hash"] = hash_password(body["password"])
    if "active" in body:
        if not body["active"] and user_id == actor.id:
            raise ValidationError.single("active", "you cannot deactivate yourself")
        changes["active"] = body["active"]
    check_profile(body.get("locale"), body.get("time_zone"))
    for key in ("locale", "time_zone"):
        if key in body:
            changes[key] = body[key]
    if "manager_id" in body:
        manager = body["manager_id"]
        if manager is not None:
            if manager == user_id:
                raise ValidationError.single("manager_id", "must be another user's id")
            get_user(conn, manager)
        changes["manager_id"] = manager
    if changes:
        changes["updated_at"] = dt.datetime.now(dt.UTC)
        conn.execute(st.user.update().where(st.user.c.id == user_id).values(changes))
        if "password_hash" in changes or changes.get("active") is False:
            reason = "password_changed" if "password_hash" in changes else "deactivated"
            end_user_sessions(conn, user_id, reason, changes["updated_at"])
    if "roles" in body:
        roles = check_roles(body["roles"], known_roles)
        if actor.id == user_id and "admin" in current["roles"] and "admin" not in roles:
            raise ValidationError.single("roles", "you cannot remove your own admin role")
        set_roles(conn, user_id, roles)
    if "teams" in body:
        _set_user_teams(conn, user_id, body["teams"])
    if audited:
        shown = sorted(k for k in body if k != "password") + (
            ["password"] if "password" in body else []
        )
        audit(conn, actor, "user.update", current["email"], {"fields": shown})
    return describe_user(conn, user_id, full=True)


def _set_user_teams(conn: Connection, user_id: int, teams: list[int | str]) -> None:
    ids = _team_ids(conn, teams)
    conn.execute(st.team_member.delete().where(st.team_member.c.user_id == user_id))
    if ids:
        conn.execute(st.team_member.insert(), [{"team_id": t, "user_id": user_id} for t in ids])


def _team_ids(conn: Connection, teams: list[int | str]) -> list[int]:
    ids: list[int] = []
    for item in teams:  # ids or names (the schema refused anything else)
        column = st.team.c.id if isinstance(item, int) else st.team.c.name
        found = conn.scalar(sa.select(st.team.c.id).where(column == item))
        if found is None:
            raise ValidationError.single("teams", f"no team {item!r}")
        ids.append(found)
    return sorted(set(ids))


def update_profile(conn: Connection, actor: Actor, body: dict[str, Any]) -> None:
    """What users may change about themselves (a ``ProfileInput`` body); a new password
    needs the current one."""
    body = load(ProfileInput, body)
    user_id = actor.id
    if user_id is None:  # the system actor: no such user (as get_user would say)
        raise NotFound(f"no user with id {user_id}")
    changes = {k: body[k] for k in ("name", "locale", "time_zone") if k in body}
    if "password" in body:
        user = get_user(conn, user_id)
        if not verify_password(user["password_hash"], body.get("current_password", "")):
            raise ValidationError.single("current_password", "is wrong")
        changes["password"] = body["password"]
    update_user(conn, actor, user_id, changes, known_roles=(), audited=True)


# ---- teams -------------------------------------------------------------------------------
def describe_team(conn: Connection, team_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(st.team).where(st.team.c.id == team_id)).mappings().first()
    if row is None:
        raise NotFound(f"no team with id {team_id}")
    members: Sequence[int] = conn.scalars(
        sa.select(st.team_member.c.user_id)
        .where(st.team_member.c.team_id == team_id)
        .order_by(st.team_member.c.user_id)
    ).all()
    return {"id": row["id"], "name": row["name"], "label": row["label"], "members": list(members)}


def list_teams(conn: Connection) -> list[dict[str, Any]]:
    ids: Sequence[int] = conn.scalars(sa.select(st.team.c.id).order_by(st.team.c.name)).all()
    return [describe_team(conn, i) for i in ids]


def save_team(
    conn: Connection, actor: Actor, body: Any, team_id: int | None = None
) -> dict[str, Any]:
    """Create (``team_id`` None) or change a team with a ``TeamInput`` body."""
    body = load(TeamInput, body)
    values: dict[str, Any] = {}
    if "name" in body or team_id is None:
        name = body.get("name")
        if name is None:
            raise ValidationError.single("name", f"must match {TEAM_NAME}")
        other = conn.scalar(sa.select(st.team.c.id).where(st.team.c.name == name))
        if other is not None and other != team_id:
            raise Conflict(f"a team named {name} already exists")
        values["name"] = name
    if "label" in body:
        values["label"] = body["label"]
    if team_id is None:
        values["created_at"] = dt.datetime.now(dt.UTC)
        team_id = conn.execute(st.team.insert().returning(st.team.c.id), values).scalar_one()
    else:
        describe_team(conn, team_id)
        if values:
            conn.execute(st.team.update().where(st.team.c.id == team_id).values(values))
    if "members" in body:
        members = body["members"]
        found: set[int] = set(
            conn.scalars(sa.select(st.user.c.id).where(st.user.c.id.in_(members)))
        )
        missing = sorted(set(members) - found)
        if missing:
            raise ValidationError.single("members", f"no user(s) with id {missing}")
        conn.execute(st.team_member.delete().where(st.team_member.c.team_id == team_id))
        if members:
            rows = [{"team_id": team_id, "user_id": m} for m in sorted(set(members))]
            conn.execute(st.team_member.insert(), rows)
    audit(conn, actor, "team.save", str(team_id), {"fields": sorted(body)})
    return describe_team(conn, team_id)

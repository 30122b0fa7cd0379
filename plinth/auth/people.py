"""Managing users and teams (the API's users/teams endpoints and /me call these)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth import json_props as props
from plinth.auth.actor import Actor
from plinth.auth.browser_sessions import end_user_sessions
from plinth.auth.passwords import MAX_LENGTH, hash_password, verify_password
from plinth.auth.users import (
    TIME_ZONE_LENGTH,
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

USER_FIELDS = frozenset(
    {"email", "name", "password", "roles", "teams", "active", "locale", "time_zone", "manager_id"}
)
NAME_LENGTH = 200
PROFILE_FIELDS = frozenset({"name", "locale", "time_zone", "password", "current_password"})
TEAM_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _unknown(body: dict, allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError({key: ["unknown field"] for key in unknown})


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
) -> tuple[list[dict[str, Any]], int | None]:
    u = st.user
    query = sa.select(u.c.id).order_by(u.c.id).limit(limit + 1)
    if not full:
        query = query.where(u.c.active.is_(True))
    if after is not None:
        query = query.where(u.c.id > after)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(u.c.name).like(pattern), u.c.email.like(pattern)))
    ids = list(conn.scalars(query))
    more = len(ids) > limit
    ids = ids[:limit]
    return [describe_user(conn, i, full) for i in ids], (ids[-1] if more and ids else None)


def create_user_from(conn: Connection, actor: Actor, body: Any, known_roles) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError.single("_body", "must be a JSON object")
    _unknown(body, USER_FIELDS)
    if "email" not in body:
        raise ValidationError.single("email", "is required")
    user = create_user(
        conn,
        body["email"],
        body.get("password"),
        props.text(body, "name", NAME_LENGTH, default="", nullable=True) or "",
        _list(body, "roles"),
        known_roles,
        props.text(body, "locale", 16, default="en"),
        props.text(body, "time_zone", TIME_ZONE_LENGTH, default="UTC"),
    )
    extra = {k: body[k] for k in ("teams", "active", "manager_id") if k in body}
    if extra:
        update_user(conn, actor, user["id"], extra, known_roles, audited=False)
    audit(conn, actor, "user.create", user["email"], {"roles": user["roles"]})
    return describe_user(conn, user["id"], full=True)


def _list(body: dict, key: str) -> list:
    return props.listing(body, key, default=[])


def update_user(
    conn: Connection, actor: Actor, user_id: int, body: Any, known_roles, audited: bool = True
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationError.single("_body", "must be a JSON object")
    _unknown(body, USER_FIELDS)
    current = get_user(conn, user_id)
    changes: dict[str, Any] = {}
    if "email" in body:
        email = normalize_email(body["email"])
        other = find_user(conn, email)
        if other is not None and other["id"] != user_id:
            raise Conflict(f"a user with email {email} already exists")
        changes["email"] = email
    if "name" in body:
        changes["name"] = props.text(body, "name", NAME_LENGTH)
    if "password" in body:
        changes["password_hash"] = hash_password(body["password"])
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise ValidationError.single("active", "must be true or false")
        if not body["active"] and user_id == actor.id:
            raise ValidationError.single("active", "you cannot deactivate yourself")
        changes["active"] = body["active"]
    for key in ("locale", "time_zone"):  # null is refused: the columns are NOT NULL
        if key in body and body[key] is None:
            raise ValidationError.single(key, "must not be null")
    check_profile(body.get("locale"), body.get("time_zone"))
    for key in ("locale", "time_zone"):
        if key in body:
            changes[key] = body[key]
    if "manager_id" in body:
        manager = props.record_id(body, "manager_id", "user", nullable=True)
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
        roles = check_roles(_list(body, "roles"), known_roles)
        if actor.id == user_id and "admin" in current["roles"] and "admin" not in roles:
            raise ValidationError.single("roles", "you cannot remove your own admin role")
        set_roles(conn, user_id, roles)
    if "teams" in body:
        _set_user_teams(conn, user_id, _list(body, "teams"))
    if audited:
        shown = sorted(k for k in body if k != "password") + (
            ["password"] if "password" in body else []
        )
        audit(conn, actor, "user.update", current["email"], {"fields": shown})
    return describe_user(conn, user_id, full=True)


def _set_user_teams(conn: Connection, user_id: int, teams: list) -> None:
    ids = _team_ids(conn, teams)
    conn.execute(st.team_member.delete().where(st.team_member.c.user_id == user_id))
    if ids:
        conn.execute(st.team_member.insert(), [{"team_id": t, "user_id": user_id} for t in ids])


def _team_ids(conn: Connection, teams: list) -> list[int]:
    ids = []
    for item in teams:
        # A team is named by its id or its name; anything else (true, 2^64, {}) is refused
        # before it reaches a query.
        if not props.is_id(item) and not (isinstance(item, str) and len(item) <= 63):
            raise ValidationError.single("teams", "must be a list of team ids or names")
        column = st.team.c.id if isinstance(item, int) else st.team.c.name
        found = conn.scalar(sa.select(st.team.c.id).where(column == item))
        if found is None:
            raise ValidationError.single("teams", f"no team {item!r}")
        ids.append(found)
    return sorted(set(ids))


def update_profile(conn: Connection, actor: Actor, body: dict) -> None:
    """What users may change about themselves; a new password needs the current one."""
    _unknown(body, PROFILE_FIELDS)
    changes = {k: body[k] for k in ("name", "locale", "time_zone") if k in body}
    if "password" in body:
        user = get_user(conn, actor.id)
        current = props.text(body, "current_password", MAX_LENGTH, default="", nullable=True)
        if not verify_password(user["password_hash"], current or ""):
            raise ValidationError.single("current_password", "is wrong")
        changes["password"] = body["password"]
    update_user(conn, actor, actor.id, changes, known_roles=(), audited=True)


# ---- teams -------------------------------------------------------------------------------
def describe_team(conn: Connection, team_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(st.team).where(st.team.c.id == team_id)).mappings().first()
    if row is None:
        raise NotFound(f"no team with id {team_id}")
    members = conn.scalars(
        sa.select(st.team_member.c.user_id)
        .where(st.team_member.c.team_id == team_id)
        .order_by(st.team_member.c.user_id)
    ).all()
    return {"id": row["id"], "name": row["name"], "label": row["label"], "members": list(members)}


def list_teams(conn: Connection) -> list[dict[str, Any]]:
    ids = conn.scalars(sa.select(st.team.c.id).order_by(st.team.c.name)).all()
    return [describe_team(conn, i) for i in ids]


def save_team(conn: Connection, actor: Actor, body: Any, team_id: int | None = None) -> dict:
    if not isinstance(body, dict):
        raise ValidationError.single("_body", "must be a JSON object")
    _unknown(body, frozenset({"name", "label", "members"}))
    values: dict[str, Any] = {}
    if "name" in body or team_id is None:
        name = body.get("name")
        if not isinstance(name, str) or not TEAM_NAME.match(name):
            raise ValidationError.single("name", "must match ^[a-z][a-z0-9_]{0,62}$")
        other = conn.scalar(sa.select(st.team.c.id).where(st.team.c.name == name))
        if other is not None and other != team_id:
            raise Conflict(f"a team named {name} already exists")
        values["name"] = name
    if "label" in body:
        values["label"] = props.text(body, "label", 200)
    if team_id is None:
        values["created_at"] = dt.datetime.now(dt.UTC)
        team_id = conn.execute(st.team.insert().returning(st.team.c.id), values).scalar_one()
    else:
        describe_team(conn, team_id)
        if values:
            conn.execute(st.team.update().where(st.team.c.id == team_id).values(values))
    if "members" in body:
        members = props.id_list(body, "members", "user")
        found = set(conn.scalars(sa.select(st.user.c.id).where(st.user.c.id.in_(members))))
        missing = sorted(set(members) - found)
        if missing:
            raise ValidationError.single("members", f"no user(s) with id {missing}")
        conn.execute(st.team_member.delete().where(st.team_member.c.team_id == team_id))
        if members:
            rows = [{"team_id": team_id, "user_id": m} for m in sorted(set(members))]
            conn.execute(st.team_member.insert(), rows)
    audit(conn, actor, "team.save", str(team_id), {"fields": sorted(body)})
    return describe_team(conn, team_id)

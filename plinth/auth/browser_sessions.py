"""Browser sessions kept on the server: the cookie carries only a random key.

A session ends when its user logs out, changes password or is deactivated (everywhere at
once), after ``SESSION_IDLE_MINUTES`` unused, or ``SESSION_MAX_HOURS`` after the login,
however active it is. Keys carry 256 bits of randomness and are stored as SHA-256 digests,
so a copy of the table opens no session.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.auth.identity import identity_of, identity_select
from plinth.runtime import system_tables as st

TOUCH_EVERY = dt.timedelta(minutes=1)  # how stale last_seen_at may get (idle precision)
KEEP_ENDED = dt.timedelta(days=30)  # ended sessions stay listed this long, then go


@dataclasses.dataclass(frozen=True)
class Lifetimes:
    """How long a session may sit unused, and how long it may live at most."""

    idle: dt.timedelta
    absolute: dt.timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Lifetimes:
        return cls(
            dt.timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            dt.timedelta(hours=config["SESSION_MAX_HOURS"]),
        )


def password_stamp(password_hash: str | None) -> str:
    """Changes with the password: a session started before a change never resumes, even if
    some path changed the hash without ending sessions."""
    return hashlib.sha256((password_hash or "-").encode()).hexdigest()[:16]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(
    conn: Connection, user: dict[str, Any], ip: str, user_agent: str, now: dt.datetime
) -> str:
    """A new session for a user who just proved who they are; returns its secret key."""
    key = secrets.token_urlsafe(32)
    conn.execute(
        st.browser_session.insert(),
        {
            "key_hash": _digest(key),
            "user_id": user["id"],
            "stamp": password_stamp(user["password_hash"]),
            "ip": (ip or "")[:64],
            "user_agent": (user_agent or "")[:200],
            "created_at": now,
            "last_seen_at": now,
        },
    )
    conn.execute(
        st.browser_session.delete().where(st.browser_session.c.ended_at < now - KEEP_ENDED)
    )
    return key


_QUERIES: dict[str, sa.Select[*tuple[Any, ...]]] = {}


def _session_query(dialect: str) -> sa.Select[*tuple[Any, ...]]:
    """The user of a live session key (see ``identity_select``)."""
    query = _QUERIES.get(dialect)
    if query is None:
        b, u = st.browser_session, st.user
        columns = (
            b.c.id.label("session_id"),
            b.c.stamp,
            b.c.created_at.label("session_created_at"),
            b.c.last_seen_at,
            u.c.password_hash,  # the stamp: a changed password ends every session
        )
        query = _QUERIES[dialect] = (
            identity_select(dialect, *columns)
            .join(b, b.c.user_id == u.c.id)
            .where(
                b.c.key_hash == sa.bindparam("digest"),
                b.c.ended_at.is_(None),
                b.c.last_seen_at > sa.bindparam("idle_since"),
                b.c.created_at > sa.bindparam("born_after"),
                u.c.active.is_(True),
            )
        )
    return query


def resolve_session(
    conn: Connection, key: Any, lifetimes: Lifetimes, now: dt.datetime
) -> dict[str, Any] | None:
    """The active user of a live session (with role_names, team_ids, revision_id and
    session_id), or None when the key is unknown, ended, idle or too old."""
    if not isinstance(key, str) or not 20 <= len(key) <= 100:
        return None
    params = {
        "digest": _digest(key),
        "idle_since": now - lifetimes.idle,
        "born_after": now - lifetimes.absolute,
    }
    row = conn.execute(_session_query(conn.dialect.name), params).mappings().first()
    if row is None or row["stamp"] != password_stamp(row["password_hash"]):
        return None
    return identity_of(row)


def needs_touch(user: dict[str, Any], now: dt.datetime) -> bool:
    """Whether to record the session's use (at most once a minute, not per request)."""
    last_seen: dt.datetime = user["last_seen_at"]
    return now - last_seen > TOUCH_EVERY


def touch_session(conn: Connection, session_id: int, now: dt.datetime) -> None:
    b = st.browser_session
    conn.execute(b.update().where(b.c.id == session_id).values(last_seen_at=now))


def end_session(conn: Connection, key: Any, reason: str, now: dt.datetime) -> bool:
    """End one session by its key; False when it was not live."""
    if not isinstance(key, str):
        return False
    b = st.browser_session
    query = b.update().where(b.c.key_hash == _digest(key), b.c.ended_at.is_(None))
    return conn.execute(query.values(ended_at=now, end_reason=reason)).rowcount > 0


def end_user_sessions(conn: Connection, user_id: int, reason: str, now: dt.datetime) -> int:
    """End every live session of a user (logout everywhere, new password, deactivation)."""
    b = st.browser_session
    query = b.update().where(b.c.user_id == user_id, b.c.ended_at.is_(None))
    return conn.execute(query.values(ended_at=now, end_reason=reason)).rowcount


def list_sessions(
    conn: Connection, user_id: int, lifetimes: Lifetimes, now: dt.datetime
) -> list[dict[str, Any]]:
    """A user's live sessions, newest first (no keys: those are never stored)."""
    b = st.browser_session
    query = (
        sa.select(b.c.id, b.c.ip, b.c.user_agent, b.c.created_at, b.c.last_seen_at)
        .where(
            b.c.user_id == user_id,
            b.c.ended_at.is_(None),
            b.c.last_seen_at > now - lifetimes.idle,
            b.c.created_at > now - lifetimes.absolute,
        )
        .order_by(b.c.last_seen_at.desc())
    )
    return [dict(r) for r in conn.execute(query).mappings()]

"""API tokens: random secrets shown once, stored as SHA-256 hashes, optionally expiring."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.auth.identity import identity_of, identity_select
from plinth.errors import NotFound
from plinth.runtime import system_tables as st

PREFIX = "plt_"
TOUCH_EVERY = dt.timedelta(minutes=5)


def _digest(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is safe (unlike passwords).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    conn: Connection, user_id: int, name: str = "", expires_at: dt.datetime | None = None
) -> tuple[str, dict[str, Any]]:
    """A new token for a user: (the secret, shown only now; its stored row)."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = {
        "user_id": user_id,
        "name": name[:100],
        "token_hash": _digest(token),
        "prefix": token[:12],
        "created_at": dt.datetime.now(dt.UTC),
        "expires_at": expires_at,
    }
    row["id"] = conn.execute(st.api_token.insert().returning(st.api_token.c.id), row).scalar_one()
    row.pop("token_hash")
    return token, row


def _token_query(dialect: str) -> sa.Select[*tuple[Any, ...]]:
    """The user of a token hash (see ``identity_select``)."""
    query = _TOKEN_QUERIES.get(dialect)
    if query is None:
        t, u = st.api_token, st.user
        query = _TOKEN_QUERIES[dialect] = (
            identity_select(dialect, t.c.id.label("token_id"), t.c.last_used_at)
            .join(t, t.c.user_id == u.c.id)
            .where(
                t.c.token_hash == sa.bindparam("digest"),
                t.c.revoked_at.is_(None),
                sa.or_(t.c.expires_at.is_(None), t.c.expires_at > sa.bindparam("now")),
                u.c.active.is_(True),
            )
        )
    return query


_TOKEN_QUERIES: dict[str, sa.Select[*tuple[Any, ...]]] = {}


def resolve_token(conn: Connection, token: str) -> dict[str, Any] | None:
    """The active user a token belongs to (with role_names, team_ids and the newest
    revision_id), or None if the token is unknown, revoked or expired, or the user inactive.
    One query."""
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
        return None
    query = _token_query(conn.dialect.name)
    params = {"digest": _digest(token), "now": dt.datetime.now(dt.UTC)}
    row = conn.execute(query, params).mappings().first()
    return None if row is None else identity_of(row)


def needs_touch(user: dict[str, Any], now: dt.datetime) -> bool:
    """Whether to record the token's use (at most every few minutes, not per request)."""
    last = user.get("last_used_at")
    return last is None or now - last > TOUCH_EVERY


def touch_token(conn: Connection, token_id: int, now: dt.datetime) -> None:
    conn.execute(
        st.api_token.update().where(st.api_token.c.id == token_id).values(last_used_at=now)
    )


def revoke_token(conn: Connection, token_id: int, user_id: int | None = None) -> None:
    query = st.api_token.update().where(
        st.api_token.c.id == token_id, st.api_token.c.revoked_at.is_(None)
    )
    if user_id is not None:
        query = query.where(st.api_token.c.user_id == user_id)
    if conn.execute(query.values(revoked_at=dt.datetime.now(dt.UTC))).rowcount == 0:
        raise NotFound(f"no active token {token_id}")


def list_tokens(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """A user's tokens (revoked and expired ones too), oldest first; never the secret."""
    t = st.api_token
    query = (
        sa.select(
            t.c.id,
            t.c.user_id,
            t.c.name,
            t.c.prefix,
            t.c.created_at,
            t.c.expires_at,
            t.c.last_used_at,
            t.c.revoked_at,
        )
        .where(t.c.user_id == user_id)
        .order_by(t.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]

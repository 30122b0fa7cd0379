"""Who is calling: a bearer token, or a browser session cookie guarded by a CSRF token."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterator

import sqlalchemy as sa
from flask import g, request, session
from sqlalchemy.engine import Connection

from plinth.auth.actor import Actor
from plinth.auth.tokens import needs_touch, resolve_token, touch_token
from plinth.auth.users import actor_for
from plinth.errors import NotAuthenticated, PermissionDenied
from plinth.extension import current_tenant
from plinth.runtime import system_tables as st
from plinth.runtime.session import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def session_stamp(password_hash: str | None) -> str:
    """Changes when the password changes, which ends every cookie session of the user."""
    return hashlib.sha256((password_hash or "-").encode()).hexdigest()[:16]


def start_browser_session(user: dict) -> str:
    """Log a user in with the cookie session; returns the CSRF token for unsafe requests."""
    session.clear()
    session["user_id"] = user["id"]
    session["stamp"] = session_stamp(user["password_hash"])
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True
    return session["csrf"]


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_matches(sent: str | None) -> bool:
    """Whether ``sent`` is this browser session's CSRF token (compared in constant time)."""
    expected = session.get("csrf", "")
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def authenticate(conn: Connection, writing: bool = False) -> Actor | None:
    """The actor of this request, None when anonymous; 401/403 on bad credentials.

    ``writing`` says the caller's transaction already writes (on SQLite a second writer
    would wait for it).
    """
    header = request.headers.get("Authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("use the header Authorization: Bearer <token>")
        user = resolve_token(conn, token.strip())
        if user is None:
            raise NotAuthenticated("the token is invalid, expired or revoked")
        g.token_id = user["token_id"]
        g.revision_id = user["revision_id"]
        now = dt.datetime.now(dt.UTC)
        if needs_touch(user, now):
            if writing:
                touch_token(conn, user["token_id"], now)
            else:  # its own short write: a read request's transaction stays read-only
                with current_tenant().database.transaction(write=True) as touch:
                    touch_token(touch, user["token_id"], now)
        return actor_for(conn, user)
    user_id = session.get("user_id")
    if not user_id:
        return None
    user = (
        conn.execute(sa.select(st.user).where(st.user.c.id == user_id, st.user.c.active.is_(True)))
        .mappings()
        .first()
    )
    if user is None or session.get("stamp") != session_stamp(user["password_hash"]):
        session.clear()
        raise NotAuthenticated("your session has ended; log in again")
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token", "")
        if not csrf_matches(sent):
            raise PermissionDenied(f"missing or wrong {CSRF_HEADER} header")
    return actor_for(conn, dict(user))


@contextlib.contextmanager
def api_session(write: bool | None = None, anonymous: bool = False) -> Iterator[Session]:
    """One transaction for the whole request: authenticate, then work as that actor."""
    if write is None:
        write = request.method not in SAFE_METHODS
    tenant = current_tenant()
    plinth_session = None
    try:
        with tenant.database.transaction(write=write) as conn:
            actor = authenticate(conn, writing=write)
            if actor is None and not anonymous:
                raise NotAuthenticated(
                    "authentication required: send Authorization: Bearer <token>"
                )
            plinth_session = Session(
                tenant, conn, actor or Actor(None, "anonymous"), g.pop("revision_id", None)
            )
            g.plinth_session = plinth_session
            yield plinth_session
    finally:
        if plinth_session is not None:
            plinth_session.run_after_end()
    plinth_session.run_after_commit()


def require_admin(session_: Session) -> None:
    if not session_.actor.is_admin:
        raise PermissionDenied("only administrators may do this")

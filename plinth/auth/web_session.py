"""Who is calling over HTTP: a bearer token, or a browser session cookie guarded by a CSRF
token; and the request's session (one transaction, as that actor).

Both the API (``plinth/api``) and the pages (``admin_ui``) work through this module: the
pages' ``page_session`` is ``request_session`` with the actor remembered for language and
time zone; packs get it as ``plinth.toolkit.api_session``."""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import secrets
from collections.abc import Iterator
from typing import Any

from flask import g, request, session
from sqlalchemy.engine import Connection

from plinth.auth.actor import Actor
from plinth.auth.browser_sessions import (
    Lifetimes,
    end_session,
    end_user_sessions,
    resolve_session,
    start_session,
    touch_session,
)
from plinth.auth.browser_sessions import needs_touch as needs_session_touch
from plinth.auth.tokens import needs_touch, resolve_token, touch_token
from plinth.auth.users import actor_for
from plinth.errors import NotAuthenticated, PermissionDenied
from plinth.extension import current_tenant
from plinth.runtime import idempotency
from plinth.runtime.idempotency import KeyedRequest
from plinth.runtime.session import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
# Sent by a page's own timers (the notification bell's poll): such a request is not the
# user's activity, so it does not keep an idle browser session alive.
BACKGROUND_HEADER = "X-Plinth-Background"
LOGIN_KEY = "sid"  # the cookie's name for the server-side session's key


def client_address() -> str:
    """The requesting client's address (as the proxy set-up reports it), for rate limits."""
    return (request.remote_addr or "")[:64]


def _lifetimes() -> Lifetimes:
    return Lifetimes.from_config(current_tenant().config)


def start_browser_session(user: dict[str, Any]) -> str:
    """Log a user in with a server-side session named by the cookie; returns the CSRF token
    unsafe requests must send."""
    now = dt.datetime.now(dt.UTC)
    agent = request.headers.get("User-Agent", "")
    with current_tenant().database.transaction(write=True) as conn:
        key = start_session(conn, user, client_address(), agent, now)
    session.clear()  # nothing of an earlier visitor's cookie carries over
    session[LOGIN_KEY] = key
    token = session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True
    return token


def end_browser_session(
    conn: Connection, everywhere: bool = False, actor: Actor | None = None
) -> None:
    """Log out: end this browser's session (or every session of its user) on the server."""
    now = dt.datetime.now(dt.UTC)
    if everywhere and actor is not None and actor.id is not None:
        end_user_sessions(conn, actor.id, "logout_everywhere", now)
    else:
        end_session(conn, session.get(LOGIN_KEY), "logout", now)
    session.clear()


def csrf_token() -> str:
    """The browser session's CSRF token (made on first use), for forms a page renders."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    token: str = session["csrf"]
    return token


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
    key = session.get(LOGIN_KEY)
    if not key:
        return None
    now = dt.datetime.now(dt.UTC)
    user = resolve_session(conn, key, _lifetimes(), now)
    if user is None:
        session.clear()
        raise NotAuthenticated("your session has ended; log in again")
    g.revision_id = user["revision_id"]
    g.browser_session_id = user["session_id"]
    if needs_session_touch(user, now) and request.headers.get(BACKGROUND_HEADER) != "1":
        if writing:
            touch_session(conn, user["session_id"], now)
        else:
            with current_tenant().database.transaction(write=True) as touch:
                touch_session(touch, user["session_id"], now)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token", "")
        if not csrf_matches(sent):
            raise PermissionDenied(f"missing or wrong {CSRF_HEADER} header")
    return actor_for(conn, user)


@contextlib.contextmanager
def request_session(write: bool | None = None, anonymous: bool = False) -> Iterator[Session]:
    """One transaction for the whole request: authenticate, then work as that actor
    (``write`` defaults to the HTTP method; ``anonymous`` lets a caller without a login in
    as the anonymous actor)."""
    if write is None:
        write = request.method not in SAFE_METHODS

    claimed: list[KeyedRequest] = []

    def identify(conn: Connection) -> tuple[Actor, int | None]:
        actor = authenticate(conn, writing=write)
        if actor is None and not anonymous:
            raise NotAuthenticated("authentication required: send Authorization: Bearer <token>")
        if actor is not None and actor.id is not None:
            keyed = _claim_idempotency_key(conn, actor.id, write)
            if keyed is not None:
                claimed.append(keyed)
        return actor or Actor(None, "anonymous"), g.pop("revision_id", None)

    with current_tenant().session(write=write, identify=identify) as plinth_session:
        for keyed in claimed:  # the key stays claimed only if this transaction commits
            plinth_session.on_end(keyed.transaction_ended)
            plinth_session.on_commit(keyed.transaction_committed)
        g.plinth_session = plinth_session
        yield plinth_session


def _claim_idempotency_key(conn: Connection, user_id: int, write: bool) -> KeyedRequest | None:
    """Claim the request's ``Idempotency-Key`` (read by ``plinth.api.idempotency`` into
    ``g.idempotency``) for its user, once per request: in ``conn``'s transaction when it
    writes (returned, to follow that transaction's fate), else in a short transaction of its
    own (the work runs in another, like the metadata publisher's). Raises when an earlier
    request holds the key (see ``KeyedRequest.claim``)."""
    keyed: KeyedRequest | None = g.get("idempotency")
    if keyed is None or keyed.state != idempotency.PENDING:
        return None
    now = current_tenant().clock()
    if write:
        keyed.claim(conn, user_id, now)
        return keyed
    with current_tenant().database.transaction(write=True) as own:
        keyed.claim(own, user_id, now, held=True)
    return None


def require_admin(session_: Session) -> None:
    """Raise PermissionDenied unless the session's actor is an administrator."""
    if not session_.actor.is_admin:
        raise PermissionDenied("only administrators may do this")

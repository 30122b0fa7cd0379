"""Tokens and browser sessions: log in, list and revoke tokens, log out."""

from __future__ import annotations

import datetime as dt
from typing import cast

from flask import Blueprint, Response, g

from plinth.api.contract import answer, listed, load_body, load_query
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.openapi.parts import listing_of
from plinth.auth.browser_sessions import Lifetimes
from plinth.auth.browser_sessions import list_sessions as browser_sessions
from plinth.auth.login import verify_login
from plinth.auth.people import describe_user
from plinth.auth.schemas import (
    BrowserSession,
    Credentials,
    CsrfToken,
    LoggedIn,
    Logout,
    Token,
    TokenInfo,
    TokenRequest,
)
from plinth.auth.tokens import create_token, revoke_token
from plinth.auth.tokens import list_tokens as tokens_of
from plinth.auth.web_session import (
    client_address,
    csrf_token,
    end_browser_session,
    request_session,
    start_browser_session,
)
from plinth.errors import NotFound
from plinth.extension import current_tenant
from plinth.runtime.audit import audit
from plinth.schemas import Query, QueryId


class TokenQuery(Query):
    user_id = QueryId(metadata={"description": "another user's tokens (administrators)"})


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def issue_token() -> Response:
    """Exchange email and password for an API token (shown once)."""
    body = load_body(TokenRequest)
    tenant = current_tenant()
    user = verify_login(tenant.database, body["email"], body["password"], client_address())
    days = body.get("expires_in_days")
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days) if days else None
    with tenant.database.transaction(write=True) as conn:
        token, row = create_token(conn, user["id"], body.get("name", "api"), expires)
        audit(conn, None, "token.create", user["email"], {"token_id": row["id"]}, client_address())
    return answer(Token, {**row, "token": token}, 201)


def revoke_current() -> tuple[str, int]:
    with request_session() as s:
        token_id = getattr(g, "token_id", None)
        if token_id is None:
            raise NotFound("this request was not made with a token")
        revoke_token(s.conn, token_id, s.actor.id)
        audit(s.conn, s.actor, "token.revoke", str(token_id))
    return "", 204


def list_tokens() -> Response:
    with request_session() as s:
        user_id = load_query(TokenQuery).get("user_id")
        own = cast(int, s.actor.id)  # request_session lets in only a signed-in user
        return listed(
            TokenInfo, tokens_of(s.conn, user_id if s.actor.is_admin and user_id else own)
        )


def revoke_one(token_id: int) -> tuple[str, int]:
    with request_session() as s:
        revoke_token(s.conn, token_id, None if s.actor.is_admin else s.actor.id)
        audit(s.conn, s.actor, "token.revoke", str(token_id))
    return "", 204


def login() -> Response:
    """Start a browser session (cookie); returns the CSRF token unsafe requests must send."""
    body = load_body(Credentials)
    tenant = current_tenant()
    user = verify_login(tenant.database, body["email"], body["password"], client_address())
    token = start_browser_session(user)
    with tenant.database.transaction() as conn:
        profile = describe_user(conn, user["id"], full=True)
    return answer(LoggedIn, {"user": profile, "csrf_token": token})


def logout() -> tuple[str, int]:
    """End this browser session on the server (``{"everywhere": true}``: every session of
    the user, on every device)."""
    everywhere = load_body(Logout, required=False).get("everywhere", False)
    with request_session() as s:
        end_browser_session(s.conn, everywhere, s.actor)
        audit(s.conn, s.actor, "auth.logout", s.actor.label, {"everywhere": everywhere})
    return "", 204


def list_sessions() -> Response:
    """The caller's live browser sessions (where and when they were last used)."""
    with request_session() as s:
        if s.actor.id is None:
            return listed(BrowserSession, [])
        now = dt.datetime.now(dt.UTC)
        lifetimes = Lifetimes.from_config(current_tenant().config)
        return listed(BrowserSession, browser_sessions(s.conn, s.actor.id, lifetimes, now))


def csrf() -> Response:
    with request_session():
        return answer(CsrfToken, {"csrf_token": csrf_token()})


TAG = "auth"
ENDPOINTS = (
    Endpoint("/auth/token", "POST", issue_token,
             "Exchange email and password for an API token (shown once)", TAG,
             body=TokenRequest, reply=Token, status=201, public=True),
    Endpoint("/auth/token", "DELETE", revoke_current, "Revoke the token used for this request",
             TAG),
    Endpoint("/auth/tokens", "GET", list_tokens, "Your API tokens (admins: ?user_id=)", TAG,
             query=TokenQuery, reply=listing_of(TokenInfo, paged=False)),
    Endpoint("/auth/tokens/<id:token_id>", "DELETE", revoke_one, "Revoke a token", TAG),
    Endpoint("/auth/login", "POST", login,
             "Start a browser session (cookie); answers the CSRF token", TAG,
             body=Credentials, reply=LoggedIn, public=True),
    Endpoint("/auth/logout", "POST", logout,
             "End the browser session on the server (everywhere: every session of yours)", TAG,
             body=Logout, body_required=False),
    Endpoint("/auth/csrf", "GET", csrf, "The CSRF token of this browser session", TAG,
             reply=CsrfToken),
    Endpoint("/auth/sessions", "GET", list_sessions,
             "Your live browser sessions: address, browser, login and last use", TAG,
             reply=listing_of(BrowserSession, paged=False)),
)  # fmt: skip

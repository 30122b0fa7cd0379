"""Tokens and browser sessions: log in, list and revoke tokens, log out."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, g, jsonify

from plinth.api.auth import api_session, csrf_token, end_browser_session, start_browser_session
from plinth.api.jsonio import json_body, optional_body
from plinth.api.responses import client_address, id_arg, listing
from plinth.auth.browser_sessions import Lifetimes
from plinth.auth.browser_sessions import list_sessions as browser_sessions
from plinth.auth.login import verify_login
from plinth.auth.people import describe_user
from plinth.auth.tokens import create_token, revoke_token
from plinth.errors import NotFound, ValidationError
from plinth.extension import current_tenant
from plinth.runtime import system_tables as st
from plinth.runtime.audit import audit

MAX_TOKEN_DAYS = 3650


def register(api: Blueprint) -> None:
    api.add_url_rule("/auth/token", view_func=issue_token, methods=["POST"])
    api.add_url_rule("/auth/token", view_func=revoke_current, methods=["DELETE"])
    api.add_url_rule("/auth/tokens", view_func=list_tokens, methods=["GET"])
    api.add_url_rule("/auth/tokens/<id:token_id>", view_func=revoke_one, methods=["DELETE"])
    api.add_url_rule("/auth/login", view_func=login, methods=["POST"])
    api.add_url_rule("/auth/logout", view_func=logout, methods=["POST"])
    api.add_url_rule("/auth/csrf", view_func=csrf, methods=["GET"])
    api.add_url_rule("/auth/sessions", view_func=list_sessions, methods=["GET"])


def _credentials(body: dict) -> tuple[str, str]:
    email, password = body.get("email"), body.get("password")
    errors = {}
    if not isinstance(email, str) or not email.strip():
        errors["email"] = ["is required"]
    if not isinstance(password, str) or not password:
        errors["password"] = ["is required"]
    if errors:
        raise ValidationError(errors)
    return email, password


def issue_token():
    """Exchange email and password for an API token (shown once)."""
    body = json_body()
    unknown = sorted(set(body) - {"email", "password", "name", "expires_in_days"})
    if unknown:
        raise ValidationError({k: ["unknown field"] for k in unknown})
    email, password = _credentials(body)
    days = body.get("expires_in_days")
    if days is not None and (
        not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_TOKEN_DAYS
    ):
        raise ValidationError.single("expires_in_days", f"must be from 1 to {MAX_TOKEN_DAYS}")
    name = body.get("name", "api")
    if not isinstance(name, str) or len(name) > 100:
        raise ValidationError.single("name", "must be text of at most 100 characters")
    tenant = current_tenant()
    user = verify_login(tenant.database, email, password, client_address())
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days) if days else None
    with tenant.database.transaction(write=True) as conn:
        token, row = create_token(conn, user["id"], name, expires)
        audit(conn, None, "token.create", user["email"], {"token_id": row["id"]}, client_address())
    body = {"token": token, "id": row["id"], "name": row["name"], "expires_at": row["expires_at"]}
    return jsonify(body), 201


def revoke_current():
    with api_session() as s:
        token_id = getattr(g, "token_id", None)
        if token_id is None:
            raise NotFound("this request was not made with a token")
        revoke_token(s.conn, token_id, s.actor.id)
        audit(s.conn, s.actor, "token.revoke", str(token_id))
    return "", 204


def list_tokens():
    with api_session() as s:
        t = st.api_token
        query = sa.select(
            t.c.id,
            t.c.user_id,
            t.c.name,
            t.c.prefix,
            t.c.created_at,
            t.c.expires_at,
            t.c.last_used_at,
            t.c.revoked_at,
        ).order_by(t.c.id)
        user_id = id_arg("user_id")
        if s.actor.is_admin and user_id:
            query = query.where(t.c.user_id == user_id)
        else:
            query = query.where(t.c.user_id == s.actor.id)
        return listing([dict(r) for r in s.conn.execute(query).mappings()])


def revoke_one(token_id: int):
    with api_session() as s:
        revoke_token(s.conn, token_id, None if s.actor.is_admin else s.actor.id)
        audit(s.conn, s.actor, "token.revoke", str(token_id))
    return "", 204


def login():
    """Start a browser session (cookie); returns the CSRF token unsafe requests must send."""
    email, password = _credentials(json_body())
    tenant = current_tenant()
    user = verify_login(tenant.database, email, password, client_address())
    token = start_browser_session(user)
    with tenant.database.transaction() as conn:
        profile = describe_user(conn, user["id"], full=True)
    return jsonify({"user": profile, "csrf_token": token})


def logout():
    """End this browser session on the server (``{"everywhere": true}``: every session of
    the user, on every device)."""
    body = optional_body(("everywhere",))
    everywhere = body.get("everywhere", False)
    if not isinstance(everywhere, bool):
        raise ValidationError.single("everywhere", "must be true or false")
    with api_session() as s:
        end_browser_session(s.conn, everywhere, s.actor)
        audit(s.conn, s.actor, "auth.logout", s.actor.label, {"everywhere": everywhere})
    return "", 204


def list_sessions():
    """The caller's live browser sessions (where and when they were last used)."""
    with api_session() as s:
        if s.actor.id is None:
            return listing([])
        now = dt.datetime.now(dt.UTC)
        lifetimes = Lifetimes.from_config(current_tenant().config)
        return listing(browser_sessions(s.conn, s.actor.id, lifetimes, now))


def csrf():
    with api_session():
        return jsonify({"csrf_token": csrf_token()})

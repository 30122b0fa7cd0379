"""Health, the caller's own profile, and the audit log."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, Response

from plinth.api.answers import Health
from plinth.api.contract import answer, listed, load_query
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.jsonio import json_body
from plinth.api.openapi.parts import listing_of
from plinth.api.queries import page_query
from plinth.auth.people import describe_user, update_profile
from plinth.auth.schemas import ProfileInput, User
from plinth.auth.web_session import request_session, require_admin
from plinth.extension import current_tenant
from plinth.schemas import QueryText
from plinth.services.audit_log import AuditEntry, audit_page

AuditQuery = page_query(100, 1000, event=QueryText(metadata={"example": "auth.login"}))


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def health() -> Response:
    tenant = current_tenant()
    database = "ok" if tenant.database.ping() else "unavailable"
    queue = "redis" if tenant.config["REDIS_URL"] else "inline"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database, "queue": queue}
    return answer(Health, body, status)


def me() -> Response:
    with request_session() as s:
        user_id = cast(int, s.actor.id)  # request_session lets in only a signed-in user
        return answer(User, describe_user(s.conn, user_id, full=True))


def update_me() -> Response:
    with request_session() as s:
        update_profile(s.conn, s.actor, json_body())
        user_id = cast(int, s.actor.id)  # request_session lets in only a signed-in user
        return answer(User, describe_user(s.conn, user_id, full=True))


def audit_log() -> Response:
    with request_session() as s:
        require_admin(s)
        args = load_query(AuditQuery)
        page = audit_page(s.conn, args["limit"], args.get("cursor"), args.get("event"))
        return listed(AuditEntry, *page)


DEGRADED = {
    "description": "The database is unavailable",
    "content": {"application/json": {"schema": Health}},
}
ENDPOINTS = (
    Endpoint("/health", "GET", health, "Database and queue state", "system", reply=Health,
             public=True, responses={"503": DEGRADED}),
    Endpoint("/me", "GET", me, "Who you are", "users", reply=User),
    Endpoint("/me", "PATCH", update_me, "Change your name, locale, time zone or password",
             "users", body=ProfileInput, reply=User),
    Endpoint("/audit", "GET", audit_log,
             "Audit log: authentication events and metadata changes (admin)", "system",
             query=AuditQuery, reply=listing_of(AuditEntry)),
)  # fmt: skip

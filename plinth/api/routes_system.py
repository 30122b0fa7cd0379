"""Health, the caller's own profile, and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from plinth.api.auth import api_session, require_admin
from plinth.api.jsonio import json_body
from plinth.api.responses import int_arg, listing
from plinth.auth.people import describe_user, update_profile
from plinth.extension import current_tenant
from plinth.runtime import system_tables as st


def register(api: Blueprint) -> None:
    api.add_url_rule("/health", view_func=health, methods=["GET"])
    api.add_url_rule("/me", view_func=me, methods=["GET"])
    api.add_url_rule("/me", view_func=update_me, methods=["PATCH"], endpoint="update_me")
    api.add_url_rule("/audit", view_func=audit_log, methods=["GET"])


def health():
    tenant = current_tenant()
    database = "ok" if tenant.database.ping() else "unavailable"
    queue = "redis" if tenant.config["REDIS_URL"] else "inline"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database, "queue": queue}
    return jsonify(body), status


def me():
    with api_session() as s:
        return jsonify(describe_user(s.conn, s.actor.id, full=True))


def update_me():
    with api_session() as s:
        body = json_body()
        update_profile(s.conn, s.actor, body)
        return jsonify(describe_user(s.conn, s.actor.id, full=True))


def audit_log():
    with api_session() as s:
        require_admin(s)
        limit = int_arg("limit", 100)
        before = int_arg("cursor", None, high=2**62)
        a = st.audit
        query = sa.select(a).order_by(a.c.id.desc()).limit(limit + 1)
        if before is not None:
            query = query.where(a.c.id < before)
        if request.args.get("event"):
            query = query.where(a.c.event == request.args["event"])
        rows = [dict(r) for r in s.conn.execute(query).mappings()]
        more = len(rows) > limit
        rows = rows[:limit]
        return listing(rows, str(rows[-1]["id"]) if more else None)

"""Notifications (each user's inbox), and jobs and webhook deliveries (administrators)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from plinth.api.auth import api_session, require_admin
from plinth.api.jsonio import BadRequest
from plinth.api.responses import bool_arg, int_arg, listing
from plinth.errors import Conflict, NotFound
from plinth.jobs import outbox
from plinth.rules.notifications import inbox, mark_read
from plinth.runtime import system_tables as st


def register(api: Blueprint) -> None:
    api.add_url_rule("/notifications", view_func=notifications, methods=["GET"])
    api.add_url_rule(
        "/notifications/<id:notification_id>/read", view_func=read_one, methods=["POST"]
    )
    api.add_url_rule("/notifications/read_all", view_func=read_all, methods=["POST"])
    api.add_url_rule("/jobs", view_func=jobs, methods=["GET"])
    api.add_url_rule("/jobs/<id:job_id>", view_func=job, methods=["GET"])
    api.add_url_rule("/jobs/<id:job_id>/retry", view_func=retry_job, methods=["POST"])
    api.add_url_rule("/webhooks/deliveries", view_func=deliveries, methods=["GET"])


def notifications():
    with api_session() as s:
        rows, next_cursor, unread = inbox(
            s.conn,
            s.actor.id,
            bool_arg("unread"),
            int_arg("limit", 50, high=200),
            int_arg("cursor", None, high=2**62),
        )
        return listing(rows, next_cursor, unread=unread)


def read_one(notification_id: int):
    with api_session() as s:
        mark_read(s.conn, s.actor.id, notification_id, s.tenant.clock())
    return "", 204


def read_all():
    with api_session() as s:
        count = mark_read(s.conn, s.actor.id, None, s.tenant.clock())
    return jsonify({"marked": count})


def jobs():
    with api_session() as s:
        require_admin(s)
        status = request.args.get("status")
        if status and status not in outbox.STATUSES:
            raise BadRequest(f"status must be one of {', '.join(outbox.STATUSES)}")
        return _newest_first(s.conn, st.job, ("status", "name"))


def job(job_id: int):
    with api_session() as s:
        require_admin(s)
        row = s.conn.execute(sa.select(st.job).where(st.job.c.id == job_id)).mappings().first()
        if row is None:
            raise NotFound(f"no job {job_id}")
        return jsonify(dict(row))


def retry_job(job_id: int):
    """Run a failed job again (one more attempt)."""
    with api_session() as s:
        require_admin(s)
        row = outbox.requeue(s.conn, job_id, s.tenant.clock())
        if row is None:
            raise Conflict(f"job {job_id} does not exist or has not failed")
        key = row["key"]
        s.on_commit(lambda: s.tenant.jobs.dispatcher.push([key]))
    return jsonify(row), 202


def deliveries():
    with api_session() as s:
        require_admin(s)
        return _newest_first(s.conn, st.webhook_delivery, ("job_key", "automation"))


def _newest_first(conn, table: sa.Table, filter_args: tuple[str, ...]):
    """A page of ``table`` rows, newest first, filtered by equality on ``filter_args``."""
    limit = int_arg("limit", 50, high=500)
    query = sa.select(table).order_by(table.c.id.desc()).limit(limit + 1)
    for arg in filter_args:
        if request.args.get(arg):
            query = query.where(table.c[arg] == request.args[arg])
    before = int_arg("cursor", None, high=2**62)
    if before is not None:
        query = query.where(table.c.id < before)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return listing(rows, str(rows[-1]["id"]) if more and rows else None)

"""Notifications (each user's inbox), and jobs and webhook deliveries (administrators)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Blueprint, Response

from plinth.api.answers import Marked
from plinth.api.contract import answer, listed, load_query
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.openapi.parts import listing_of
from plinth.api.queries import page_query
from plinth.auth.web_session import request_session, require_admin
from plinth.errors import Conflict
from plinth.jobs import outbox
from plinth.jobs.listing import Job, WebhookDelivery, deliveries_page, get_job, jobs_page
from plinth.rules.notifications import Notification, inbox, mark_read
from plinth.schemas import Choice, QueryFlag, QueryText

if TYPE_CHECKING:
    from plinth.tenant import Tenant

InboxQuery = page_query(
    50,
    200,
    unread=QueryFlag(metadata={"description": "only unread ones"}),
    queue=QueryText(metadata={"description": "only those of this queue"}),
)
JobQuery = page_query(
    50,
    500,
    status=Choice(outbox.STATUSES, metadata={"description": "failed: those that gave up"}),
    name=QueryText(),
)
DeliveryQuery = page_query(50, 500, job_key=QueryText(), automation=QueryText())


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def notifications() -> Response:
    with request_session() as s:
        args = load_query(InboxQuery)
        user_id = cast(int, s.actor.id)  # request_session lets in only a signed-in user
        rows, next_cursor, unread = inbox(
            s.conn,
            user_id,
            args.get("unread", False),
            args["limit"],
            args.get("cursor"),
            args.get("queue"),
        )
        return listed(Notification, rows, next_cursor, unread=unread)


def read_one(notification_id: int) -> tuple[str, int]:
    with request_session() as s:
        user_id = cast(int, s.actor.id)  # request_session lets in only a signed-in user
        mark_read(s.conn, user_id, notification_id, s.tenant.clock())
    return "", 204


def read_all() -> Response:
    with request_session() as s:
        user_id = cast(int, s.actor.id)  # request_session lets in only a signed-in user
        count = mark_read(s.conn, user_id, None, s.tenant.clock())
    return answer(Marked, {"marked": count})


def jobs() -> Response:
    with request_session() as s:
        require_admin(s)
        args = load_query(JobQuery)
        page = jobs_page(
            s.conn, args["limit"], args.get("cursor"), args.get("status"), args.get("name")
        )
        return listed(Job, *page)


def job(job_id: int) -> Response:
    with request_session() as s:
        require_admin(s)
        return answer(Job, get_job(s.conn, job_id))


def retry_job(job_id: int) -> Response:
    """Run a failed job again (one more attempt)."""
    with request_session() as s:
        require_admin(s)
        row = outbox.requeue(s.conn, job_id, s.tenant.clock())
        if row is None:
            raise Conflict(f"job {job_id} does not exist or has not failed")
        key = row["key"]
        tenant = cast("Tenant", s.tenant)  # TenantContext's Jobs does not declare the dispatcher
        s.on_commit(lambda: tenant.jobs.dispatcher.push([key]))
    return answer(Job, row, 202)


def deliveries() -> Response:
    with request_session() as s:
        require_admin(s)
        args = load_query(DeliveryQuery)
        page = deliveries_page(
            s.conn, args["limit"], args.get("cursor"), args.get("job_key"), args.get("automation")
        )
        return listed(WebhookDelivery, *page)


ENDPOINTS = (
    Endpoint("/notifications", "GET", notifications,
             "Your in-app notifications, newest first, with the unread count", "users",
             query=InboxQuery, reply=listing_of(Notification, unread={"type": "integer"})),
    Endpoint("/notifications/<id:notification_id>/read", "POST", read_one,
             "Mark one notification read", "users"),
    Endpoint("/notifications/read_all", "POST", read_all, "Mark all your notifications read",
             "users", reply=Marked),
    Endpoint("/jobs", "GET", jobs,
             "Background jobs (admin); status=failed lists those that gave up", "system",
             query=JobQuery, reply=listing_of(Job)),
    Endpoint("/jobs/<id:job_id>", "GET", job, "One job (admin)", "system", reply=Job),
    Endpoint("/jobs/<id:job_id>/retry", "POST", retry_job, "Run a failed job again (admin)",
             "system", reply=Job, status=202),
    Endpoint("/webhooks/deliveries", "GET", deliveries,
             "Webhook delivery log, newest first (admin)", "system",
             query=DeliveryQuery, reply=listing_of(WebhookDelivery)),
)  # fmt: skip

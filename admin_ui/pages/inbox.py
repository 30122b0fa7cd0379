"""The notification bell (in every page's header) and the inbox (``/app/inbox``): a user's
own notifications, grouped in queues by what kind of alert they are (SLA at risk,
undispatched too long, ...), each opening the record it is about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug import Response

from admin_ui.i18n import current_locale, label, object_label
from admin_ui.pages import pages
from admin_ui.pages.account import safe_next
from admin_ui.pages.context import page_session
from admin_ui.values import title_of
from plinth.errors import NotAuthenticated
from plinth.rules.notifications import (
    APPROVAL_QUEUE,
    Label,
    inbox,
    mark_read,
    open_notification,
    queue_counts,
    queue_labels,
    shown_text,
)
from plinth.runtime.query import Filter, ListQuery
from plinth.runtime.session import Session

PANEL_ROWS = 8  # the bell's panel: the newest few, the inbox has the rest
PAGE_ROWS = 20
MAX_ID = 2**63 - 1


def queue_name(labels: Mapping[str, Label], queue: str | None) -> str:
    """A queue's name in the UI language: its label in the metadata, else readable."""
    if queue is None:
        return str(_("Other"))
    if queue == APPROVAL_QUEUE:
        return str(_("Approvals"))
    if queue in labels:
        return label(labels[queue])
    return queue.replace("_", " ").replace(".", " · ").capitalize()


def _record_titles(s: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """The titles of the records the notifications are about that the user may read
    (one query per object)."""
    wanted: dict[str, set[int]] = {}
    for row in rows:
        if row["object"] and row["record_id"] is not None:
            wanted.setdefault(row["object"], set()).add(row["record_id"])
    titles: dict[tuple[str, int], str] = {}
    for name, ids in wanted.items():
        model = s.compiled.objects.get(name)
        if model is None or not s.guard.allows(model, "read"):
            continue
        query = ListQuery(filters=[Filter("id", "in", sorted(ids))], limit=len(ids))
        for record in s.records.list(name, query).data:
            titles[(name, record["id"])] = title_of(model, record)
    return titles


def _present(s: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notifications as the pages show them: in the user's language, with the queue's name
    and the title of the record they are about."""
    locale = current_locale()
    labels = queue_labels(s.compiled)
    titles = _record_titles(s, rows)
    shown = []
    for row in rows:
        title, body = shown_text(row, locale)
        model = s.compiled.objects.get(row["object"] or "")
        record_id = row["record_id"] if model is not None else None
        shown.append(
            {
                "id": row["id"],
                "title": title,
                "body": body,
                "unread": row["read_at"] is None,
                "created_at": row["created_at"],
                "queue": row["queue"],
                "queue_name": queue_name(labels, row["queue"]),
                "object_label": object_label(model) if model is not None else "",
                "record_id": record_id,
                "record_title": titles.get((row["object"], row["record_id"]), f"#{record_id}"),
            }
        )
    return shown


def _cursor() -> int | None:
    sent = request.args.get("cursor", "")
    return int(sent) if sent.isdigit() and int(sent) <= MAX_ID else None


@pages.get("/inbox")
def inbox_page() -> str:
    """All of the user's notifications, newest first, paged; only unread ones or one
    queue's on request."""
    with page_session() as s:
        user_id = cast(int, s.actor.id)  # a page session has a logged-in user
        unread_only = request.args.get("unread") == "1"
        queue = request.args.get("queue") or None
        rows, next_cursor, unread = inbox(s.conn, user_id, unread_only, PAGE_ROWS, _cursor(), queue)
        labels = queue_labels(s.compiled)
        queues = [
            {**counts, "name": queue_name(labels, counts["queue"])}
            for counts in queue_counts(s.conn, user_id)
            if counts["queue"] is not None
        ]
        return render_template(
            "app/inbox.html",
            items=_present(s, rows),
            next_cursor=next_cursor,
            unread=unread,
            queues=queues,
            queue=queue,
            queue_title=queue_name(labels, queue) if queue else None,
            unread_only=unread_only,
        )


@pages.get("/inbox/panel")
def inbox_panel() -> ResponseReturnValue:
    """The bell's panel (an HTML fragment): the newest notifications and the unread count.
    Without a login it answers 401 rather than the login page, for the script to see."""
    try:
        with page_session() as s:
            user_id = cast(int, s.actor.id)  # a page session has a logged-in user
            rows, _next, unread = inbox(s.conn, user_id, False, PANEL_ROWS, None)
            return render_template("app/_inbox_panel.html", items=_present(s, rows), unread=unread)
    except NotAuthenticated:
        return "", 401


@pages.post("/inbox/<int:notification_id>/open")
def inbox_open(notification_id: int) -> Response:
    """Mark one notification read and go to the record it is about (else the inbox)."""
    with page_session(write=True) as s:  # checks the login and the form's CSRF token
        user_id = cast(int, s.actor.id)  # a page session has a logged-in user
        row = open_notification(s.conn, user_id, notification_id, s.tenant.clock())
        model = s.compiled.objects.get(row["object"] or "")
    if model is not None and row["record_id"] is not None:
        return redirect(
            url_for("pages.record_view", object_name=model.name, record_id=row["record_id"])
        )
    return redirect(safe_next(request.form.get("next") or url_for("pages.inbox_page")))


@pages.post("/inbox/read_all")
def inbox_read_all() -> Response:
    """Mark all of the user's notifications read, then back to the page it was asked on."""
    with page_session(write=True) as s:
        user_id = cast(int, s.actor.id)  # a page session has a logged-in user
        count = mark_read(s.conn, user_id, None, s.tenant.clock())
    flash(_("%(count)d notification(s) marked read.", count=count))
    return redirect(safe_next(request.form.get("next") or url_for("pages.inbox_page")))

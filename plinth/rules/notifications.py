"""In-app notifications: who receives them, writing them, each user's inbox and its queues
(what kind of alert each one is)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound
from plinth.runtime import system_tables as st
from plinth.schemas import Answer, Instant, Object, Text, Whole
from plinth.services.id_paging import id_page

if TYPE_CHECKING:
    from plinth.runtime.compiler import CompiledMetadata
    from plinth.runtime.model import ObjectModel

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
QUEUE_LENGTH = 127
APPROVAL_QUEUE = "approval"
Label = str | Mapping[str, str]


def resolve_recipients(
    conn: Connection, targets: list[str], record: dict[str, Any], model: ObjectModel
) -> tuple[set[int], set[str]]:
    """User ids and e-mail addresses named by ``to`` entries of a notify action:

    ``owner``, ``creator``, ``user:<id>``, ``role:<name>``, ``team:<name>``,
    ``field:<user field>``, ``field:<email field>`` (e-mail channel only) or a plain e-mail
    address (e-mail channel only).
    """
    users: set[int] = set()
    emails: set[str] = set()
    for target in targets:
        kind, _, value = target.partition(":")
        if target == "owner" and record.get("owner_id"):
            users.add(record["owner_id"])
        elif target == "creator" and record.get("created_by"):
            users.add(record["created_by"])
        elif kind == "user" and value.isdigit():
            users.add(int(value))
        elif kind == "role":
            users.update(
                conn.scalars(sa.select(st.user_role.c.user_id).where(st.user_role.c.role == value))
            )
        elif kind == "team":
            users.update(
                conn.scalars(
                    sa.select(st.team_member.c.user_id)
                    .join(st.team, st.team.c.id == st.team_member.c.team_id)
                    .where(st.team.c.name == value)
                )
            )
        elif kind == "field":
            field = model.fields.get(value)
            if field is not None and field.type.name == "user" and record.get(value):
                users.add(record[value])
            elif field is not None and field.type.name == "email" and record.get(value):
                emails.add(record[value])
        elif EMAIL.match(target):
            emails.add(target)
    if users:
        active: set[int] = set(
            conn.scalars(
                sa.select(st.user.c.id).where(st.user.c.id.in_(users), st.user.c.active.is_(True))
            )
        )
        users &= active
    return users, emails


def user_emails(conn: Connection, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = conn.execute(sa.select(st.user.c.id, st.user.c.email).where(st.user.c.id.in_(user_ids)))
    return {row.id: row.email for row in rows}


def default_queue(source: str) -> str | None:
    """The queue of a notification written without one: the automation (or workflow step)
    named in its source, ``approval`` for approvals."""
    kind, _, name = source.partition(":")
    if kind == "automation" and name:
        return name[:QUEUE_LENGTH]
    if kind == "approval":
        return APPROVAL_QUEUE
    return None


def notify_users(
    conn: Connection,
    user_ids: Iterable[int],
    title: str,
    body: str,
    obj: str | None,
    record_id: int | None,
    source: str,
    now: dt.datetime,
    queue: str | None = None,
    texts: Mapping[str, Mapping[str, str]] | None = None,
) -> int:
    """Write one notification to each user. ``queue`` groups them in the inbox (by default
    from ``source``); ``texts``: the title and body in each language, by locale."""
    shown = (
        {locale: {"title": t["title"][:300], "body": t["body"]} for locale, t in texts.items()}
        if texts
        else None
    )
    rows = [
        {
            "user_id": user_id,
            "title": title[:300],
            "body": body,
            "object": obj,
            "record_id": record_id,
            "source": source[:255],
            "created_at": now,
            "queue": (queue or default_queue(source) or "")[:QUEUE_LENGTH] or None,
            "texts": shown,
        }
        for user_id in sorted(user_ids)
    ]
    if rows:
        conn.execute(st.notification.insert(), rows)
    return len(rows)


def inbox(
    conn: Connection,
    user_id: int,
    unread_only: bool,
    limit: int,
    before: int | None,
    queue: str | None = None,
) -> tuple[list[dict[str, Any]], str | None, int]:
    """A page of the user's notifications (of one queue when given), newest first, and how
    many of all theirs are unread."""
    n = st.notification
    query = sa.select(n).where(n.c.user_id == user_id)
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    if queue:
        query = query.where(n.c.queue == queue)
    page = id_page(conn, query, n.c.id, limit, before)
    for row in page.data:
        row.pop("user_id")
    return page.data, page.next_cursor, unread_count(conn, user_id)


def unread_count(conn: Connection, user_id: int) -> int:
    n = st.notification
    return cast(  # a count is never null
        int,
        conn.scalar(
            sa.select(sa.func.count())
            .select_from(n)
            .where(n.c.user_id == user_id, n.c.read_at.is_(None))
        ),
    )


def queue_counts(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """The queues the user has notifications in: ``queue``, ``total`` and ``unread``."""
    n = st.notification
    unread = sa.func.sum(sa.case((n.c.read_at.is_(None), 1), else_=0))
    rows = conn.execute(
        sa.select(n.c.queue, sa.func.count().label("total"), unread.label("unread"))
        .where(n.c.user_id == user_id)
        .group_by(n.c.queue)
    )
    return sorted(
        ({"queue": r.queue, "total": r.total, "unread": int(r.unread or 0)} for r in rows),
        key=lambda q: (q["queue"] is None, q["queue"] or ""),
    )


def mark_read(conn: Connection, user_id: int, notification_id: int | None, now: dt.datetime) -> int:
    n = st.notification
    query = n.update().where(n.c.user_id == user_id, n.c.read_at.is_(None)).values(read_at=now)
    if notification_id is not None:
        exists = conn.scalar(
            sa.select(n.c.id).where(n.c.id == notification_id, n.c.user_id == user_id)
        )
        if exists is None:
            raise NotFound(f"no notification {notification_id}")
        query = query.where(n.c.id == notification_id)
    return conn.execute(query).rowcount


def open_notification(
    conn: Connection, user_id: int, notification_id: int, now: dt.datetime
) -> dict[str, Any]:
    """Mark one of the user's notifications read and return it (NotFound if not theirs)."""
    mark_read(conn, user_id, notification_id, now)
    n = st.notification
    row = conn.execute(sa.select(n).where(n.c.id == notification_id)).mappings().one()
    return dict(row)


def queue_labels(compiled: CompiledMetadata) -> dict[str, Label]:
    """The label of each queue the metadata's notify actions write to: their
    ``queue_label``, else the label of the automation (or workflow step) that has them.
    The first label found wins (automations by name, then workflows)."""
    cached: dict[str, Label] | None = compiled.__dict__.get("_queue_labels")
    if cached is not None:
        return cached
    labels: dict[str, Label] = {}
    for name, doc in sorted(compiled.docs("automations").items()):
        _add_labels(labels, name, doc.get("label"), doc.get("actions"))
    for name, flow in sorted(compiled.docs("workflows").items()):
        for step in flow.get("transitions") or ():
            label = step.get("label") or step.get("name")
            _add_labels(labels, f"{name}.{step.get('name')}", label, step.get("actions"))
    compiled.__dict__["_queue_labels"] = labels
    return labels


def _add_labels(
    labels: dict[str, Label], owner: str, owner_label: Label | None, actions: Any
) -> None:
    for action in actions or ():
        if action.get("type") != "notify":
            continue
        queue = action.get("queue") or owner
        label = action.get("queue_label") or (None if action.get("queue") else owner_label)
        if label and queue not in labels:
            labels[queue] = label


def shown_text(row: Mapping[str, Any], locale: str) -> tuple[str, str]:
    """A notification's title and body in ``locale`` when it has them, else as written."""
    texts = row.get("texts") or {}
    if locale not in texts:
        language = locale.split("-", 1)[0]
        locale = next((k for k in sorted(texts) if k.split("-", 1)[0] == language), locale)
    chosen = texts.get(locale)
    if not chosen:
        return row["title"], row["body"]
    return chosen.get("title") or row["title"], chosen.get("body") or row["body"]


class Notification(Answer):
    """An in-app notification, as the user's inbox lists it."""

    id = Whole(required=True)
    title = Text(required=True)
    body = Text(required=True)
    object = Text(allow_none=True)
    record_id = Whole(allow_none=True)
    source = Text(required=True)
    queue = Text(
        allow_none=True,
        metadata={"description": "the inbox queue: a notify action's queue, else its automation"},
    )
    texts = Object(
        allow_none=True,
        metadata={"description": "title and body in each language of the rule, by locale"},
    )
    created_at = Instant(required=True)
    read_at = Instant(allow_none=True)

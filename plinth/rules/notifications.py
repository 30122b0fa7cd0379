"""In-app notifications: who receives them, writing them, and each user's inbox."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound
from plinth.runtime import system_tables as st
from plinth.schemas import Answer, Instant, Text, Whole
from plinth.services.id_paging import id_page

if TYPE_CHECKING:
    from plinth.runtime.model import ObjectModel

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


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


def notify_users(
    conn: Connection,
    user_ids: Iterable[int],
    title: str,
    body: str,
    obj: str | None,
    record_id: int | None,
    source: str,
    now: dt.datetime,
) -> int:
    rows = [
        {
            "user_id": user_id,
            "title": title[:300],
            "body": body,
            "object": obj,
            "record_id": record_id,
            "source": source[:255],
            "created_at": now,
        }
        for user_id in sorted(user_ids)
    ]
    if rows:
        conn.execute(st.notification.insert(), rows)
    return len(rows)


def inbox(
    conn: Connection, user_id: int, unread_only: bool, limit: int, before: int | None
) -> tuple[list[dict[str, Any]], str | None, int]:
    """A page of the user's notifications, newest first, and how many are unread."""
    n = st.notification
    query = sa.select(n).where(n.c.user_id == user_id)
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    page = id_page(conn, query, n.c.id, limit, before)
    unread = cast(  # a count is never null
        int,
        conn.scalar(
            sa.select(sa.func.count())
            .select_from(n)
            .where(n.c.user_id == user_id, n.c.read_at.is_(None))
        ),
    )
    for row in page.data:
        row.pop("user_id")
    return page.data, page.next_cursor, unread


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


class Notification(Answer):
    """An in-app notification, as the user's inbox lists it."""

    id = Whole(required=True)
    title = Text(required=True)
    body = Text(required=True)
    object = Text(allow_none=True)
    record_id = Whole(allow_none=True)
    source = Text(required=True)
    created_at = Instant(required=True)
    read_at = Instant(allow_none=True)

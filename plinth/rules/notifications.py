"""In-app notifications: who receives them, writing them, and each user's inbox."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.errors import NotFound
from plinth.runtime import system_tables as st

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def resolve_recipients(
    conn: Connection, targets: list[str], record: dict, model
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
        active = set(
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
    conn: Connection, user_ids, title: str, body: str, obj: str | None, record_id, source: str, now
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


def inbox(conn: Connection, user_id: int, unread_only: bool, limit: int, before: int | None):
    n = st.notification
    query = sa.select(n).where(n.c.user_id == user_id).order_by(n.c.id.desc()).limit(limit + 1)
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    if before is not None:
        query = query.where(n.c.id < before)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    unread = conn.scalar(
        sa.select(sa.func.count())
        .select_from(n)
        .where(n.c.user_id == user_id, n.c.read_at.is_(None))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row.pop("user_id")
    return rows, (str(rows[-1]["id"]) if more and rows else None), unread


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

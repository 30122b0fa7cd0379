"""Looking users up: display names by id, the type-ahead of user pickers, everyone for a
team's member list, and how many users and teams there are."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.runtime import system_tables as st
from plinth.runtime.field_types.base import escape_like

U = st.user


def user_names(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    """Display names (the name, else the email) of users by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = conn.execute(sa.select(U.c.id, U.c.name, U.c.email).where(U.c.id.in_(wanted)))
    return {row.id: row.name or row.email for row in rows}


def search_users(conn: Connection, text: str, limit: int = 10) -> list[dict[str, Any]]:
    """Active users (id, name, email) whose name or email contains ``text``, by name."""
    query = sa.select(U.c.id, U.c.name, U.c.email).where(U.c.active.is_(True))
    if text:
        pattern = f"%{escape_like(text.lower())}%"
        query = query.where(
            sa.or_(
                sa.func.lower(U.c.name).like(pattern, escape="\\"),
                sa.func.lower(U.c.email).like(pattern, escape="\\"),
            )
        )
    return [dict(r) for r in conn.execute(query.order_by(U.c.name).limit(limit)).mappings()]


def everyone(conn: Connection) -> list[dict[str, Any]]:
    """Every user's id, email, name and state, by name (a team's member checkboxes)."""
    query = sa.select(U.c.id, U.c.email, U.c.name, U.c.active).order_by(U.c.name, U.c.id)
    return [dict(row) for row in conn.execute(query).mappings()]


def head_counts(conn: Connection) -> tuple[int, int]:
    """How many users (active or not) and teams there are."""
    users = conn.scalar(sa.select(sa.func.count()).select_from(U))
    teams = conn.scalar(sa.select(sa.func.count()).select_from(st.team))
    return users or 0, teams or 0

"""The user behind a credential (token or browser session) in one round trip: the user's
row with roles, teams and the newest metadata revision id, so a request authenticates and
checks its metadata with a single query."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from plinth.runtime import system_tables as st

#: The user's columns an actor is made of (``actor_for``): read on every request, so no more.
ACTOR_COLUMNS = ("id", "email", "name", "locale", "time_zone")


def identity_select(
    dialect: str, *credential_columns: sa.ColumnElement[Any]
) -> sa.Select[*tuple[Any, ...]]:
    """SELECT the user's ``ACTOR_COLUMNS``, ``credential_columns``, ``role_list``,
    ``team_list`` and ``revision_id``; the caller joins its credential table and adds its
    conditions."""
    u = st.user
    roles = aggregate_names(dialect, st.user_role.c.role, st.user_role.c.user_id == u.c.id)
    teams = aggregate_names(
        dialect,
        sa.cast(st.team_member.c.team_id, sa.String),
        st.team_member.c.user_id == u.c.id,
    )
    latest = sa.select(sa.func.max(st.revision.c.id)).scalar_subquery()
    return sa.select(
        *(u.c[name] for name in ACTOR_COLUMNS),
        *credential_columns,
        roles.label("role_list"),
        teams.label("team_list"),
        latest.label("revision_id"),
    )


def identity_of(row: sa.RowMapping) -> dict[str, Any]:
    """A row of ``identity_select`` as the user dict ``actor_for`` takes (role_names,
    team_ids and revision_id filled in)."""
    user = dict(row)
    user["role_names"] = split_names(user.pop("role_list"))
    user["team_ids"] = [int(t) for t in split_names(user.pop("team_list"))]
    user["revision_id"] = user["revision_id"] or 0
    return user


def aggregate_names(
    dialect: str, column: sa.ColumnElement[str], where: sa.ColumnElement[bool]
) -> sa.ScalarSelect[str]:
    """A correlated subquery joining values with commas (roles and teams in one query)."""
    if dialect == "postgresql":
        function = sa.func.string_agg(column, ",")
    else:
        function = sa.func.group_concat(column, ",")
    return sa.select(function).where(where).scalar_subquery()


def split_names(text: str | None) -> list[str]:
    return [part for part in (text or "").split(",") if part]

"""Grab mode: a record published to the candidates who may claim it; the first claim wins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from plinth.errors import Conflict, NotFound, PermissionDenied
from plinth.json_props import id_from_text, is_id
from plinth.rules.assignment import log
from plinth.rules.assignment.candidates import Candidate
from plinth.rules.assignment.definitions import AssignmentRule
from plinth.runtime import system_tables as st
from plinth.services.id_paging import IdPage, id_page

if TYPE_CHECKING:
    from plinth.runtime.session import Session

P, M = st.pool, st.pool_member


def publish(
    session: Session,
    object_name: str,
    record_id: int,
    rule: AssignmentRule,
    members: list[Candidate],
) -> None:
    """Open (or replace) the record's pool with these members."""
    close(session, object_name, record_id)
    pool_id: int = session.conn.execute(
        P.insert().returning(P.c.id),
        {
            "object": object_name,
            "record_id": record_id,
            "rule": rule.name,
            "field": rule.field,
            "created_at": session.tenant.clock(),
        },
    ).scalar_one()
    session.conn.execute(
        M.insert(),
        [{"pool_id": pool_id, "candidate_id": c.id, "user_id": c.user_id} for c in members],
    )


def close(session: Session, object_name: str, record_id: int) -> None:
    pool_ids = sa.select(P.c.id).where(P.c.object == object_name, P.c.record_id == record_id)
    session.conn.execute(M.delete().where(M.c.pool_id.in_(pool_ids)))
    session.conn.execute(P.delete().where(P.c.object == object_name, P.c.record_id == record_id))


def open_for(
    session: Session, object_name: str, limit: int, after: int | None
) -> IdPage[dict[str, Any]]:
    """Records of ``object_name`` in pools the caller belongs to (admins: all), oldest pool
    first, with the fields the caller may read; and the cursor of the next page."""
    model = session.compiled.object(object_name)
    query = sa.select(P.c.id, P.c.record_id, P.c.rule, P.c.created_at).where(
        P.c.object == object_name
    )
    if not session.actor.is_admin:
        members = sa.select(M.c.pool_id).where(M.c.user_id == session.actor.id)
        query = query.where(P.c.id.in_(members))
    page = id_page(session.conn, query, P.c.id, limit, after, newest_first=False)
    readable = session.guard.readable(model)
    full = session.with_full_access()
    data: list[dict[str, Any]] = []
    for row in page.data:
        try:
            record = full.records.get(object_name, row["record_id"])
        except NotFound:
            continue
        visible = {k: v for k, v in record.items() if readable is None or k in readable}
        data.append(
            {
                "record": visible | {"id": row["record_id"]},
                "rule": row["rule"],
                "since": row["created_at"],
            }
        )
    return IdPage(data, page.next_cursor)


def claim(session: Session, object_name: str, record_id: Any) -> dict[str, Any]:
    """Give the record to the caller's candidate; the first claim wins, later ones get 409."""
    model = session.compiled.object(object_name)
    number = record_id if is_id(record_id) else id_from_text(record_id)
    if number is None:
        raise NotFound(f"no {object_name} with id {record_id}")
    record_id = number
    # Locking the pool row makes concurrent claims wait for each other (PostgreSQL): two
    # claims deleting the same member rows in different orders could otherwise deadlock.
    pool = (
        session.conn.execute(
            sa.select(P)
            .where(P.c.object == object_name, P.c.record_id == record_id)
            .with_for_update()
        )
        .mappings()
        .first()
    )
    if pool is None:
        raise Conflict(f"{object_name} {record_id} is not open to claims (already taken?)")
    member = session.conn.execute(
        sa.select(M.c.candidate_id).where(
            M.c.pool_id == pool["id"], M.c.user_id == session.actor.id
        )
    ).first()
    if member is None:
        raise PermissionDenied(f"you are not among the candidates for {object_name} {record_id}")
    session.conn.execute(M.delete().where(M.c.pool_id == pool["id"]))
    won = session.conn.execute(P.delete().where(P.c.id == pool["id"]).returning(P.c.id)).first()
    if won is None:  # a concurrent claim removed the pool first
        raise Conflict(f"{object_name} {record_id} was claimed by someone else")
    field = model.fields[pool["field"]]
    value = session.actor.id if field.type.name == "user" else member.candidate_id
    full = session.with_full_access()
    full.records.update(object_name, record_id, {pool["field"]: value})
    log.write(session, object_name, record_id, pool["field"], pool["rule"], "claim", value, {})
    try:
        return session.records.get(object_name, record_id)
    except (NotFound, PermissionDenied):  # their role's scope does not show it to them
        return {"id": record_id, pool["field"]: value}

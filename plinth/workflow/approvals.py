"""Approvals: a transition that needs one or more levels of approval first.

Firing such a transition moves the record to the approval's pending state and opens an
approval. Each level names its approvers: a role, the user in a field of the record, or the
submitter's manager. The last approval fires the transition to its target; a rejection fires
``on_reject`` (or returns the record to the state it was submitted from).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa

from plinth.errors import Conflict, NotFound, PermissionDenied, ValidationError
from plinth.rules.notifications import notify_users, resolve_recipients
from plinth.runtime import system_tables as st
from plinth.services.record_rows import for_record as rows_for_record
from plinth.workflow.definitions import Approval, Transition, Workflow, workflow_for
from plinth.workflow.transitions import APPROVED, REJECTED, InProgress, apply_move

if TYPE_CHECKING:
    from plinth.auth.actor import Actor
    from plinth.runtime.session import Session

A, STEP = st.approval, st.approval_step
PENDING, DONE_APPROVED, DONE_REJECTED, CANCELLED = "pending", "approved", "rejected", "cancelled"


def open_approval(
    session: Session, workflow: Workflow, move: InProgress, record: dict[str, Any]
) -> int:
    """Open the approval of a submitted transition (the record is in its pending state)."""
    transition = cast(Transition, move.transition)  # a submit move is of a transition
    approval = cast(Approval, transition.approval)  # that needs approval
    now = session.tenant.clock()
    row = {
        "object": workflow.object,
        "record_id": record["id"],
        "workflow": workflow.name,
        "transition": transition.name,
        "from_state": move.from_state,
        "pending_state": approval.pending_state,
        "level": 0,
        "levels": len(approval.levels),
        "status": PENDING,
        "submitted_by": session.actor.id,
        "submitted_at": now,
        "comment": move.comment,
    }
    row.update(_approvers(session, approval.levels[0], record, session.actor.id))
    approval_id: int = session.conn.execute(A.insert().returning(A.c.id), row).scalar_one()
    _notify(session, {**row, "id": approval_id}, transition)
    return approval_id


def cancel_open(session: Session, object_name: str, record_id: int, reason: str) -> None:
    """Close the pending approval of a record that left its pending state another way."""
    session.conn.execute(
        A.update()
        .where(A.c.object == object_name, A.c.record_id == record_id, A.c.status == PENDING)
        .values(status=CANCELLED, decided_at=session.tenant.clock(), comment=reason)
    )


def decide(
    session: Session, approval_id: int, approve: bool, comment: str | None
) -> dict[str, Any]:
    """Approve or reject the current level as the session's actor; returns the approval."""
    row: Mapping[Any, Any] | None = (
        session.conn.execute(sa.select(A).where(A.c.id == approval_id).with_for_update())
        .mappings()
        .first()
    )
    if row is None or not _may_see(session, row):
        raise NotFound(f"no approval {approval_id}")
    row = dict(row)
    if row["status"] != PENDING:
        raise Conflict(f"approval {approval_id} is already {row['status']}")
    actor = session.actor
    if not _is_approver(actor, row):
        raise PermissionDenied("you are not an approver of this level")
    if row["submitted_by"] == actor.id and not actor.is_admin:
        raise PermissionDenied("you submitted this request; someone else must decide it")
    if not approve and not (comment or "").strip():
        raise ValidationError.single("comment", "is required to reject")
    workflow, transition = _definition(session, row)
    record = session.with_full_access().records.lock(row["object"], row["record_id"])
    if record[workflow.field] != row["pending_state"]:
        raise Conflict(f"the record is no longer {row['pending_state']!r}")
    now = session.tenant.clock()
    session.conn.execute(
        STEP.insert(),
        {
            "approval_id": approval_id,
            "level": row["level"],
            "decision": DONE_APPROVED if approve else DONE_REJECTED,
            "actor_id": actor.id,
            "comment": comment,
            "at": now,
        },
    )
    if approve and row["level"] + 1 < row["levels"]:
        level = row["level"] + 1
        changes = {
            "level": level,
            **_approvers(
                session,
                cast(Approval, transition.approval).levels[level],  # _definition checked it
                record,
                row["submitted_by"],
            ),
        }
        session.conn.execute(A.update().where(A.c.id == approval_id).values(**changes))
        _notify(session, {**row, **changes}, transition)
        return approval_detail(session, approval_id)
    status = DONE_APPROVED if approve else DONE_REJECTED
    session.conn.execute(
        A.update().where(A.c.id == approval_id).values(status=status, decided_at=now)
    )
    _finish(session, workflow, transition, row, record, approve, comment)
    return approval_detail(session, approval_id)


def approval_detail(session: Session, approval_id: int) -> dict[str, Any]:
    row = session.conn.execute(sa.select(A).where(A.c.id == approval_id)).mappings().first()
    if row is None or not _may_see(session, row):
        raise NotFound(f"no approval {approval_id}")
    return _with_steps(session, [dict(row)])[0]


def for_record(session: Session, object_name: str, record_id: Any) -> list[dict[str, Any]]:
    """The approvals of a record the actor may read, newest first."""
    return _with_steps(session, rows_for_record(session, A, object_name, record_id))


def waiting_for(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """Pending approvals the actor may decide now, oldest first."""
    actor = session.actor
    mine = [A.c.approver_user_id == actor.id]
    if actor.roles:
        mine.append(A.c.approver_role.in_(sorted(actor.roles)))
    query = sa.select(A).where(A.c.status == PENDING).order_by(A.c.id).limit(limit)
    if not actor.is_admin:
        query = query.where(sa.or_(*mine))
    rows = [dict(r) for r in session.conn.execute(query).mappings()]
    return _with_steps(
        session, [r for r in rows if r["submitted_by"] != actor.id or actor.is_admin]
    )


# ---- internals -----------------------------------------------------------------------------
def _approvers(
    session: Session, level: dict[str, Any], record: dict[str, Any], submitter: int | None
) -> dict[str, Any]:
    if "role" in level:
        return {"approver_role": level["role"], "approver_user_id": None}
    if "user_field" in level:
        user_id = record.get(level["user_field"])
        if user_id is None:
            raise ValidationError.single(level["user_field"], "names the approver: it is empty")
        return {"approver_role": None, "approver_user_id": user_id}
    manager = session.conn.scalar(sa.select(st.user.c.manager_id).where(st.user.c.id == submitter))
    if manager is None:
        raise ValidationError(detail="this needs your manager's approval, and you have no manager")
    return {"approver_role": None, "approver_user_id": manager}


def _notify(session: Session, row: dict[str, Any], transition: Transition) -> None:
    target = (
        f"role:{row['approver_role']}"
        if row["approver_role"]
        else f"user:{row['approver_user_id']}"
    )
    model = session.compiled.object(row["object"])
    users, _ = resolve_recipients(session.conn, [target], {}, model)
    users.discard(row["submitted_by"])
    notify_users(
        session.conn,
        users,
        f"Approval needed: {transition.title()}",
        f"{model.label()} {row['record_id']} waits for your approval "
        f"(level {row['level'] + 1} of {row['levels']}).",
        row["object"],
        row["record_id"],
        f"approval:{row['id']}",
        session.tenant.clock(),
    )


def _is_approver(actor: Actor, row: Mapping[Any, Any]) -> bool:
    if actor.is_admin:
        return True
    if row["approver_user_id"] is not None:
        return row["approver_user_id"] == actor.id
    return row["approver_role"] in actor.roles


def _may_see(session: Session, row: Mapping[Any, Any]) -> bool:
    actor = session.actor
    if actor.is_admin or _is_approver(actor, row) or row["submitted_by"] == actor.id:
        return True
    try:
        session.records.get(row["object"], row["record_id"], fields=["id"])
    except (NotFound, PermissionDenied):
        return False
    return True


def _definition(session: Session, row: Mapping[Any, Any]) -> tuple[Workflow, Transition]:
    workflow = workflow_for(session.compiled, row["object"])
    transition = workflow.transitions.get(row["transition"]) if workflow else None
    if workflow is None or transition is None or transition.approval is None:
        raise Conflict(f"the workflow no longer has transition {row['transition']!r} to approve")
    return workflow, transition


def _finish(
    session: Session,
    workflow: Workflow,
    transition: Transition,
    row: Mapping[Any, Any],
    record: dict[str, Any],
    approve: bool,
    comment: str | None,
) -> None:
    if approve:
        move = InProgress(
            workflow, transition, record["id"], row["pending_state"], comment, APPROVED, row["id"]
        )
        apply_move(session, row["object"], record["id"], move, {workflow.field: transition.to})
        return
    approval = cast(Approval, transition.approval)  # _definition checked it
    on_reject = workflow.transitions.get(approval.on_reject or "")
    target = on_reject.to if on_reject else row["from_state"]
    move = InProgress(
        workflow,
        on_reject,
        record["id"],
        row["pending_state"],
        comment,
        REJECTED,
        row["id"],
        name=None if on_reject else "rejected",
    )
    apply_move(session, row["object"], record["id"], move, {workflow.field: target})


def _with_steps(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return rows
    steps: dict[int, list[dict[str, Any]]] = {}
    query = (
        sa.select(STEP).where(STEP.c.approval_id.in_([r["id"] for r in rows])).order_by(STEP.c.id)
    )
    for step in session.conn.execute(query).mappings():
        steps.setdefault(step["approval_id"], []).append(
            {k: step[k] for k in ("level", "decision", "actor_id", "comment", "at")}
        )
    for row in rows:
        row["steps"] = steps.get(row["id"], [])
    return rows

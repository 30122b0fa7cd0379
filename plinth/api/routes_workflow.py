"""Workflows over HTTP: transitions, the timeline, approvals and SLA clocks."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, request

from plinth.api.auth import api_session
from plinth.api.jsonio import BadRequest, QueryInvalid, optional_body
from plinth.api.record_responses import expected_version, with_etag
from plinth.api.responses import int_arg, listing
from plinth.errors import ValidationError
from plinth.runtime import system_tables as st
from plinth.workflow import approvals, sla_tracking, timeline
from plinth.workflow.sla_clocks import public
from plinth.workflow.transitions import available_on, fire, require_workflow

RECORD = "/records/<object_name>/<record_id>"


def register(api: Blueprint) -> None:
    api.add_url_rule(f"{RECORD}/transitions", view_func=transitions, methods=["GET"])
    api.add_url_rule(f"{RECORD}/transitions/<name>", view_func=fire_transition, methods=["POST"])
    api.add_url_rule(f"{RECORD}/timeline", view_func=record_timeline, methods=["GET"])
    api.add_url_rule(f"{RECORD}/approvals", view_func=record_approvals, methods=["GET"])
    api.add_url_rule(f"{RECORD}/sla", view_func=record_sla, methods=["GET"])
    api.add_url_rule("/approvals", view_func=my_approvals, methods=["GET"])
    api.add_url_rule("/approvals/<id:approval_id>", view_func=one_approval, methods=["GET"])
    api.add_url_rule("/approvals/<id:approval_id>/approve", view_func=approve, methods=["POST"])
    api.add_url_rule("/approvals/<id:approval_id>/reject", view_func=reject, methods=["POST"])
    api.add_url_rule("/sla/breaches", view_func=breaches, methods=["GET"])


def transitions(object_name: str, record_id: str):
    with api_session() as s:
        return listing(available_on(s, object_name, record_id))


def fire_transition(object_name: str, record_id: str, name: str):
    body = optional_body(("comment", "values"))
    comment = _comment(body)
    with api_session() as s:
        record = fire(
            s, object_name, record_id, name, body.get("values"), comment, expected_version()
        )
        if "version" in record:
            record["_transitions"] = available_on(s, object_name, record["id"])
        return with_etag(record)


def record_timeline(object_name: str, record_id: str):
    with api_session() as s:
        require_workflow(s, object_name)
        record = s.records.get(object_name, record_id, fields=["id"])
        entries = timeline.timeline(s.conn, object_name, record["id"], s.tenant.clock())
        return listing(entries, time_in_states=timeline.time_in_states(entries))


def record_approvals(object_name: str, record_id: str):
    with api_session() as s:
        return listing(approvals.for_record(s, object_name, record_id))


def record_sla(object_name: str, record_id: str):
    with api_session() as s:
        return listing(sla_tracking.record_clocks(s, object_name, record_id))


def my_approvals():
    with api_session() as s:
        return listing(approvals.waiting_for(s, int_arg("limit", 100, high=500)))


def one_approval(approval_id: int):
    with api_session() as s:
        return approvals.approval_detail(s, approval_id)


def approve(approval_id: int):
    return _decide(approval_id, True)


def reject(approval_id: int):
    return _decide(approval_id, False)


def _decide(approval_id: int, approve_it: bool):
    comment = _comment(optional_body(("comment",)))
    with api_session() as s:
        return approvals.decide(s, approval_id, approve_it, comment)


def _comment(body: dict) -> str | None:
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 4000):
        raise ValidationError.single("comment", "must be text of at most 4000 characters")
    return comment


def breaches():
    """Clocks of one object that breached in a period: ``?object=&from=&to=`` (ISO dates or
    instants), newest breach first, paged."""
    object_name = request.args.get("object")
    if not object_name:
        raise BadRequest("object is required")
    start, end = _instant_arg("from"), _instant_arg("to")
    limit = int_arg("limit", 100, high=1000)
    cursor = int_arg("cursor", None, high=2**62)
    with api_session() as s:
        query = sla_tracking.breached_between(s, object_name, start, end)
        C = st.sla_clock
        for arg in ("policy", "target"):
            if request.args.get(arg):
                query = query.where(C.c[arg] == request.args[arg])
        if cursor is not None:
            query = query.where(C.c.id < cursor)
        rows = s.conn.execute(query.order_by(C.c.id.desc()).limit(limit + 1)).mappings().all()
        more = len(rows) > limit
        data = [{"id": r["id"], "record_id": r["record_id"], **public(r)} for r in rows[:limit]]
        return listing(data, str(data[-1]["id"]) if more and data else None)


def _instant_arg(name: str) -> dt.datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        # In UTC here: 9999-12-31T23:59-14:00 has no UTC instant (OverflowError).
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise QueryInvalid({name: ["must be an ISO 8601 date or instant"]}) from None

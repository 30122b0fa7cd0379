"""Workflows over HTTP: transitions, the timeline, approvals and SLA clocks."""

from __future__ import annotations

from flask import Blueprint, Response

from plinth.api.contract import answer, listed, load_body, load_query
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.openapi.parts import listing_of
from plinth.api.queries import page_query
from plinth.api.record_responses import expected_version, with_etag
from plinth.auth.web_session import request_session
from plinth.schemas import Query, QueryInstant, QueryInt, QueryText
from plinth.workflow import approvals, sla_tracking, timeline
from plinth.workflow.schemas import (
    Approval,
    Decision,
    FireRequest,
    SlaBreach,
    SlaClock,
    TimelineEntry,
    TransitionOption,
)
from plinth.workflow.transitions import available_on, fire, require_workflow

RECORD = "/records/<object_name>/<record_id>"
NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}


class ApprovalQuery(Query):
    limit = QueryInt(1, 500, load_default=100, metadata={"description": "at most this many"})


BreachQuery = page_query(
    100,
    1000,
    object=QueryText(required=True, metadata={"pattern": NAME["pattern"]}),
    policy=QueryText(),
    target=QueryText(),
    **{
        "from": QueryInstant(metadata={"description": "ISO 8601 date or instant (inclusive)"}),
        "to": QueryInstant(metadata={"description": "ISO 8601 date or instant (exclusive)"}),
    },
)


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def transitions(object_name: str, record_id: str) -> Response:
    with request_session() as s:
        return listed(TransitionOption, available_on(s, object_name, record_id))


def fire_transition(object_name: str, record_id: str, name: str) -> Response:
    body = load_body(FireRequest, required=False)
    with request_session() as s:
        record = fire(
            s,
            object_name,
            record_id,
            name,
            body.get("values"),
            body.get("comment"),
            expected_version(),
            body.get("occurred_at"),
        )
        if "version" in record:
            record["_transitions"] = available_on(s, object_name, record["id"])
        return with_etag(record)


def record_timeline(object_name: str, record_id: str) -> Response:
    with request_session() as s:
        require_workflow(s, object_name)
        record = s.records.get(object_name, record_id, fields=["id"])
        entries = timeline.timeline(s.conn, object_name, record["id"], s.tenant.clock())
        return listed(TimelineEntry, entries, time_in_states=timeline.time_in_states(entries))


def record_approvals(object_name: str, record_id: str) -> Response:
    with request_session() as s:
        return listed(Approval, approvals.for_record(s, object_name, record_id))


def record_sla(object_name: str, record_id: str) -> Response:
    with request_session() as s:
        return listed(SlaClock, sla_tracking.record_clocks(s, object_name, record_id))


def my_approvals() -> Response:
    with request_session() as s:
        limit = load_query(ApprovalQuery)["limit"]
        return listed(Approval, approvals.waiting_for(s, limit))


def one_approval(approval_id: int) -> Response:
    with request_session() as s:
        return answer(Approval, approvals.approval_detail(s, approval_id))


def approve(approval_id: int) -> Response:
    return _decide(approval_id, True)


def reject(approval_id: int) -> Response:
    return _decide(approval_id, False)


def _decide(approval_id: int, approve_it: bool) -> Response:
    comment = load_body(Decision, required=False).get("comment")
    with request_session() as s:
        return answer(Approval, approvals.decide(s, approval_id, approve_it, comment))


def breaches() -> Response:
    """Clocks of one object that breached in a period: ``?object=&from=&to=`` (ISO dates or
    instants), newest breach first, paged."""
    args = load_query(BreachQuery)
    with request_session() as s:
        page = sla_tracking.breaches_page(
            s,
            args["object"],
            args.get("from"),
            args.get("to"),
            args["limit"],
            args.get("cursor"),
            policy=args.get("policy"),
            target=args.get("target"),
        )
        return listed(SlaBreach, *page)


TAG = "workflow"
APPROVAL = {"approval_id": {"type": "integer", "minimum": 1}}
ENDPOINTS = (
    # documented per object with a workflow or SLA policy (workflow_paths.py)
    Endpoint(f"{RECORD}/transitions", "GET", transitions, documented=False),
    Endpoint(f"{RECORD}/transitions/<name>", "POST", fire_transition, documented=False),
    Endpoint(f"{RECORD}/timeline", "GET", record_timeline, documented=False),
    Endpoint(f"{RECORD}/approvals", "GET", record_approvals, documented=False),
    Endpoint(f"{RECORD}/sla", "GET", record_sla, documented=False),
    # the same for every object
    Endpoint("/approvals", "GET", my_approvals, "Pending approvals the caller may decide", TAG,
             query=ApprovalQuery, reply=listing_of(Approval, paged=False)),
    Endpoint("/approvals/<id:approval_id>", "GET", one_approval, "One approval with its steps",
             TAG, reply=Approval, params=APPROVAL),
    Endpoint("/approvals/<id:approval_id>/approve", "POST", approve, "Approve the current level",
             TAG, body=Decision, body_required=False, reply=Approval, params=APPROVAL),
    Endpoint("/approvals/<id:approval_id>/reject", "POST", reject,
             "Reject (a comment is required)", TAG, body=Decision, reply=Approval,
             params=APPROVAL),
    Endpoint("/sla/breaches", "GET", breaches,
             "SLA clocks of an object that breached in a period, newest first", TAG,
             query=BreachQuery, reply=listing_of(SlaBreach)),
)  # fmt: skip

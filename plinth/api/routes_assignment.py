"""Assignment over HTTP: run rules on a record, its assignment log, pools and claims."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from plinth.api.contract import answer, listed, load_body, load_query
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.queries import page_query
from plinth.api.responses import listing
from plinth.auth.web_session import request_session
from plinth.errors import NotFound
from plinth.json_props import id_from_text
from plinth.rules.assignment import engine as assignment
from plinth.rules.assignment import log, pools
from plinth.rules.assignment.schemas import Assignment, AssignRequest, AssignResult

RECORD = "/records/<object_name>/<record_id>"
PoolQuery = page_query(50, 500)


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def assign(object_name: str, record_id: str) -> Response:
    body = load_body(AssignRequest, required=False)
    with request_session() as s:
        result = assignment.assign(
            s, object_name, record_id, body.get("rule"), body.get("dry_run", False)
        )
        return answer(AssignResult, result)


def assignments(object_name: str, record_id: str) -> Response:
    with request_session() as s:
        return listed(Assignment, log.for_record(s, object_name, record_id))


def claim(object_name: str, record_id: str) -> dict[str, Any]:
    with request_session() as s:
        number = id_from_text(record_id)  # pools.claim takes any int(): 2^64 failed in SQL
        if number is None:
            raise NotFound(f"no {object_name} with id {record_id!r}")
        return pools.claim(s, object_name, number)


def pool(object_name: str) -> Response:
    args = load_query(PoolQuery)
    with request_session() as s:
        # each item holds a record of the object: shaped by the record service, not a schema
        return listing(*pools.open_for(s, object_name, args["limit"], args.get("cursor")))


# Documented per object with assignment rules (assignment_paths.py).
ENDPOINTS = (
    Endpoint(f"{RECORD}/assign", "POST", assign, documented=False),
    Endpoint(f"{RECORD}/assignments", "GET", assignments, documented=False),
    Endpoint(f"{RECORD}/claim", "POST", claim, documented=False),
    Endpoint("/pool/<object_name>", "GET", pool, documented=False),
)

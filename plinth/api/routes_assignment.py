"""Assignment over HTTP: run rules on a record, its assignment log, pools and claims."""

from __future__ import annotations

from flask import Blueprint

from plinth.api.auth import api_session
from plinth.api.jsonio import optional_body
from plinth.api.responses import int_arg, listing
from plinth.errors import NotFound, ValidationError
from plinth.json_props import id_from_text
from plinth.rules.assignment import engine as assignment
from plinth.rules.assignment import log, pools

RECORD = "/records/<object_name>/<record_id>"


def register(api: Blueprint) -> None:
    api.add_url_rule(f"{RECORD}/assign", view_func=assign, methods=["POST"])
    api.add_url_rule(f"{RECORD}/assignments", view_func=assignments, methods=["GET"])
    api.add_url_rule(f"{RECORD}/claim", view_func=claim, methods=["POST"])
    api.add_url_rule("/pool/<object_name>", view_func=pool, methods=["GET"])


def assign(object_name: str, record_id: str):
    body = optional_body(("rule", "dry_run"))
    rule, dry_run = body.get("rule"), body.get("dry_run", False)
    if rule is not None and not isinstance(rule, str):
        raise ValidationError.single("rule", "must be the name of an assignment rule")
    if not isinstance(dry_run, bool):
        raise ValidationError.single("dry_run", "must be true or false")
    with api_session() as s:
        return assignment.assign(s, object_name, record_id, rule, dry_run)


def assignments(object_name: str, record_id: str):
    with api_session() as s:
        return listing(log.for_record(s, object_name, record_id))


def claim(object_name: str, record_id: str):
    with api_session() as s:
        number = id_from_text(record_id)  # pools.claim takes any int(): 2^64 failed in SQL
        if number is None:
            raise NotFound(f"no {object_name} with id {record_id!r}")
        return pools.claim(s, object_name, number)


def pool(object_name: str):
    limit = int_arg("limit", 50, high=500)
    after = int_arg("cursor", None, high=2**62)
    with api_session() as s:
        data, cursor = pools.open_for(s, object_name, limit, after)
        return listing(data, cursor)

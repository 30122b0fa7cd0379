"""Records over HTTP: list, create, read, update, delete, history and bulk."""

from __future__ import annotations

from flask import Blueprint, Response, request

from plinth.api.jsonio import QueryInvalid, json_body
from plinth.api.record_responses import etag, expected_version, with_etag
from plinth.api.responses import int_arg, listing
from plinth.auth.web_session import request_session
from plinth.errors import ValidationError
from plinth.runtime.bulk import bulk_write
from plinth.runtime.query import parse_list_args
from plinth.services.id_paging import page_of
from plinth.workflow.definitions import workflow_for
from plinth.workflow.transitions import available_on


def register(api: Blueprint) -> None:
    api.add_url_rule("/records/<object_name>", view_func=list_records, methods=["GET"])
    api.add_url_rule("/records/<object_name>", view_func=create_record, methods=["POST"])
    api.add_url_rule("/records/<object_name>/bulk", view_func=bulk, methods=["POST"])
    api.add_url_rule("/records/<object_name>/<record_id>", view_func=get_record, methods=["GET"])
    api.add_url_rule(
        "/records/<object_name>/<record_id>", view_func=patch_record, methods=["PATCH"]
    )
    api.add_url_rule(
        "/records/<object_name>/<record_id>", view_func=delete_record, methods=["DELETE"]
    )
    api.add_url_rule(
        "/records/<object_name>/<record_id>/history", view_func=history, methods=["GET"]
    )


def _list_args() -> dict[str, list[str]]:
    return {key: request.args.getlist(key) for key in request.args}


def _csv_arg(name: str) -> list[str] | None:
    raw = request.args.get(name)
    return [p.strip() for p in raw.split(",") if p.strip()] if raw is not None else None


def list_records(object_name: str) -> Response:
    with request_session() as s:
        s.compiled.object(object_name)  # 404 for an unknown object before parsing filters
        try:
            query = parse_list_args(_list_args())
            page = s.records.list(object_name, query)
        except ValidationError as exc:
            raise QueryInvalid(exc.errors) from None
        return listing(page.data, page.next_cursor)


def create_record(object_name: str) -> Response:
    with request_session() as s:
        s.compiled.object(object_name)
        record = s.records.create(object_name, json_body())
        response = with_etag(record, 201)
        response.headers["Location"] = f"/api/v1/records/{object_name}/{record['id']}"
        return response


def get_record(object_name: str, record_id: str) -> Response:
    unknown = sorted(set(request.args) - {"fields", "expand"})
    if unknown:
        raise QueryInvalid({k: ["unknown query parameter"] for k in unknown})
    with request_session() as s:
        fields = _csv_arg("fields")
        if fields is not None and "version" not in fields:
            fields.append("version")
        try:
            record = s.records.get(object_name, record_id, fields, _csv_arg("expand") or ())
        except ValidationError as exc:
            raise QueryInvalid(exc.errors) from None
        if request.headers.get("If-None-Match") == etag(record):
            return Response(status=304, headers={"ETag": etag(record)})
        if workflow_for(s.compiled, object_name) is not None:
            record["_transitions"] = available_on(s, object_name, record["id"])
        return with_etag(record)


def patch_record(object_name: str, record_id: str) -> Response:
    with request_session() as s:
        s.compiled.object(object_name)
        expected = expected_version()
        record = s.records.update(object_name, record_id, json_body(), expected)
        return with_etag(record)


def delete_record(object_name: str, record_id: str) -> tuple[str, int]:
    with request_session() as s:
        s.records.delete(object_name, record_id, expected_version())
    return "", 204


def history(object_name: str, record_id: str) -> Response:
    with request_session() as s:
        limit = int_arg("limit", 100)
        before = int_arg("cursor", None, high=2**62)
        entries = s.records.history(object_name, record_id, limit + 1, before)
        return listing(*page_of(entries, limit))


def bulk(object_name: str) -> Response:
    with request_session() as s:
        s.compiled.object(object_name)
        outcomes, ok = bulk_write(s, object_name, json_body())
        results = [o.as_dict() for o in outcomes]
        if not ok:
            errors = {
                f"records/{o.index}/{field}": messages
                for o in outcomes
                if o.errors
                for field, messages in o.errors.items()
            }
            # Raising rolls the transaction back: nothing of the batch is kept.
            failure = ValidationError(errors, detail=f"{len(errors)} problem(s); nothing was saved")
            failure.extra["results"] = results
            raise failure
        statuses = {
            "created": "created",
            "updated": "updated",
            "unchanged": "unchanged",
            "error": "failed",
        }
        counts = {
            key: sum(1 for r in results if r["status"] == status)
            for status, key in statuses.items()
        }
        return listing(results, **counts)

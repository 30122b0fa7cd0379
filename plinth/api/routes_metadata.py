"""Metadata over HTTP: list, read, create, replace and delete documents; revisions.

Only administrators change metadata. A POST/PUT of an object syncs the schema before it
answers; a destructive change answers 409 with what would be lost unless the request says
``?confirm_destructive=true``; ``?dry_run=true`` shows the plan without changing anything.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from plinth.api.auth import api_session, require_admin
from plinth.api.jsonio import json_body
from plinth.api.responses import bool_arg, int_arg, listing
from plinth.errors import Conflict, NotFound, PermissionDenied, ValidationError
from plinth.extension import current_tenant
from plinth.metadata import store
from plinth.metadata.kinds import KINDS
from plinth.metadata.publisher import Publisher, Put, Remove
from plinth.metadata.visibility import visible_documents
from plinth.runtime.session import Session

READABLE_BY_USERS = frozenset({"objects", "layouts"})


def register(api: Blueprint) -> None:
    api.add_url_rule("/metadata/revisions", view_func=revisions, methods=["GET"])
    api.add_url_rule("/metadata/revisions/<id:revision_id>", view_func=revision, methods=["GET"])
    api.add_url_rule("/metadata/<kind>", view_func=list_documents, methods=["GET"])
    api.add_url_rule("/metadata/<kind>", view_func=create_document, methods=["POST"])
    api.add_url_rule("/metadata/<kind>/<name>", view_func=get_document, methods=["GET"])
    api.add_url_rule("/metadata/<kind>/<name>", view_func=put_document, methods=["PUT"])
    api.add_url_rule("/metadata/<kind>/<name>", view_func=delete_document, methods=["DELETE"])


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"unknown metadata kind {kind!r}; kinds: {', '.join(KINDS)}")
    return kind


def _documents(s: Session, kind: str) -> dict:
    if s.actor.is_admin:
        return dict(s.compiled.docs(kind))
    if kind not in READABLE_BY_USERS:
        raise PermissionDenied(f"only administrators may read {kind}")
    return visible_documents(s, kind)


def list_documents(kind: str):
    kind = _kind(kind)
    with api_session() as s:
        documents = _documents(s, kind)
        return listing([documents[name] for name in sorted(documents)])


def get_document(kind: str, name: str):
    kind = _kind(kind)
    with api_session() as s:
        document = _documents(s, kind).get(name)
        if document is None:
            raise NotFound(f"no {kind} named {name!r}")
        headers = {"X-Plinth-Revision": str(s.compiled.revision_id)}
        pack = s.compiled.packs.get((kind, name))
        if pack:
            headers["X-Plinth-Pack"] = pack
        return jsonify(document), 200, headers


def _publish(actor, operations, status: int, location: str | None = None):
    """Publish in the publisher's own locked transaction, after the request's has ended:
    DDL must never wait for locks held by the very request that asked for it."""
    result = Publisher(current_tenant()).publish(
        operations,
        actor,
        message=request.args.get("message", "")[:500],
        confirm_destructive=bool_arg("confirm_destructive"),
        dry_run=bool_arg("dry_run"),
    )
    if result.dry_run:
        return jsonify(result.as_dict()), 200
    headers = {}
    if result.revision_id:
        headers["X-Plinth-Revision"] = str(result.revision_id)
    if location:
        headers["Location"] = location
    if isinstance(operations[0], Remove):
        return "", 204, headers
    return jsonify(operations[0].document), status, headers


def create_document(kind: str):
    kind = _kind(kind)
    with api_session(write=False) as s:
        require_admin(s)
        body = json_body()
        name = body.get("name")
        if isinstance(name, str) and name in s.compiled.docs(kind):
            raise Conflict(f"{kind}/{name} already exists; use PUT to replace it")
        actor = s.actor
    return _publish(actor, [Put(kind, body)], 201, f"/api/v1/metadata/{kind}/{name}")


def put_document(kind: str, name: str):
    kind = _kind(kind)
    with api_session(write=False) as s:
        require_admin(s)
        body = json_body()
        body.setdefault("name", name)
        if body["name"] != name:
            raise ValidationError.single("/name", f"must be {name!r}, as in the URL")
        exists = name in s.compiled.docs(kind)
        actor = s.actor
    location = None if exists else f"/api/v1/metadata/{kind}/{name}"
    return _publish(actor, [Put(kind, body)], 200 if exists else 201, location)


def delete_document(kind: str, name: str):
    kind = _kind(kind)
    with api_session(write=False) as s:
        require_admin(s)
        if name not in s.compiled.docs(kind):
            raise NotFound(f"no {kind} named {name!r}")
        actor = s.actor
    return _publish(actor, [Remove(kind, name)], 204)


def revisions():
    with api_session() as s:
        require_admin(s)
        limit = int_arg("limit", 50, high=500)
        before = int_arg("cursor", None, high=2**62)
        rows = store.list_revisions(s.conn, limit + 1, before)
        more = len(rows) > limit
        rows = rows[:limit]
        return listing(rows, str(rows[-1]["id"]) if more and rows else None)


def revision(revision_id: int):
    with api_session() as s:
        require_admin(s)
        return jsonify(store.get_revision(s.conn, revision_id))

"""Metadata over HTTP: list, read, create, replace and delete documents; revisions.

Only administrators change metadata. A POST/PUT of an object syncs the schema before it
answers; a destructive change answers 409 with what would be lost unless the request says
``?confirm_destructive=true``; ``?dry_run=true`` shows the plan without changing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue

from plinth.api.contract import answer, listed, load_query
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.jsonio import json_body
from plinth.api.openapi.parts import listing_of
from plinth.api.queries import page_query
from plinth.api.responses import listing
from plinth.auth.actor import Actor
from plinth.auth.web_session import request_session, require_admin
from plinth.errors import Conflict, NotFound, PermissionDenied, ValidationError
from plinth.extension import current_tenant
from plinth.metadata import store
from plinth.metadata.kinds import KINDS
from plinth.metadata.publisher import Publisher, Put, Remove
from plinth.metadata.store import Revision, RevisionSummary
from plinth.metadata.visibility import visible_documents
from plinth.runtime.session import Session
from plinth.schemas import Query, QueryFlag, QueryText
from plinth.tenant import as_context

READABLE_BY_USERS = frozenset({"objects", "layouts"})
RevisionQuery = page_query(50, 500)


class PublishQuery(Query):
    confirm_destructive = QueryFlag(metadata={"description": "allow changes that archive data"})
    dry_run = QueryFlag(metadata={"description": "show the plan without changing anything"})
    message = QueryText(
        metadata={"maxLength": 500, "description": "the revision's message (500 characters)"}
    )


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise NotFound(f"unknown metadata kind {kind!r}; kinds: {', '.join(KINDS)}")
    return kind


def _documents(s: Session, kind: str) -> dict[str, Any]:
    if s.actor.is_admin:
        return dict(s.compiled.docs(kind))
    if kind not in READABLE_BY_USERS:
        raise PermissionDenied(f"only administrators may read {kind}")
    return visible_documents(s, kind)


def list_documents(kind: str) -> Response:
    kind = _kind(kind)
    with request_session() as s:
        documents = _documents(s, kind)
        return listing([documents[name] for name in sorted(documents)])


def get_document(kind: str, name: str) -> tuple[Response, int, dict[str, str]]:
    kind = _kind(kind)
    with request_session() as s:
        document = _documents(s, kind).get(name)
        if document is None:
            raise NotFound(f"no {kind} named {name!r}")
        headers = {"X-Plinth-Revision": str(s.compiled.revision_id)}
        pack = s.compiled.packs.get((kind, name))
        if pack:
            headers["X-Plinth-Pack"] = pack
        return jsonify(document), 200, headers


def _publish(
    actor: Actor, operations: Sequence[Put | Remove], status: int, location: str | None = None
) -> ResponseReturnValue:
    """Publish in the publisher's own locked transaction, after the request's has ended:
    DDL must never wait for locks held by the very request that asked for it."""
    args = load_query(PublishQuery)
    result = Publisher(as_context(current_tenant())).publish(
        operations,
        actor,
        message=args.get("message", "")[:500],
        confirm_destructive=args.get("confirm_destructive", False),
        dry_run=args.get("dry_run", False),
    )
    if result.dry_run:
        return jsonify(result.as_dict()), 200
    headers: dict[str, str] = {}
    if result.revision_id:
        headers["X-Plinth-Revision"] = str(result.revision_id)
    if location:
        headers["Location"] = location
    if isinstance(operations[0], Remove):
        return "", 204, headers
    return jsonify(operations[0].document), status, headers


def create_document(kind: str) -> ResponseReturnValue:
    kind = _kind(kind)
    with request_session(write=False) as s:
        require_admin(s)
        body = json_body()
        name = body.get("name")
        if isinstance(name, str) and name in s.compiled.docs(kind):
            raise Conflict(f"{kind}/{name} already exists; use PUT to replace it")
        actor = s.actor
    return _publish(actor, [Put(kind, body)], 201, f"/api/v1/metadata/{kind}/{name}")


def put_document(kind: str, name: str) -> ResponseReturnValue:
    kind = _kind(kind)
    with request_session(write=False) as s:
        require_admin(s)
        body = json_body()
        body.setdefault("name", name)
        if body["name"] != name:
            raise ValidationError.single("/name", f"must be {name!r}, as in the URL")
        exists = name in s.compiled.docs(kind)
        actor = s.actor
    location = None if exists else f"/api/v1/metadata/{kind}/{name}"
    return _publish(actor, [Put(kind, body)], 200 if exists else 201, location)


def delete_document(kind: str, name: str) -> ResponseReturnValue:
    kind = _kind(kind)
    with request_session(write=False) as s:
        require_admin(s)
        if name not in s.compiled.docs(kind):
            raise NotFound(f"no {kind} named {name!r}")
        actor = s.actor
    return _publish(actor, [Remove(kind, name)], 204)


def revisions() -> Response:
    with request_session() as s:
        require_admin(s)
        args = load_query(RevisionQuery)
        return listed(
            RevisionSummary, *store.revisions_page(s.conn, args["limit"], args.get("cursor"))
        )


def revision(revision_id: int) -> Response:
    with request_session() as s:
        require_admin(s)
        return answer(Revision, store.get_revision(s.conn, revision_id))


TAG = "metadata"
DOCUMENT = {"type": "object", "description": "A metadata document of the kind"}
KIND: dict[str, dict[str, Any]] = {"kind": {"type": "string", "enum": list(KINDS)}}
NAMED: dict[str, dict[str, Any]] = {
    **KIND,
    "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
}
CREATED = {"201": {"description": "Created", "content": {"application/json": {"schema": DOCUMENT}}}}
ENDPOINTS = (
    Endpoint("/metadata/revisions", "GET", revisions, "Metadata revisions, newest first (admin)",
             TAG, query=RevisionQuery, reply=listing_of(RevisionSummary)),
    Endpoint("/metadata/revisions/<id:revision_id>", "GET", revision,
             "One revision with the diff of each change (admin)", TAG, reply=Revision),
    Endpoint("/metadata/<kind>", "GET", list_documents, "Documents of a kind", TAG,
             reply=listing_of(DOCUMENT, paged=False), params=KIND),
    Endpoint("/metadata/<kind>", "POST", create_document,
             "Create a document (admin); objects sync the schema first", TAG,
             query=PublishQuery, body=DOCUMENT, reply=DOCUMENT, status=201, params=KIND),
    Endpoint("/metadata/<kind>/<name>", "GET", get_document, "One document", TAG,
             reply=DOCUMENT, params=NAMED),
    Endpoint("/metadata/<kind>/<name>", "PUT", put_document,
             "Create or replace a document (admin)", TAG,
             query=PublishQuery, body=DOCUMENT, reply=DOCUMENT, params=NAMED, responses=CREATED),
    Endpoint("/metadata/<kind>/<name>", "DELETE", delete_document, "Delete a document (admin)",
             TAG, query=PublishQuery, params=NAMED),
)  # fmt: skip

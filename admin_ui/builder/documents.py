"""Validation rules, automations, SLA policies, assignment rules, calendars and roles: a
list and a form generated from each kind's JSON Schema. A save is published at once when
it changes nothing in the database (else reviewed first); its problems, sandbox errors of
expressions with their line included, show on the inputs they belong to."""

from __future__ import annotations

import copy

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.kinds import DOCUMENT_KINDS, choices_from
from admin_ui.builder.review import refused_page, review_page
from admin_ui.builder.schema_form import SchemaForm, editor_widgets
from plinth.metadata.kinds import schema
from plinth.metadata.publisher import Put, Remove


def _kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        abort(404)
    return kind


def document_rows(s, kind: str) -> list[tuple[dict, str | None]]:
    """Each document of a kind with the pack it belongs to, by name."""
    documents = s.compiled.docs(kind)
    return [(documents[name], s.compiled.packs.get((kind, name))) for name in sorted(documents)]


def current_document(s, kind: str, name: str | None) -> dict | None:
    """A copy of the stored document (404 when a named one does not exist)."""
    if name is None:
        return None
    document = s.compiled.docs(kind).get(name)
    if document is None:
        abort(404)
    return copy.deepcopy(dict(document))


def name_taken(name: str | None, document: dict, taken) -> dict[str, list[str]]:
    """A new document (``name`` None) may not take a name in ``taken``: it would replace it."""
    if name is None and document.get("name") in taken:
        return {"/name": [_("already exists; open it to change it")]}
    return {}


def save(actor, kind: str, name: str | None, document: dict, back: str, taken=()):
    """Publish (reviewed when the database changes); returns (errors, response or None)."""
    refused = name_taken(name, document, taken)
    if refused:
        return refused, None
    title = _("Change %(kind)s %(name)s", kind=kind, name=document.get("name", "?"))
    outcome, page = review_page(actor, [Put(kind, document)], back, title, always=False)
    if page is not None:
        return {}, page
    return outcome.errors or {"/": [outcome.refusal]}, None


@builder.get("/kinds/<kind>")
def document_list(kind: str):
    kind = _kind(kind)
    with admin_session() as s:
        rows = document_rows(s, kind)
        return document_list_page(kind, rows, "builder.document_edit", "builder.document_remove")


def document_list_page(kind: str, rows: list, edit: str, remove_: str):
    """The list of a kind's documents, linking to ``edit`` and ``remove_`` endpoints."""
    extra = {"kind": kind} if kind in DOCUMENT_KINDS else {}
    urls = {
        "new": url_for(edit, **extra),
        "edit": lambda name: url_for(edit, name=name, **extra),
        "remove": lambda name: url_for(remove_, name=name, **extra),
    }
    return render_template("admin/documents.html", kind=kind, rows=rows, urls=urls)


@builder.route("/kinds/<kind>/new", methods=["GET", "POST"])
@builder.route("/kinds/<kind>/<name>", methods=["GET", "POST"])
def document_edit(kind: str, name: str | None = None):
    kind = _kind(kind)
    with admin_session(write=False) as s:
        current = current_document(s, kind, name)
        form = SchemaForm(schema(kind), choices=choices_from(s.compiled))
        pack = s.compiled.packs.get((kind, name)) if name else None
        actor, taken = s.actor, set(s.compiled.docs(kind))
    errors: dict = {}
    document = current or {}
    if request.method == "POST":
        document, errors = form.read(request.form)
        if name:
            document["name"] = name
        if not errors:
            back = url_for("builder.document_edit", kind=kind, name=document.get("name", "_"))
            errors, page = save(actor, kind, name, document, back, taken)
            if page is not None:
                return page
    widgets, stray = editor_widgets(form, document, errors, editing=bool(name))
    page = render_template(
        "admin/document.html", kind=kind, name=name, widgets=widgets, stray=stray, pack=pack
    )
    return page, 422 if errors else 200


@builder.post("/kinds/<kind>/<name>/remove")
def document_remove(kind: str, name: str):
    kind = _kind(kind)
    return remove(kind, name, url_for("builder.document_list", kind=kind))


def remove(kind: str, name: str, back: str):
    """Review the removal of a document (refused when others still use it)."""
    with admin_session(write=False) as s:
        current_document(s, kind, name)
        actor = s.actor
    title = _("Remove %(kind)s %(name)s", kind=kind, name=name)
    outcome, page = review_page(actor, [Remove(kind, name)], back, title)
    return page if page is not None else refused_page(outcome, back)

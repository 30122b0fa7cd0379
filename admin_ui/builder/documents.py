"""Validation rules, automations, SLA policies, assignment rules, calendars and roles: a
list and a form generated from each kind's JSON Schema. A save is published at once when
it changes nothing in the database (else reviewed first); its problems, sandbox errors of
expressions with their line included, show on the inputs they belong to."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any, overload

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug import Response

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.kinds import DOCUMENT_KINDS, choices_from
from admin_ui.builder.review import refused_page, review_page
from admin_ui.builder.schema_form import SchemaForm, editor_widgets
from plinth.auth.actor import Actor
from plinth.metadata.kinds import schema
from plinth.metadata.publisher import Put, Remove
from plinth.runtime.session import Session


def _kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        abort(404)
    return kind


def document_rows(s: Session, kind: str) -> list[tuple[Mapping[str, Any], str | None]]:
    """Each document of a kind with the pack it belongs to, by name."""
    documents = s.compiled.docs(kind)
    return [(documents[name], s.compiled.packs.get((kind, name))) for name in sorted(documents)]


@overload
def current_document(s: Session, kind: str, name: str) -> dict[str, Any]: ...
@overload
def current_document(s: Session, kind: str, name: None) -> None: ...
@overload
def current_document(s: Session, kind: str, name: str | None) -> dict[str, Any] | None: ...


def current_document(s: Session, kind: str, name: str | None) -> dict[str, Any] | None:
    """A copy of the stored document (404 when a named one does not exist)."""
    if name is None:
        return None
    document = s.compiled.docs(kind).get(name)
    if document is None:
        abort(404)
    return copy.deepcopy(dict(document))


def name_taken(
    name: str | None, document: Mapping[str, Any], taken: Collection[str]
) -> dict[str, list[str]]:
    """A new document (``name`` None) may not take a name in ``taken``: it would replace it."""
    if name is None and document.get("name") in taken:
        return {"/name": [_("already exists; open it to change it")]}
    return {}


def save(
    actor: Actor,
    kind: str,
    name: str | None,
    document: dict[str, Any],
    back: str,
    taken: Collection[str] = (),
) -> tuple[dict[str, list[str]], str | Response | None]:
    """Publish (reviewed when the database changes); returns (errors, response or None)."""
    refused = name_taken(name, document, taken)
    if refused:
        return refused, None
    title = _("Change %(kind)s %(name)s", kind=kind, name=document.get("name", "?"))
    outcome, page = review_page(actor, [Put(kind, document)], back, title, always=False)
    if page is not None:
        return {}, page
    return outcome.errors or {"/": [outcome.refusal or ""]}, None


@builder.get("/kinds/<kind>")
def document_list(kind: str) -> str:
    kind = _kind(kind)
    with admin_session() as s:
        rows = document_rows(s, kind)
        return document_list_page(kind, rows, "builder.document_edit", "builder.document_remove")


def document_list_page(
    kind: str, rows: list[tuple[Mapping[str, Any], str | None]], edit: str, remove_: str
) -> str:
    """The list of a kind's documents, linking to ``edit`` and ``remove_`` endpoints."""
    extra: dict[str, Any] = {"kind": kind} if kind in DOCUMENT_KINDS else {}
    urls = {
        "new": url_for(edit, **extra),
        "edit": lambda name: url_for(edit, name=name, **extra),
        "remove": lambda name: url_for(remove_, name=name, **extra),
    }
    return render_template("admin/documents.html", kind=kind, rows=rows, urls=urls)


#: (session, the stored document or None) -> template values (the document to edit under
#: ``document``), or a page to answer instead.
Start = Callable[[Session, dict[str, Any] | None], dict[str, Any] | str]
#: (form, name, document) -> (the posted document, problems by pointer)
Read = Callable[
    [SchemaForm, str | None, dict[str, Any]], tuple[dict[str, Any], dict[str, list[str]]]
]


@dataclasses.dataclass(frozen=True)
class Editor:
    """What sets one kind's edit page apart; ``edit_page`` does the rest (the form generated
    from the kind's schema, reading the post, publishing through the review page, errors
    on the inputs they belong to)."""

    kind: str
    endpoint: str  # this page's endpoint: where the review page leads back to
    template: str
    url_values: dict[str, Any] = dataclasses.field(default_factory=dict)  # its other values
    stay: str | None = None  # a button that redraws the page with the post, saving nothing
    start: Start | None = None  # (session, current) -> template values, or a page to answer
    read: Read | None = None  # (form, name, document) -> (document, errors)
    shown: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # what the form shows
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # template values from it


def read_named(
    form: SchemaForm, name: str | None, document: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The posted document; an existing one keeps its name."""
    document, errors = form.read(request.form)
    if name:
        document["name"] = name
    return document, errors


def edit_page(editor: Editor, name: str | None) -> ResponseReturnValue:
    """The edit page of a new (``name`` None) or existing document of ``editor.kind``."""
    kind = editor.kind
    with admin_session(write=False) as s:
        current = current_document(s, kind, name)
        form = SchemaForm(schema(kind), choices=choices_from(s.compiled))
        actor, taken = s.actor, set(s.compiled.docs(kind))
        values: dict[str, Any] = {
            "name": name,
            "pack": s.compiled.packs.get((kind, name)) if name else None,
        }
        document: dict[str, Any] = current or {}
        if editor.start is not None:
            started = editor.start(s, current)
            if not isinstance(started, dict):
                return started  # a page of its own (the layout editor's first step)
            document = started.pop("document", document)
            values.update(started)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        document, errors = (editor.read or read_named)(form, name, document)
        if not errors and not (editor.stay and editor.stay in request.form):
            name_ = document.get("name", "_")
            back = url_for(editor.endpoint, name=name_, **editor.url_values)
            errors, page = save(actor, kind, name, document, back, taken)
            if page is not None:
                return page
    shown = editor.shown(document) if editor.shown else document
    widgets, stray = editor_widgets(form, shown, errors, editing=bool(name))
    if editor.extra is not None:
        values.update(editor.extra(document))
    page = render_template(
        editor.template,
        kind=kind,
        document=document,
        widgets={w.key: w for w in widgets},
        stray=stray,
        **values,
    )
    return page, 422 if errors else 200


@builder.route("/kinds/<kind>/new", methods=["GET", "POST"])
@builder.route("/kinds/<kind>/<name>", methods=["GET", "POST"])
def document_edit(kind: str, name: str | None = None) -> ResponseReturnValue:
    kind = _kind(kind)
    editor = Editor(kind, "builder.document_edit", "admin/document.html", {"kind": kind})
    return edit_page(editor, name)


@builder.post("/kinds/<kind>/<name>/remove")
def document_remove(kind: str, name: str) -> ResponseReturnValue:
    kind = _kind(kind)
    return remove(kind, name, url_for("builder.document_list", kind=kind))


def remove(kind: str, name: str, back: str) -> ResponseReturnValue:
    """Review the removal of a document (refused when others still use it)."""
    with admin_session(write=False) as s:
        current_document(s, kind, name)
        actor = s.actor
    title = _("Remove %(kind)s %(name)s", kind=kind, name=name)
    outcome, page = review_page(actor, [Remove(kind, name)], back, title)
    return page if page is not None else refused_page(outcome, back)

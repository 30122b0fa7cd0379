"""The layout editor: fields dragged into sections (or columns and filters of a list) and
reordered, with a preview of the page as a chosen role sees it.

The form is the layouts schema's own (``SchemaForm``): each section's fields are a list
input that the drag-and-drop keeps in step, so the editor also works from the keyboard
and without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.documents import Editor, document_list_page, document_rows, edit_page
from admin_ui.builder.documents import remove as remove_document
from admin_ui.builder.kinds import choices_from
from admin_ui.builder.schema_form import SchemaForm
from admin_ui.layouts import form_layout, list_layout
from plinth.auth.actor import Actor
from plinth.metadata.kinds import BUILTIN_ROLES, schema
from plinth.runtime.model import ObjectModel
from plinth.runtime.session import Session

KIND = "layouts"
TYPES = ("form", "list")


@builder.get("/layouts")
def layout_list() -> str:
    with admin_session() as s:
        rows = document_rows(s, KIND)
        return document_list_page(KIND, rows, "builder.layout_edit", "builder.layout_remove")


@builder.post("/layouts/<name>/remove")
def layout_remove(name: str) -> ResponseReturnValue:
    return remove_document(KIND, name, url_for("builder.layout_list"))


@builder.route("/layouts/new", methods=["GET", "POST"])
@builder.route("/layouts/<name>", methods=["GET", "POST"])
def layout_edit(name: str | None = None) -> ResponseReturnValue:
    return edit_page(EDITOR, name)


def _start(s: Session, current: dict[str, Any] | None) -> dict[str, Any] | str:
    """The layout's object and type (asked for first when a new one has none yet), the
    object's model and the roles to pick from."""
    objects = sorted(s.compiled.objects)
    document = current or {
        "object": request.values.get("object", ""),
        "type": request.values.get("type", ""),
    }
    if document["object"] not in s.compiled.objects or document["type"] not in TYPES:
        return render_template("admin/layout_start.html", objects=objects, types=TYPES)
    roles = BUILTIN_ROLES | set(s.compiled.docs("roles")) | set(document.get("roles") or ())
    model = s.compiled.objects[document["object"]]
    return {"document": document, "model": model, "roles": sorted(roles)}  # none dropped unseen


def _with_new_section(document: dict[str, Any]) -> dict[str, Any]:
    if "add_section" not in request.form:
        return document
    return {**document, "sections": [*document.get("sections", ()), {"fields": []}]}


def _read(
    form: SchemaForm, name: str | None, started: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    document, errors = form.read(request.form)
    document["object"], document["type"] = started["object"], started["type"]
    picked = request.form.getlist("roles_picked")
    if picked:
        document["roles"] = picked
    else:
        document.pop("roles", None)
    if name:
        document["name"] = name
    return document, errors


EDITOR = Editor(
    KIND,
    "builder.layout_edit",
    "admin/layout.html",
    stay="add_section",
    start=_start,
    read=_read,
    shown=_with_new_section,
    extra=lambda document: {"placed": _placed(document)},
)


def _placed(document: dict[str, Any]) -> set[str]:
    names = set(document.get("columns", ())) | set(document.get("filters", ()))
    for section in document.get("sections", ()):
        names.update(section.get("fields", ()))
    return names


@builder.post("/layouts/preview")
def layout_preview() -> str:
    """The layout being edited, as a user with the chosen role would see it (htmx partial)."""
    role = request.form.get("preview_role") or ""
    with admin_session(write=False) as s:
        form = SchemaForm(schema(KIND), choices=choices_from(s.compiled))
        started = {"object": request.form.get("object", ""), "type": request.form.get("type", "")}
        model = s.compiled.objects.get(started["object"])
        if model is None or started["type"] not in TYPES:
            abort(404)
        if role and role not in s.compiled.docs("roles") and role not in BUILTIN_ROLES:
            abort(404)
        document, _errors = _read(form, None, started)
        document["name"] = document.get("name") or "preview"
        viewer = _viewer(s, role)
        readable = viewer.guard.readable(model)
        used = _layout_for(viewer, model, started["type"])
        template = "admin/_layout_preview.html"
        if not request.headers.get("HX-Request"):
            template = "admin/layout_preview.html"  # the same, as a whole page
        return render_template(
            template, model=model, document=document, role=role, readable=readable, used=used
        )


def _viewer(s: Session, role: str) -> Session:
    """The same transaction seen by a user who has only ``role`` (and no id)."""
    actor = Actor(None, f"preview:{role}", roles=frozenset({role} if role else ()))
    viewer = Session(s.tenant, s.conn, actor)
    viewer.__dict__["compiled"] = s.compiled
    return viewer


def _layout_for(viewer: Session, model: ObjectModel, type_name: str) -> str | None:
    """The name of the published layout that user gets today (None: a derived one)."""
    if type_name == "form":
        return form_layout(viewer, model).name
    return list_layout(viewer, model).name

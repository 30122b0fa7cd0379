"""Workflows in the builder: states and transitions edited in tables (the workflows
schema's own form) and drawn as a diagram of the document being edited."""

from __future__ import annotations

from flask import render_template, request, url_for

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.diagram import draw
from admin_ui.builder.documents import current_document, document_list_page, document_rows, save
from admin_ui.builder.documents import remove as remove_document
from admin_ui.builder.kinds import choices_from
from admin_ui.builder.schema_form import SchemaForm, editor_widgets
from plinth.metadata.kinds import schema

KIND = "workflows"


@builder.get("/workflows")
def workflow_list():
    with admin_session() as s:
        rows = document_rows(s, KIND)
        return document_list_page(KIND, rows, "builder.workflow_edit", "builder.workflow_remove")


@builder.post("/workflows/<name>/remove")
def workflow_remove(name: str):
    return remove_document(KIND, name, url_for("builder.workflow_list"))


@builder.route("/workflows/new", methods=["GET", "POST"])
@builder.route("/workflows/<name>", methods=["GET", "POST"])
def workflow_edit(name: str | None = None):
    with admin_session(write=False) as s:
        current = current_document(s, KIND, name)
        form = SchemaForm(schema(KIND), choices=choices_from(s.compiled))
        actor, taken = s.actor, set(s.compiled.docs(KIND))
    errors: dict = {}
    document = current or {}
    if request.method == "POST":
        document, errors = form.read(request.form)
        if name:
            document["name"] = name
        if not errors and "redraw" not in request.form:
            back = url_for("builder.workflow_edit", name=document.get("name", "_"))
            errors, page = save(actor, KIND, name, document, back, taken)
            if page is not None:
                return page
    widgets, stray = editor_widgets(form, document, errors, editing=bool(name))
    page = render_template(
        "admin/workflow.html",
        name=name,
        widgets={w.key: w for w in widgets},
        stray=stray,
        diagram=draw(document),
    )
    return page, 422 if errors else 200

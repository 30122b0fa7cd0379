"""Workflows in the builder: states and transitions edited in tables (the workflows
schema's own form) and drawn as a diagram of the document being edited."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.diagram import draw
from admin_ui.builder.documents import Editor, document_list_page, document_rows, edit_page
from admin_ui.builder.documents import remove as remove_document

KIND = "workflows"


@builder.get("/workflows")
def workflow_list() -> str:
    with admin_session() as s:
        rows = document_rows(s, KIND)
        return document_list_page(KIND, rows, "builder.workflow_edit", "builder.workflow_remove")


@builder.post("/workflows/<name>/remove")
def workflow_remove(name: str) -> ResponseReturnValue:
    return remove_document(KIND, name, url_for("builder.workflow_list"))


@builder.route("/workflows/new", methods=["GET", "POST"])
@builder.route("/workflows/<name>", methods=["GET", "POST"])
def workflow_edit(name: str | None = None) -> ResponseReturnValue:
    return edit_page(EDITOR, name)


EDITOR = Editor(
    KIND,
    "builder.workflow_edit",
    "admin/workflow.html",
    stay="redraw",
    extra=lambda document: {"diagram": draw(document)},
)

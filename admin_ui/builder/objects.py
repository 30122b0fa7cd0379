"""Objects and their fields in the builder: forms generated from the objects schema (one
per field type's options), each change reviewed (schema change, data lost) before publishing.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from flask import abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from admin_ui.builder.documents import current_document, name_taken
from admin_ui.builder.documents import remove as remove_document
from admin_ui.builder.kinds import choices_from
from admin_ui.builder.review import refused_page, review_page
from admin_ui.builder.schema_form import SchemaForm, editor_widgets
from plinth.metadata.kinds import schema
from plinth.metadata.publisher import Put

if TYPE_CHECKING:
    from plinth.runtime.compiler import CompiledMetadata

FIELD_TYPES = tuple(schema("objects")["$defs"]["field_common"]["properties"]["type"]["enum"])
OBJECT_ONLY = ("fields",)  # edited on their own pages
FIELD_HIDDEN = ("type",)  # chosen with the type picker
TEXT_DEFAULTS = frozenset(
    {"text", "textarea", "email", "phone", "url", "select", "date", "datetime", "time",
     "duration"}
)  # fmt: skip
"""Types whose default is kept as typed (``007`` stays text, not the number 7)."""


def object_form(compiled: CompiledMetadata) -> SchemaForm:
    return SchemaForm(schema("objects"), choices=choices_from(compiled))


def field_form(compiled: CompiledMetadata, type_name: str) -> SchemaForm:
    """The form of one field type: the common options and that type's own."""
    root = schema("objects")
    return SchemaForm(root, root["$defs"][f"{type_name}_field"], choices_from(compiled))


@builder.get("/objects")
def object_list() -> str:
    with admin_session() as s:
        documents = s.compiled.docs("objects")
        rows = [(documents[name], s.compiled.packs.get(("objects", name))) for name in documents]
        return render_template("admin/objects.html", rows=sorted(rows, key=lambda r: r[0]["name"]))


@builder.route("/objects/new", methods=["GET", "POST"])
@builder.route("/objects/<name>", methods=["GET", "POST"])
def object_edit(name: str | None = None) -> ResponseReturnValue:
    with admin_session(write=False) as s:
        current = current_document(s, "objects", name)
        form = object_form(s.compiled)
        compiled, actor = s.compiled, s.actor
    if request.method == "GET":
        return _object_page(compiled, form, current, name, current or {}, {})
    document, errors = form.read(request.form)
    document = {k: v for k, v in document.items() if k not in OBJECT_ONLY}
    if name:
        document["name"] = name
    document["fields"] = copy.deepcopy((current or {}).get("fields", []))
    errors = errors or name_taken(name, document, compiled.docs("objects"))
    if not errors:
        back = url_for("builder.object_edit", name=document.get("name") or "_")
        title = _("Change object %(name)s", name=name) if name else _("New object")
        outcome, page = review_page(actor, [Put("objects", document)], back, title)
        if page is not None:
            return page
        errors = outcome.errors or {"/": [outcome.refusal or ""]}
    return _object_page(compiled, form, current, name, document, errors), 422


def _object_page(
    compiled: CompiledMetadata,
    form: SchemaForm,
    current: dict[str, Any] | None,
    name: str | None,
    document: dict[str, Any],
    errors: dict[str, list[str]],
) -> str:
    widgets, stray = editor_widgets(form, document, errors, OBJECT_ONLY, editing=bool(name))
    return render_template(
        "admin/object.html",
        name=name,
        document=current,
        widgets=widgets,
        stray=stray,
        pack=compiled.packs.get(("objects", name)) if name else None,
        field_types=FIELD_TYPES,
    )


@builder.route("/objects/<name>/fields/new", methods=["GET", "POST"])
@builder.route("/objects/<name>/fields/<field_name>", methods=["GET", "POST"])
def field_edit(name: str, field_name: str | None = None) -> ResponseReturnValue:
    with admin_session(write=False) as s:
        document = current_document(s, "objects", name)
        index = _field_index(document, field_name)
        current = document["fields"][index] if index is not None else {}
        type_name = request.values.get("type") or current.get("type") or "text"
        if type_name not in FIELD_TYPES:
            abort(404)
        form = field_form(s.compiled, type_name)
        actor = s.actor
    if request.method == "GET":
        return _field_page(document, form, field_name, type_name, current, {})
    field, errors = form.read(request.form)
    field["type"] = type_name
    typed_default = (request.form.get("/default") or "").strip()
    if typed_default and type_name in TEXT_DEFAULTS:
        field["default"] = typed_default
    if field_name:
        field["name"] = field_name
    if index is None:
        document["fields"].append(field)
        index = len(document["fields"]) - 1
    else:
        document["fields"][index] = field
    if not errors:
        back = url_for("builder.object_edit", name=name)
        what = field.get("name") or "?"
        title = _("Field %(field)s of %(object)s", field=what, object=name)
        outcome, page = review_page(actor, [Put("objects", document)], back, title)
        if page is not None:
            return page
        errors = _field_errors(outcome.errors, index) or {"/": [outcome.refusal or ""]}
    return _field_page(document, form, field_name, type_name, field, errors), 422


def _field_index(document: dict[str, Any], field_name: str | None) -> int | None:
    if field_name is None:
        return None
    for index, field in enumerate(document.get("fields", ())):
        if field.get("name") == field_name:
            return index
    abort(404)


def _field_errors(errors: dict[str, list[str]], index: int) -> dict[str, list[str]]:
    """The publisher's problems for the object, as pointers inside the field's form."""
    prefix = f"/fields/{index}"
    mine: dict[str, list[str]] = {}
    for pointer, messages in errors.items():
        if pointer == prefix:
            mine.setdefault("/", []).extend(messages)
        elif pointer.startswith(prefix + "/"):
            mine[pointer[len(prefix) :]] = messages
        else:
            mine.setdefault(pointer, []).extend(messages)
    return mine


def _field_page(
    document: dict[str, Any],
    form: SchemaForm,
    field_name: str | None,
    type_name: str,
    field: dict[str, Any],
    errors: dict[str, list[str]],
) -> str:
    widgets, stray = editor_widgets(form, field, errors, FIELD_HIDDEN, editing=bool(field_name))
    return render_template(
        "admin/field.html",
        document=document,
        field_name=field_name,
        type_name=type_name,
        widgets=widgets,
        stray=stray,
        field_types=FIELD_TYPES,
    )


@builder.post("/objects/<name>/fields/<field_name>/remove")
def field_remove(name: str, field_name: str) -> ResponseReturnValue:
    with admin_session(write=False) as s:
        document = current_document(s, "objects", name)
        index = _field_index(document, field_name)
        actor = s.actor
    del document["fields"][index]
    back = url_for("builder.object_edit", name=name)
    title = _("Remove field %(field)s of %(object)s", field=field_name, object=name)
    outcome, page = review_page(actor, [Put("objects", document)], back, title)
    return page if page is not None else refused_page(outcome, back)


@builder.post("/objects/<name>/remove")
def object_remove(name: str) -> ResponseReturnValue:
    return remove_document("objects", name, url_for("builder.object_list"))

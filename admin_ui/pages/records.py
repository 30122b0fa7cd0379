"""One record: its page (with its workflow step buttons) and its form (new and edit)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from admin_ui.forms import editable_fields, values_from_form
from admin_ui.layouts import FormLayout, Related, form_layout
from admin_ui.messages import field_errors
from admin_ui.pages import pages
from admin_ui.pages.context import page_session
from admin_ui.values import expand_names
from plinth.auth.directory import search_users, user_names
from plinth.errors import StaleVersion, ValidationError
from plinth.runtime.model import Field, ObjectModel
from plinth.runtime.query import Filter, ListQuery
from plinth.runtime.session import Session
from plinth.workflow import sla_tracking, timeline
from plinth.workflow.definitions import workflow_for
from plinth.workflow.transitions import available_on

HISTORY_ROWS = 50


def _layout_fields(layout: FormLayout) -> list[Field]:
    return [f for section in layout.sections for f in section.fields]


@pages.get("/<object_name>/<int:record_id>")
def record_view(object_name: str, record_id: int) -> str:
    with page_session() as s:
        model = s.compiled.object(object_name)
        layout = form_layout(s, model)
        fields = _layout_fields(layout)
        record = s.records.get(object_name, record_id, expand_fields=expand_names(fields))
        related = [(r, _related_rows(s, r, record_id)) for r in layout.related]
        workflow = workflow_for(s.compiled, object_name)
        steps, in_states, clocks, buttons = [], {}, [], []
        if workflow is not None:
            steps = timeline.timeline(s.conn, object_name, record_id, s.tenant.clock())
            in_states = timeline.time_in_states(steps)
            clocks = sla_tracking.record_clocks(s, object_name, record_id)
            buttons = available_on(s, object_name, record_id)
        history = (
            s.records.history(object_name, record_id, HISTORY_ROWS) if model.track_history else []
        )
        return render_template(
            "app/record.html",
            model=model,
            layout=layout,
            record=record,
            related=related,
            workflow=workflow,
            steps=steps,
            in_states=in_states,
            clocks=clocks,
            buttons=buttons,
            history=history,
            can_edit=s.guard.allows(model, "update"),
        )


def _related_rows(s: Session, related: Related, record_id: int) -> list[dict[str, Any]]:
    query = ListQuery(
        filters=[Filter(related.via, "eq", record_id)],
        sort=["-id"],
        limit=related.limit,
        expand=expand_names(related.columns),
    )
    rows: list[dict[str, Any]] = s.records.list(related.model.name, query).data
    return rows


@pages.route("/<object_name>/new", methods=["GET", "POST"])
def record_new(object_name: str) -> ResponseReturnValue:
    with page_session() as s:
        model = s.compiled.object(object_name)
        s.guard.check(model, "create")
        layout = form_layout(s, model)
        editable = editable_fields(s, model, _layout_fields(layout))
        typed, errors = {}, {}
        if request.method == "POST":
            typed = values_from_form(editable, request.form, creating=True)
            try:
                with s.savepoint():
                    record = s.records.create(object_name, typed)
            except ValidationError as exc:
                errors = exc.errors
            else:
                flash(_("Saved."))
                return redirect(
                    url_for("pages.record_view", object_name=object_name, record_id=record["id"])
                )
        return _form(s, model, layout, editable, typed, errors, None), (422 if errors else 200)


@pages.route("/<object_name>/<int:record_id>/edit", methods=["GET", "POST"])
def record_edit(object_name: str, record_id: int) -> ResponseReturnValue:
    with page_session() as s:
        model = s.compiled.object(object_name)
        layout = form_layout(s, model)
        fields = _layout_fields(layout)
        editable = editable_fields(s, model, fields)
        record = s.records.get(object_name, record_id, expand_fields=expand_names(fields))
        errors, conflict = {}, None
        values = dict(record)
        if request.method == "POST":
            typed = values_from_form(editable, request.form, creating=False)
            values.update(typed)
            sent = request.form.get("version", "")
            expected = int(sent) if sent.isdigit() else None
            try:
                with s.savepoint():
                    s.records.update(object_name, record_id, typed, expected)
            except ValidationError as exc:
                errors = exc.errors
            except StaleVersion:
                conflict = _changes_since(s, object_name, record_id, expected)
            else:
                flash(_("Saved."))
                return redirect(
                    url_for("pages.record_view", object_name=object_name, record_id=record_id)
                )
        status = 409 if conflict else 422 if errors else 200
        page = _form(s, model, layout, editable, values, errors, record, conflict)
        return page, status


def _changes_since(
    s: Session, object_name: str, record_id: int, version: int | None
) -> list[dict[str, Any]]:
    """Who changed which fields after the version the user started from."""
    entries = s.records.history(object_name, record_id, HISTORY_ROWS)
    newer = [e for e in entries if version is None or e["version"] > version]
    return [e for e in newer if e["field"]]


def _form(
    s: Session,
    model: ObjectModel,
    layout: FormLayout,
    editable: list[Field],
    values: dict[str, Any],
    errors: dict[str, list[str]],
    record: dict[str, Any] | None,
    conflict: list[dict[str, Any]] | None = None,
) -> str:
    return render_template(
        "app/form.html",
        model=model,
        layout=layout,
        editable={f.name for f in editable},
        values=values,
        errors=field_errors(errors),
        record=record,
        conflict=conflict,
        users=_user_titles(s, conflict),
    )


def _user_titles(s: Session, conflict: list[dict[str, Any]] | None) -> dict[int, str]:
    if not conflict:
        return {}
    return user_names(s.conn, {e["by"] for e in conflict if e["by"]})


@pages.get("/_users")
def user_search() -> str:
    """Type-ahead for a user picker: active users whose name or email matches ``q``."""
    with page_session() as s:
        q = (request.args.get("q") or "").strip()[:100]
        rows = search_users(s.conn, q)
        return render_template(
            "app/_user_results.html", rows=rows, field=request.args.get("field", "")
        )


@pages.get("/_lookup/<object_name>")
def lookup_search(object_name: str) -> str:
    """Type-ahead for a lookup widget: the first matches of ``q`` as buttons (htmx)."""
    with page_session() as s:
        model = s.compiled.object(object_name)
        q = (request.args.get("q") or "").strip()[:100]
        query = ListQuery(search=q or None, limit=10, sort=["-id"])
        rows = s.records.list(object_name, query).data
        return render_template(
            "app/_lookup_results.html", model=model, rows=rows, field=request.args.get("field", "")
        )

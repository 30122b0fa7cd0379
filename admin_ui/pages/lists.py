"""Home (the objects a user may read) and object lists: columns, sort, filters, search,
keyset paging and export of the current filter."""

from __future__ import annotations

from typing import cast

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug import Response

from admin_ui import bulk_actions
from admin_ui.exports import EXPORT_LIMIT, export_response
from admin_ui.i18n import object_label
from admin_ui.layouts import ListLayout, list_layout
from admin_ui.list_args import PAGE_ONLY, list_args
from admin_ui.pages import pages
from admin_ui.pages.context import page_session
from admin_ui.saved_views import clean_query, delete_view, save_view, views_of
from admin_ui.values import expand_names
from plinth.errors import ValidationError
from plinth.runtime.query import parse_list_args


@pages.get("/")
def home() -> str:
    with page_session() as s:
        models = sorted(s.compiled.objects.values(), key=lambda m: m.name)
        objects = [model for model in models if s.guard.allows(model, "read")]
        return render_template("app/home.html", objects=objects)


def _query_args(layout: ListLayout) -> dict[str, list[str]]:
    args = list_args(request.args.items(multi=True), PAGE_ONLY)
    args.setdefault("sort", [layout.default_sort])
    args.setdefault("limit", [str(layout.page_size)])
    return args


@pages.get("/<object_name>")
def list_view(object_name: str) -> ResponseReturnValue:
    with page_session() as s:
        model = s.compiled.object(object_name)
        s.guard.check(model, "read")
        layout = list_layout(s, model)
        args = _query_args(layout)
        export = request.args.get("export")
        if export and export not in ("csv", "xlsx"):
            abort(400)
        errors: dict[str, list[str]] = {}
        try:
            query = parse_list_args(args)
            query.expand = expand_names(layout.columns)
            if export:
                query.cursor, query.limit = None, EXPORT_LIMIT
            page = s.records.list(object_name, query)
        except ValidationError as exc:
            errors = exc.errors
            page = None
        if export and page is not None:
            return export_response(s, model, layout.columns, page.data, export)
        can_create = s.guard.allows(model, "create")
        bulk = bulk_actions.choices(s, model, layout.columns + layout.filters)
        views = views_of(s.conn, s.actor.id, object_name) if s.actor.id else []
        return render_template(
            "app/list.html",
            model=model,
            layout=layout,
            page=page,
            errors=errors,
            args=args,
            sort=args["sort"][0],
            can_create=can_create,
            bulk=bulk,
            views=views,
            title=object_label(model, plural=True),
            error_text=_("The filter is not valid:"),
        )


@pages.post("/<object_name>/bulk")
def bulk(object_name: str) -> Response:
    with page_session() as s:
        model = s.compiled.object(object_name)
        layout = list_layout(s, model)
        ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]
        action = request.form.get("action", "")
        try:
            done = bulk_actions.apply(s, model, ids, action, layout.columns + layout.filters)
        except bulk_actions.BatchFailed as exc:
            flash(_("Nothing was changed; these records refused:"), "error")
            for record_id, message in sorted(exc.problems.items()):
                flash(f"#{record_id}: {message}", "error")
        except ValidationError as exc:
            _flash_errors(exc)
        else:
            flash(_("%(count)d record(s) changed.", count=done))
        return redirect(_back_to_list(object_name))


@pages.post("/<object_name>/views")
def save_list_view(object_name: str) -> Response:
    with page_session() as s:
        model = s.compiled.object(object_name)
        query = request.form.get("query", "")
        try:
            kept = save_view(s, model, request.form.get("name", ""), query)
        except ValidationError as exc:
            _flash_errors(exc)
            return redirect(_back_to_list(object_name))
        flash(_("View saved."))
        return redirect(url_for("pages.list_view", object_name=object_name) + "?" + kept)


@pages.post("/<object_name>/views/<int:view_id>/delete")
def delete_list_view(object_name: str, view_id: int) -> Response:
    with page_session() as s:
        user_id = cast(int, s.actor.id)  # a page session has a logged-in user
        delete_view(s.conn, user_id, view_id)
        flash(_("View deleted."))
        return redirect(url_for("pages.list_view", object_name=object_name))


def _flash_errors(exc: ValidationError) -> None:
    flash(" ".join(m for messages in exc.errors.values() for m in messages), "error")


def _back_to_list(object_name: str) -> str:
    query = request.form.get("query", "")
    base = url_for("pages.list_view", object_name=object_name)
    try:
        return base + ("?" + clean_query(query) if query else "")
    except ValidationError:
        return base

"""Home (the objects a user may read) and object lists: columns, sort, filters, search,
keyset paging and export of the current filter."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _

from admin_ui.exports import EXPORT_LIMIT, export_response
from admin_ui.i18n import object_label
from admin_ui.layouts import list_layout
from admin_ui.pages import pages
from admin_ui.pages.context import page_session
from admin_ui.values import expand_names
from plinth.errors import PermissionDenied, ValidationError
from plinth.runtime.query import parse_list_args

UI_ARGS = frozenset({"export"})


@pages.get("/")
def home():
    with page_session() as s:
        objects = []
        for model in sorted(s.compiled.objects.values(), key=lambda m: m.name):
            try:
                s.guard.check(model, "read")
            except PermissionDenied:
                continue
            objects.append(model)
        return render_template("app/home.html", objects=objects)


def _query_args(layout) -> dict[str, list[str]]:
    args = {}
    for key in request.args:
        if key in UI_ARGS:
            continue
        values = [v for v in request.args.getlist(key) if v != ""]
        if key.endswith("__in") and len(values) > 1:  # option chips: one box per option
            values = [",".join(values)]
        if values:
            args[key] = values
    args.setdefault("sort", [layout.default_sort])
    args.setdefault("limit", [str(layout.page_size)])
    return args


@pages.get("/<object_name>")
def list_view(object_name: str):
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
        can_create = _may(s, model, "create")
        return render_template(
            "app/list.html",
            model=model,
            layout=layout,
            page=page,
            errors=errors,
            args=args,
            sort=args["sort"][0],
            can_create=can_create,
            title=object_label(model, plural=True),
            error_text=_("The filter is not valid:"),
        )


def _may(s, model, action: str) -> bool:
    try:
        s.guard.check(model, action)
    except PermissionDenied:
        return False
    return True

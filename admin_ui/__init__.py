"""Web UI: generated record pages (``/app/``) and the admin builder, one Flask blueprint each.

Both work through the same record service, metadata store and permission checks as the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Blueprint, Flask, current_app, render_template, request, send_from_directory
from werkzeug import Response

from admin_ui.i18n import init_babel
from plinth.extension import current_tenant

if TYPE_CHECKING:
    from plinth.tenant import Tenant

ui = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui-static",
)


@ui.get("/")
def home() -> str:
    """The way into the app (``/app/``), with the API and the public pages beside it."""
    tenant = current_tenant()
    with tenant.database.transaction() as conn:
        compiled = tenant.metadata.current(conn)
    return render_template(
        "home.html",
        objects=sorted(compiled.objects.values(), key=lambda m: m.name),
        base=request.host_url.rstrip("/"),
        public_pages=_public_pages(tenant),
    )


def _public_pages(tenant: Tenant) -> list[str]:
    """The pages packs serve to anybody (e.g. ``/fs/request``): their plain GET addresses."""
    names = {blueprint.name for blueprint in tenant.routes.blueprints}
    return sorted(
        rule.rule
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in names
        and "GET" in (rule.methods or ())
        and not rule.arguments
    )


@ui.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for by themselves (the pages also link ``favicon.svg``)."""
    folder = cast(str, ui.static_folder)  # set: the blueprint is made with one
    return send_from_directory(
        folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400
    )


def init_app(app: Flask) -> None:
    from admin_ui.builder import builder
    from admin_ui.pages import pages

    init_babel(app)
    app.register_blueprint(ui)
    app.register_blueprint(pages)
    app.register_blueprint(builder)

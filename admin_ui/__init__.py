"""Web UI: generated record pages (``/app/``) and the admin builder, one Flask blueprint each.

Both work through the same record service, metadata store and permission checks as the API.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request

from admin_ui.i18n import init_babel
from plinth.extension import current_tenant

ui = Blueprint(
    "ui",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/ui-static",
)


@ui.get("/")
def home():
    """What this instance serves and how to start using its API."""
    tenant = current_tenant()
    with tenant.database.transaction() as conn:
        compiled = tenant.metadata.current(conn)
    return render_template(
        "home.html",
        objects=sorted(compiled.objects.values(), key=lambda m: m.name),
        base=request.host_url.rstrip("/"),
    )


def init_app(app: Flask) -> None:
    from admin_ui.builder import builder
    from admin_ui.pages import pages

    init_babel(app)
    app.register_blueprint(ui)
    app.register_blueprint(pages)
    app.register_blueprint(builder)

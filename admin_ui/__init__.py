"""Web UI: generated record pages and the admin builder (a Flask blueprint)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template, request

from plinth.extension import current_tenant

ui = Blueprint("ui", __name__, template_folder="templates")


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
    app.register_blueprint(ui)

"""REST API v1: records, metadata, auth, users, files and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from plinth.api import (
    idempotency,
    routes_assignment,
    routes_auth,
    routes_files,
    routes_jobs,
    routes_metadata,
    routes_records,
    routes_settings,
    routes_system,
    routes_uploads,
    routes_users,
    routes_workflow,
)
from plinth.api.converters import IdConverter
from plinth.api.docs import register as register_docs
from plinth.api.jsonio import BadRequest, PlinthJSONProvider, QueryInvalid
from plinth.api.problems import register_error_handlers


def init_app(app: Flask) -> None:
    """Register the API blueprint, its JSON provider and problem+json error handling."""
    app.url_map.converters["id"] = IdConverter
    app.json_provider_class = PlinthJSONProvider
    app.json = PlinthJSONProvider(app)
    api = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")
    for module in (
        routes_system,
        routes_auth,
        routes_users,
        routes_metadata,
        routes_records,
        routes_files,
        routes_uploads,
        routes_jobs,
        routes_workflow,
        routes_assignment,
        routes_settings,
    ):
        module.register(api)
    register_docs(api)
    routes = app.extensions["plinth"].tenant.routes
    routes.register_api(api)

    @api.before_request
    def refuse_bad_requests_early() -> None:
        # Refused before any work, whether or not the endpoint would read the body.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and request.content_length and request.content_length > limit:
            raise RequestEntityTooLarge()
        # Every argument may end up in a query; PostgreSQL refuses NUL in text (a 500).
        if "\x00" in request.path:
            raise BadRequest("the path must not contain NUL characters")
        if b"%00" in request.query_string or b"\x00" in request.query_string:
            for key, values in request.args.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    raise QueryInvalid({key: ["must not contain NUL characters"]})

    # After the checks above: the key's fingerprint reads the body.
    idempotency.register(api, app)
    app.register_blueprint(api)
    for blueprint in routes.blueprints:
        app.register_blueprint(blueprint)
    register_error_handlers(app)

"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from plinth.auth.cookie_session import LazyCookieSessionInterface
from plinth.config import ensure_secret_key, load_config
from plinth.extension import PlinthExtension
from plinth.http_security import init_app as init_http_security
from plinth.log import configure_logging

MIB = 1024 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides declared settings (see ``plinth config``)."""
    settings = load_config(config)
    configure_logging(settings["LOG_LEVEL"])
    app = Flask("plinth", instance_path=settings["INSTANCE_DIR"])
    app.config.update(
        PLINTH=settings,
        SECRET_KEY=ensure_secret_key(settings),
        MAX_CONTENT_LENGTH=settings["MAX_UPLOAD_MB"] * MIB,
        TESTING=settings["TESTING"],
        JSON_SORT_KEYS=False,
    )
    app.session_interface = LazyCookieSessionInterface()
    PlinthExtension(settings).init_app(app)
    init_http_security(app, settings)
    from admin_ui import init_app as init_ui
    from admin_ui.messages import say_in
    from plinth.api import init_app as init_api
    from plinth.api.problems import set_translator

    init_api(app)
    init_ui(app)
    set_translator(app, say_in)  # API errors speak the pages' catalogue of engine messages
    return app

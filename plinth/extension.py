"""The Flask extension that gives the app its tenant (database, metadata, files, hooks)."""

from __future__ import annotations

from flask import Flask, current_app

from plinth.bootstrap import build_tenant
from plinth.config import Config
from plinth.tenant import Tenant


class PlinthExtension:
    """Holds the tenant; ``init_app`` wires it into a Flask app."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.tenant: Tenant | None = None

    def init_app(self, app: Flask) -> None:
        self.tenant = build_tenant(self.config)
        app.extensions["plinth"] = self


def current_tenant() -> Tenant:
    """The tenant of the running app (inside a request or app context)."""
    tenant: Tenant = current_app.extensions["plinth"].tenant
    return tenant

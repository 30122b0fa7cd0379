"""Pack settings over HTTP: everyone signed in reads them, administrators change them."""

from __future__ import annotations

from plinth.api.auth import api_session, require_admin
from plinth.api.jsonio import json_body
from plinth.api.responses import listing
from plinth.packs.settings import all_settings, change_settings


def register(api) -> None:
    api.add_url_rule("/settings", view_func=settings, methods=["GET"])
    api.add_url_rule("/settings", view_func=update_settings, methods=["PATCH"])


def settings():
    with api_session() as s:
        return listing(all_settings(s))


def update_settings():
    body = json_body()
    with api_session() as s:
        require_admin(s)
        return listing(change_settings(s, body))

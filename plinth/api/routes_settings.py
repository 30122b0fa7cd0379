"""Pack settings over HTTP: everyone signed in reads them, administrators change them."""

from __future__ import annotations

from flask import Blueprint, Response

from plinth.api.contract import listed
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.jsonio import json_body
from plinth.api.openapi.parts import listing_of
from plinth.auth.web_session import request_session, require_admin
from plinth.packs.settings import Setting, all_settings, change_settings


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def settings() -> Response:
    with request_session() as s:
        return listed(Setting, all_settings(s))


def update_settings() -> Response:
    body = json_body()
    with request_session() as s:
        require_admin(s)
        return listed(Setting, change_settings(s, body))


#: Which settings exist depends on the installed packs, so the body is a free map of
#: ``<pack>.<setting>`` to a value; ``change_settings`` checks each against its declaration.
CHANGES = {
    "type": "object",
    "additionalProperties": True,
    "example": {"field_service.require_check_in": False},
}
SETTINGS = listing_of(Setting, paged=False)
ENDPOINTS = (
    Endpoint("/settings", "GET", settings, "Pack settings with their values and declarations",
             reply=SETTINGS),
    Endpoint("/settings", "PATCH", update_settings,
             "Change settings, all or nothing; null restores the default (admin)",
             body=CHANGES, reply=SETTINGS),
)  # fmt: skip

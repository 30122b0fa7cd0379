"""Python of the throw-away pack in tests/test_pack_extensions.py."""

from __future__ import annotations

from plinth.toolkit import api_session, get_setting, listing


def register(context) -> None:
    @context.api_route(
        "/sample/greeting",
        openapi={
            "get": {
                "summary": "A greeting",
                "tags": ["sample"],
                "responses": {"200": {"description": "OK"}},
            }
        },
    )
    def greeting():
        with api_session() as s:
            return listing([get_setting(s, "sample.greeting")], user=s.actor.id)

"""Flask's signed-cookie session, opened only when the browser sent the cookie.

API clients authenticate with a bearer token and send no cookie; building the signing
serializer for them on every request is wasted work (issue 18, per-request cost).
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    """An empty session without touching the signer when the request has no cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not app.secret_key or self.get_cookie_name(app) in request.cookies:
            return super().open_session(app, request)
        return self.session_class()

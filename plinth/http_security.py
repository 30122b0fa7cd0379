"""HTTP hardening shared by every surface: cookie flags, framing and sniffing headers, and
which proxy headers to believe."""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from plinth.config import Config

# Pages are never framed (clickjacking); nothing else in the policy, so the pages' own
# scripts and the map tiles keep working as they are.
CONTENT_SECURITY_POLICY = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
HEADER_LIST = list(HEADERS.items())


def init_app(app: Flask, settings: Config) -> None:
    """Session cookie flags, security headers on every response, trusted proxies."""
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=settings["SESSION_COOKIE_SECURE"],
        # The cookie outlives no session: the server ends sessions sooner (idle, logout).
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings["SESSION_MAX_HOURS"]),
    )
    proxies = settings["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        if any(name in headers for name in HEADERS):  # a view set some: keep those
            for name, value in HEADERS.items():
                headers.setdefault(name, value)
        else:  # the usual case, in one step
            headers.extend(HEADER_LIST)
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

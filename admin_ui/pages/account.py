"""Logging in and out, and the user's language and time zone."""

from __future__ import annotations

import datetime as dt
import math
from typing import cast
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug import Response
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from admin_ui.i18n import LANGUAGES, SESSION_KEY
from admin_ui.pages import pages
from admin_ui.pages.context import page_session
from plinth.auth.browser_sessions import Lifetimes, list_sessions
from plinth.auth.login import verify_login
from plinth.auth.people import update_profile
from plinth.auth.web_session import (
    LOGIN_KEY,
    client_address,
    csrf_matches,
    csrf_token,
    end_browser_session,
    start_browser_session,
)
from plinth.errors import NotAuthenticated, TooManyRequests, ValidationError
from plinth.extension import current_tenant
from plinth.packs.landing import landing_for
from plinth.runtime.audit import audit


def safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host): never an open redirect."""
    if not target:
        return url_for("pages.home")
    parts = urlsplit(target)
    odd = "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    if odd or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.home")
    return target


def _back() -> str | None:
    """The page the form was sent from, when it is on this site."""
    if not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pages.get("/login")
def login() -> str:
    return render_template("app/login.html", csrf=csrf_token(), next=request.args.get("next"))


def _login_again(
    message: str, email: str, status: int, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    """The login form again, with what was typed and why it did not work."""
    page = render_template(
        "app/login.html",
        csrf=csrf_token(),
        error=message,
        email=email,
        next=request.form.get("next"),
    )
    return page, status, headers or {}


@pages.post("/login")
def login_submit() -> ResponseReturnValue:
    form = request.form
    if not csrf_matches(form.get("csrf_token")):
        message = _("The form expired; please try again.")
        return render_template("app/login.html", csrf=csrf_token(), error=message), 400
    email, password = form.get("email", ""), form.get("password", "")
    try:
        user = verify_login(current_tenant().database, email, password, client_address())
    except NotAuthenticated:
        return _login_again(_("Wrong email or password."), email, 401)
    except TooManyRequests as exc:
        if exc.retry_after < 60:
            message = _("Too many failed logins. Try again in %(n)d seconds.", n=exc.retry_after)
        else:
            minutes = math.ceil(exc.retry_after / 60)
            message = _("Too many failed logins. Try again in %(n)d minutes.", n=minutes)
        headers = {"Retry-After": str(exc.retry_after)}
        return _login_again(message, email, 429, headers)
    start_browser_session(user)
    target = form.get("next")
    if not target or target == url_for("pages.home"):
        return redirect(landing_page(user["id"]))
    return redirect(safe_next(target))


def landing_page(user_id: int) -> str:
    """Where a user goes after logging in without a page to go back to (or back to the
    app's home, where the way in leads): a page packs declare for the user's roles
    (``landing`` in pack.yaml) when the app serves it, else the app's home."""
    with current_tenant().database.transaction() as conn:
        path = landing_for(conn, user_id)
    if path and safe_next(path) == path and _served(path):
        return path
    return url_for("pages.home")


def _served(path: str) -> bool:
    """Whether a GET of ``path`` reaches a route of this app (not a 404 or 405)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(urlsplit(path).path, method="GET")
    except RequestRedirect:  # e.g. /m to /m/
        return True
    except HTTPException:
        return False
    return True


@pages.post("/logout")
def logout() -> Response:
    everywhere = request.form.get("everywhere") == "1"
    with page_session(write=True) as s:  # checks the login and the form's CSRF token
        end_browser_session(s.conn, everywhere, s.actor)
        # as the API's logout does
        audit(s.conn, s.actor, "auth.logout", s.actor.label, {"everywhere": everywhere})
    return redirect(url_for("pages.login"))


@pages.post("/preferences")
def preferences() -> ResponseReturnValue:
    """Switch language (and time zone); kept in the user's profile when logged in."""
    locale = request.form.get("locale")
    zone = request.form.get("time_zone")
    changes: dict[str, str] = {}
    if locale in LANGUAGES:
        changes["locale"] = locale
    if zone:
        changes["time_zone"] = zone
    if session.get(LOGIN_KEY):
        with page_session(write=True) as s:
            try:
                update_profile(s.conn, s.actor, changes)
            except ValidationError as exc:
                return render_template("app/error.html", message=str(exc)), 422
    elif not csrf_matches(request.form.get("csrf_token")):
        return render_template("app/error.html", message=_("The form expired.")), 400
    if "locale" in changes:
        session[SESSION_KEY] = changes["locale"]
        g.pop("ui_locale", None)
    return redirect(safe_next(request.form.get("next") or _back()))


@pages.get("/preferences")
def preferences_page() -> str:
    with page_session() as s:
        zones = sorted(available_timezones())
        now = dt.datetime.now(dt.UTC)
        lifetimes = Lifetimes.from_config(current_tenant().config)
        user_id = cast(int, s.actor.id)  # a page session has a logged-in user
        sessions = list_sessions(s.conn, user_id, lifetimes, now)
        for item in sessions:
            item["device"] = device_name(item["user_agent"])
            item["current"] = item["id"] == g.get("browser_session_id")
        return render_template(
            "app/preferences.html", zones=zones, actor=s.actor, sessions=sessions
        )


_BROWSERS = (  # the first that appears names the browser (Edge and WeChat say Chrome too)
    ("MicroMessenger", "WeChat"),
    ("DingTalk", "DingTalk"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("HarmonyOS", "HarmonyOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_name(user_agent: str) -> str:
    """A person's name for a browser from its User-Agent: "Chrome · Android"."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return " · ".join(part for part in (browser, system) if part) or (user_agent[:40] or "?")

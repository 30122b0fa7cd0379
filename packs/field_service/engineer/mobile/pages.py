"""The engineer app's pages: the shell at ``/m/``, its service worker and its manifest.

The shell is one HTML page that loads the app's JavaScript modules from ``/m/static/``, each
named in a ``modulepreload`` link so that the browser fetches them in one wave. It needs a
browser session: without one it sends the visitor to the login page, which brings them back
here. Its language is the signed-in user's locale (else the browser's). The service worker
is served from ``/m/sw.js`` so that its scope is the whole app and nothing else; it caches
the shell and the static files of one version (a hash of their contents), so a new
deployment replaces the cache the next time the app is opened online.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request

from plinth.toolkit import PlinthError, api_session

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
APP_URL = "/m/"
LOGIN_URL = "/app/login?next=/m/"
LANGUAGES = ("en", "zh-CN")
THEME = "#0f4c81"
BACKGROUND = "#f3f5f8"
# Scripts, styles, workers and data only from this site; images also from data: and blob:
# URLs (signature previews and photos before they are uploaded).
SHELL_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
NOT_SHIPPED = {"README.md", "LICENSE"}


def register(context) -> None:
    pages = Blueprint(
        "field_service_engineer_app",
        __name__,
        static_folder=str(STATIC),
        static_url_path="/m/static",
        template_folder=str(TEMPLATES),
    )
    pages.add_url_rule("/m/", view_func=shell, methods=["GET"])
    pages.add_url_rule("/m/sw.js", view_func=service_worker, methods=["GET"])
    pages.add_url_rule("/m/manifest.webmanifest", view_func=manifest, methods=["GET"])
    context.blueprint(pages)


@functools.cache
def texts() -> dict[str, dict[str, str]]:
    """The app's words in every language it speaks (the same file the JavaScript reads)."""
    return json.loads((STATIC / "texts.json").read_text(encoding="utf-8"))


@functools.cache
def assets() -> tuple[str, ...]:
    """URLs of every static file the app uses, which the service worker keeps offline."""
    files = sorted(p for p in STATIC.rglob("*") if p.is_file() and p.name not in NOT_SHIPPED)
    return tuple(f"/m/static/{p.relative_to(STATIC).as_posix()}" for p in files)


@functools.cache
def modules() -> tuple[str, ...]:
    """URLs of the app's JavaScript modules (``js/``), which the shell preloads so that the
    browser fetches them at once rather than in waves of imports."""
    return tuple(url for url in assets() if url.startswith("/m/static/js/") and url.endswith(".js"))


@functools.cache
def version() -> str:
    """A hash of the static files and templates: a new one makes clients refresh their cache."""
    digest = hashlib.sha256()
    for path in sorted([*STATIC.rglob("*"), *TEMPLATES.rglob("*")]):
        if path.is_file():
            digest.update(path.relative_to(HERE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def language(locale: str | None) -> str:
    """``en`` or ``zh-CN``: the user's locale when the app speaks it, else the browser's."""
    if locale in LANGUAGES:
        return locale
    if locale and locale.lower().startswith("zh"):
        return "zh-CN"
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"], default="en")
    return "zh-CN" if best.lower().startswith("zh") else "en"


def shell() -> Any:
    """The app shell for a signed-in user; the login page (coming back here) otherwise."""
    try:
        with api_session(write=False, anonymous=True) as s:
            actor = s.actor
    except PlinthError as exc:
        if exc.status == 401:  # the browser session ended
            return redirect(LOGIN_URL)
        raise
    if actor.id is None:
        return redirect(LOGIN_URL)
    lang = language(actor.locale)
    html = render_template(
        "engineer_app/shell.html",
        lang=lang,
        t=texts()[lang],
        version=version(),
        theme=THEME,
        user_id=actor.id,
        modules=modules(),
    )
    return html, 200, {"Content-Security-Policy": SHELL_POLICY, "Cache-Control": "no-cache"}


def service_worker() -> Response:
    """The service worker, with this version's list of files to keep offline."""
    script = render_template(
        "engineer_app/sw.js", version=version(), assets=[APP_URL, *assets()], app=APP_URL
    )
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = APP_URL
    return response


def manifest() -> Response:
    """The web app manifest (``?lang=`` picks the name's language)."""
    lang = request.args.get("lang") if request.args.get("lang") in LANGUAGES else language(None)
    words = texts()[lang]
    document = {
        "id": APP_URL,
        "name": words["app_name"],
        "short_name": words["app_short_name"],
        "description": words["app_description"],
        "lang": lang,
        "start_url": APP_URL,
        "scope": APP_URL,
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [
            {"src": "/m/static/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/m/static/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {
                "src": "/m/static/icons/icon-maskable-512.png",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = jsonify(document)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response

"""The dispatch console page at ``/app/dispatch``: the schedule board, the queue of tasks to
place and the map, in one page for dispatchers and service managers.

The page is the pages' layout (header, language switch, alerts) around one script,
``console.js``, which draws everything from the dispatch API (``/api/v1/dispatch/board``,
``check``, ``place``) with vis-timeline and Leaflet, vendored with the pages' other
libraries. Its words are in ``static/texts.json`` (English and 简体中文).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template

from packs.field_service.dispatch.console_api import dispatcher_only
from plinth.toolkit import PlinthError, api_session, date_arg, int_arg

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
LOGIN_URL = "/app/login?next=/app/dispatch"
LANGUAGES = ("en", "zh-CN")


def register(context) -> None:
    pages = Blueprint(
        "field_service_dispatch_console",
        __name__,
        static_folder=str(STATIC),
        static_url_path="/app/dispatch/static",
        template_folder=str(HERE / "templates"),
    )
    pages.add_url_rule("/app/dispatch", view_func=console, methods=["GET"])
    context.blueprint(pages)


@functools.cache
def texts() -> dict[str, dict[str, str]]:
    """The console's words in every language it speaks (the script reads the same file)."""
    loaded: dict[str, dict[str, str]] = json.loads(
        (STATIC / "texts.json").read_text(encoding="utf-8")
    )
    return loaded


def first_board_url(today) -> str:
    """The board the page opens on (its ``date`` and ``service_group`` arguments, else
    today in the user's zone), fetched by ``early.js`` while the libraries load."""
    try:
        day, group = date_arg("date") or today, int_arg("service_group", None, 1, 2**63 - 1)
    except PlinthError:  # a bad argument: the page opens on today, and says nothing
        day, group = today, None
    query = {"date": day.isoformat(), "days": "1"}
    if group is not None:
        query["service_group"] = str(group)
    return "/api/v1/dispatch/board?" + urlencode(query)


def language(locale: str | None) -> str:
    return "zh-CN" if locale and locale.lower().startswith("zh") else "en"


def console() -> Any:
    """The console for a dispatcher; the login page (coming back here) for nobody."""
    try:
        with api_session(write=False, anonymous=True) as s:
            if s.actor.id is None:
                return redirect(LOGIN_URL)
            dispatcher_only(s)
            actor = s.actor
            today = s.tenant.clock().astimezone(actor.zone).date()
    except PlinthError as exc:
        if exc.status == 401:
            return redirect(LOGIN_URL)
        if exc.status == 403:
            words = texts()[language(s.actor.locale)]
            return render_template("app/error.html", message=words["forbidden"]), 403
        raise
    lang = language(actor.locale)
    settings = {
        "lang": lang,
        "zone": actor.time_zone,
        "tiles": current_app.config["PLINTH"]["MAP_TILES_URL"],
        "texts": texts()[lang],
    }
    html = render_template(
        "dispatch_console/console.html",
        t=texts()[lang],
        settings={**settings, "today": today.isoformat()},
        board_url=first_board_url(today),
    )
    return html, 200, {"Cache-Control": "no-cache"}

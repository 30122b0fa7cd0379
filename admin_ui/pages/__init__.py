"""The generated record pages under ``/app/``: login, home, lists, records and forms."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from admin_ui.messages import name_of, say
from admin_ui.values import local_input, local_time, option_label, title_of
from plinth.errors import NotAuthenticated, NotFound, PermissionDenied, TooManyRequests

pages = Blueprint("pages", __name__, url_prefix="/app", template_folder="../templates")


def page_helpers() -> dict[str, Any]:
    """Helpers every page template may use (the builder's too)."""
    session = g.get("plinth_session")
    return {
        # Only metadata this request already read: an error page renders after the
        # session's transaction has ended.
        "compiled": session.__dict__.get("compiled") if session is not None else None,
        "title_of": title_of,
        "option_label": option_label,
        "local_time": local_time,
        "local_input": local_input,
        "say": say,
        "name_of": name_of,
    }


pages.context_processor(page_helpers)


@pages.app_template_global()
def with_args(**changes: str | None) -> str:
    """This page's URL with some query arguments changed (None removes one); the cursor
    is dropped unless given, since a new filter or sort starts from the first page."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    args.pop("cursor", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [value]
    endpoint = cast(str, request.endpoint)  # set: the request matched a page
    return url_for(endpoint, **(request.view_args or {}), **args)


def _login_first(exc: NotAuthenticated) -> ResponseReturnValue:
    if request.method == "GET":
        return redirect(url_for("pages.login", next=request.full_path.rstrip("?")))
    message = _("Your session has ended; log in again.")
    return render_template("app/error.html", message=message), 401


def _forbidden(exc: PermissionDenied) -> ResponseReturnValue:
    message = _("You may not do this.")
    return render_template("app/error.html", message=message, detail=say(exc.detail)), 403


def _not_found(exc: NotFound) -> ResponseReturnValue:
    return render_template("app/error.html", message=_("Not found."), detail=str(exc)), 404


def _too_many(exc: TooManyRequests) -> ResponseReturnValue:
    return render_template("app/error.html", message=str(exc)), 429


def error_pages(blueprint: Blueprint) -> None:
    """Show a blueprint's errors as pages (a missing login redirects to the login)."""
    blueprint.register_error_handler(NotAuthenticated, _login_first)
    blueprint.register_error_handler(PermissionDenied, _forbidden)
    blueprint.register_error_handler(NotFound, _not_found)
    blueprint.register_error_handler(TooManyRequests, _too_many)


error_pages(pages)

from admin_ui.pages import account, inbox, lists, records, transitions  # noqa: E402,F401  (routes)

"""Users and teams in the builder: plain forms over the users API's services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import available_timezones

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from admin_ui.builder import builder
from admin_ui.builder.context import admin_session
from plinth.auth.actor import ADMIN_ROLE
from plinth.auth.directory import everyone
from plinth.auth.people import (
    create_user_from,
    describe_team,
    describe_user,
    list_teams,
    list_users,
    save_team,
    update_user,
)
from plinth.errors import Conflict, ValidationError
from plinth.runtime.session import Session

PAGE_SIZE = 50


def _known_roles(s: Session) -> list[str]:
    return [ADMIN_ROLE, *sorted(name for name in s.compiled.docs("roles") if name != ADMIN_ROLE)]


def _ids(values: list[str]) -> list[int | str]:
    """Posted ids as numbers (anything else is passed on, and refused by the service)."""
    return [int(v) if v.isdecimal() and v.isascii() else v for v in values if v]


def _save(
    s: Session, call: Callable[[], object], conflict_field: str, conflict_text: str
) -> dict[str, list[str]] | None:
    """Run a service call in a savepoint; its errors by field, or None when it saved."""
    try:
        with s.savepoint():
            call()
    except ValidationError as exc:
        return exc.errors
    except Conflict:
        return {conflict_field: [conflict_text]}
    return None


# ---- users --------------------------------------------------------------------------------
@builder.get("/users")
def user_list() -> str:
    q = (request.args.get("q") or "").strip()
    after = request.args.get("after", type=int)
    with admin_session() as s:
        users, next_id = list_users(s.conn, True, q or None, PAGE_SIZE, after)
        return render_template("admin/users.html", users=users, q=q, next_id=next_id)


def _user_body(form: MultiDict[str, str], creating: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": (form.get("email") or "").strip(),
        "name": (form.get("name") or "").strip(),
        "roles": form.getlist("roles"),
        "teams": _ids(form.getlist("teams")),
        "active": form.get("active") == "on",
        "locale": form.get("locale") or "en",
        "time_zone": form.get("time_zone") or "UTC",
    }
    if form.get("password"):
        body["password"] = form["password"]
    if creating and body["active"]:
        body.pop("active")  # new users are active; only say so when they are not
    return body


def _user_page(
    s: Session, user: dict[str, Any], errors: dict[str, list[str]], user_id: int | None
) -> tuple[str, int]:
    page = render_template(
        "admin/user_form.html",
        user=user,
        user_id=user_id,
        errors=errors,
        roles=_known_roles(s),
        teams=list_teams(s.conn),
        zones=sorted(available_timezones()),
    )
    return page, 422 if errors else 200


def _shown(body: dict[str, Any]) -> dict[str, Any]:
    """What was typed, as the form shows a user (teams as ids, never the password)."""
    shown = {k: v for k, v in body.items() if k != "password"}
    shown.setdefault("active", True)
    shown["teams"] = [{"id": t} for t in body.get("teams", ())]
    return shown


@builder.route("/users/new", methods=["GET", "POST"])
def user_new() -> ResponseReturnValue:
    blank = {"active": True, "locale": "en", "time_zone": "UTC", "roles": [], "teams": []}
    with admin_session() as s:
        if request.method == "GET":
            return _user_page(s, blank, {}, None)
        body = _user_body(request.form, creating=True)
        created: dict[str, Any] = {}

        def call() -> None:
            created.update(create_user_from(s.conn, s.actor, body, _known_roles(s)))

        taken = _("A user with this email already exists.")
        errors = _save(s, call, "email", taken)
        if errors is not None:
            return _user_page(s, _shown(body), errors, None)
    flash(_("Saved."))
    return redirect(url_for("builder.user_edit", user_id=created["id"]))


@builder.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> ResponseReturnValue:
    with admin_session() as s:
        current = describe_user(s.conn, user_id, full=True)  # 404 when there is none
        if request.method == "GET":
            return _user_page(s, current, {}, user_id)
        body = _user_body(request.form, creating=False)

        def call() -> None:
            update_user(s.conn, s.actor, user_id, body, _known_roles(s))

        taken = _("A user with this email already exists.")
        errors = _save(s, call, "email", taken)
        if errors is not None:
            return _user_page(s, _shown(body), errors, user_id)
    flash(_("Saved."))
    return redirect(url_for("builder.user_edit", user_id=user_id))


# ---- teams --------------------------------------------------------------------------------
@builder.get("/teams")
def team_list() -> str:
    with admin_session() as s:
        users = {u["id"]: u for u in everyone(s.conn)}
        return render_template("admin/teams.html", teams=list_teams(s.conn), users=users)


def _team_page(
    s: Session, team: dict[str, Any], errors: dict[str, list[str]], team_id: int | None
) -> tuple[str, int]:
    page = render_template(
        "admin/team_form.html",
        team=team,
        team_id=team_id,
        errors=errors,
        users=everyone(s.conn),
    )
    return page, 422 if errors else 200


def _team_body(form: MultiDict[str, str]) -> dict[str, Any]:
    return {
        "name": (form.get("name") or "").strip(),
        "label": (form.get("label") or "").strip(),
        "members": _ids(form.getlist("members")),
    }


def _save_team(team_id: int | None) -> ResponseReturnValue:
    blank = {"name": "", "label": "", "members": []}
    with admin_session() as s:
        current = describe_team(s.conn, team_id) if team_id is not None else blank
        if request.method == "GET":
            return _team_page(s, current, {}, team_id)
        body = _team_body(request.form)
        saved: dict[str, Any] = {}

        def call() -> None:
            saved.update(save_team(s.conn, s.actor, body, team_id))

        errors = _save(s, call, "name", _("A team with this name already exists."))
        if errors is not None:
            return _team_page(s, body, errors, team_id)
    flash(_("Saved."))
    return redirect(url_for("builder.team_edit", team_id=saved["id"]))


@builder.route("/teams/new", methods=["GET", "POST"])
def team_new() -> ResponseReturnValue:
    return _save_team(None)


@builder.route("/teams/<int:team_id>", methods=["GET", "POST"])
def team_edit(team_id: int) -> ResponseReturnValue:
    return _save_team(team_id)

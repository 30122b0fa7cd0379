"""Users and teams. Administrators manage them; everyone may look users up (for pickers)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from plinth.api.auth import api_session, require_admin
from plinth.api.jsonio import json_body
from plinth.api.responses import int_arg, listing
from plinth.auth.people import (
    create_user_from,
    describe_team,
    describe_user,
    list_teams,
    list_users,
    save_team,
    update_user,
)
from plinth.errors import NotFound


def register(api: Blueprint) -> None:
    api.add_url_rule("/users", view_func=users, methods=["GET"])
    api.add_url_rule("/users", view_func=create_user, methods=["POST"])
    api.add_url_rule("/users/<id:user_id>", view_func=get_user, methods=["GET"])
    api.add_url_rule("/users/<id:user_id>", view_func=patch_user, methods=["PATCH"])
    api.add_url_rule("/teams", view_func=teams, methods=["GET"])
    api.add_url_rule("/teams", view_func=create_team, methods=["POST"])
    api.add_url_rule("/teams/<id:team_id>", view_func=get_team, methods=["GET"])
    api.add_url_rule("/teams/<id:team_id>", view_func=patch_team, methods=["PATCH"])


def _known_roles(session):
    return session.compiled.docs("roles").keys()


def users():
    with api_session() as s:
        limit = int_arg("limit", 100)
        after = int_arg("cursor", None, high=2**62)
        data, next_id = list_users(s.conn, s.actor.is_admin, request.args.get("q"), limit, after)
        return listing(data, str(next_id) if next_id else None)


def create_user():
    with api_session() as s:
        require_admin(s)
        created = create_user_from(s.conn, s.actor, json_body(), _known_roles(s))
        return jsonify(created), 201, {"Location": f"/api/v1/users/{created['id']}"}


def get_user(user_id: int):
    with api_session() as s:
        full = s.actor.is_admin or s.actor.id == user_id
        user = describe_user(s.conn, user_id, full)
        if not full and not user["active"]:
            raise NotFound(f"no user with id {user_id}")
        return jsonify(user)


def patch_user(user_id: int):
    with api_session() as s:
        require_admin(s)
        return jsonify(update_user(s.conn, s.actor, user_id, json_body(), _known_roles(s)))


def teams():
    with api_session() as s:
        return listing(list_teams(s.conn))


def create_team():
    with api_session() as s:
        require_admin(s)
        team = save_team(s.conn, s.actor, json_body())
        return jsonify(team), 201, {"Location": f"/api/v1/teams/{team['id']}"}


def get_team(team_id: int):
    with api_session() as s:
        return jsonify(describe_team(s.conn, team_id))


def patch_team(team_id: int):
    with api_session() as s:
        require_admin(s)
        return jsonify(save_team(s.conn, s.actor, json_body(), team_id))

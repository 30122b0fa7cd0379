"""Users and teams. Administrators manage them; everyone may look users up (for pickers)."""

from __future__ import annotations

from collections.abc import KeysView

from flask import Blueprint, Response

from plinth.api.contract import answer, listed, load_query
from plinth.api.endpoints import Endpoint, add_endpoints
from plinth.api.jsonio import json_body
from plinth.api.openapi.parts import listing_of
from plinth.api.queries import page_query
from plinth.auth.people import (
    create_user_from,
    describe_team,
    describe_user,
    list_teams,
    list_users,
    save_team,
    update_user,
)
from plinth.auth.schemas import NewUser, Team, TeamInput, User, UserInput
from plinth.auth.web_session import request_session, require_admin
from plinth.errors import NotFound
from plinth.runtime.session import Session
from plinth.schemas import QueryText

UserQuery = page_query(100, 1000, q=QueryText(metadata={"description": "name or email contains"}))


def register(api: Blueprint) -> None:
    add_endpoints(api, ENDPOINTS)


def _known_roles(session: Session) -> KeysView[str]:
    return session.compiled.docs("roles").keys()


def users() -> Response:
    with request_session() as s:
        args = load_query(UserQuery)
        page = list_users(
            s.conn, s.actor.is_admin, args.get("q"), args["limit"], args.get("cursor")
        )
        return listed(User, *page)


def create_user() -> Response:
    with request_session() as s:
        require_admin(s)
        created = create_user_from(s.conn, s.actor, json_body(), _known_roles(s))
        return answer(User, created, 201, {"Location": f"/api/v1/users/{created['id']}"})


def get_user(user_id: int) -> Response:
    with request_session() as s:
        full = s.actor.is_admin or s.actor.id == user_id
        user = describe_user(s.conn, user_id, full)
        if not full and not user["active"]:
            raise NotFound(f"no user with id {user_id}")
        return answer(User, user)


def patch_user(user_id: int) -> Response:
    with request_session() as s:
        require_admin(s)
        return answer(User, update_user(s.conn, s.actor, user_id, json_body(), _known_roles(s)))


def teams() -> Response:
    with request_session() as s:
        return listed(Team, list_teams(s.conn))


def create_team() -> Response:
    with request_session() as s:
        require_admin(s)
        team = save_team(s.conn, s.actor, json_body())
        return answer(Team, team, 201, {"Location": f"/api/v1/teams/{team['id']}"})


def get_team(team_id: int) -> Response:
    with request_session() as s:
        return answer(Team, describe_team(s.conn, team_id))


def patch_team(team_id: int) -> Response:
    with request_session() as s:
        require_admin(s)
        return answer(Team, save_team(s.conn, s.actor, json_body(), team_id))


TAG = "users"
ENDPOINTS = (
    Endpoint("/users", "GET", users, "Users (admins see every detail)", TAG,
             query=UserQuery, reply=listing_of(User)),
    Endpoint("/users", "POST", create_user, "Create a user (admin)", TAG,
             body=NewUser, reply=User, status=201),
    Endpoint("/users/<id:user_id>", "GET", get_user, "One user", TAG, reply=User),
    Endpoint("/users/<id:user_id>", "PATCH", patch_user, "Change a user (admin)", TAG,
             body=UserInput, reply=User),
    Endpoint("/teams", "GET", teams, "Teams", TAG, reply=listing_of(Team, paged=False)),
    Endpoint("/teams", "POST", create_team, "Create a team (admin)", TAG,
             body=TeamInput, reply=Team, status=201),
    Endpoint("/teams/<id:team_id>", "GET", get_team, "One team", TAG, reply=Team),
    Endpoint("/teams/<id:team_id>", "PATCH", patch_team, "Change a team (admin)", TAG,
             body=TeamInput, reply=Team),
)  # fmt: skip

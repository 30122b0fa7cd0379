"""Fixtures for API tests: an app with users, tokens and objects, and a small client."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import pytest
import sqlalchemy as sa

from plinth.auth.actor import SYSTEM
from plinth.auth.passwords import hash_password as real_hash_password
from plinth.auth.people import save_team
from plinth.auth.tokens import create_token
from plinth.auth.users import create_user
from plinth.metadata.publisher import Publisher, Put
from plinth.runtime import system_tables as st
from tests.docs import ASSET, SITE, doc

PASSWORD = "correct horse battery"


@dataclasses.dataclass
class Reply:
    status: int
    json: Any
    headers: Any

    @property
    def problem(self) -> dict:
        assert self.headers.get("Content-Type") == "application/problem+json", self.json
        return self.json


class Api:
    """A test client speaking JSON with one user's bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def request(self, method: str, path: str, json=None, headers=None, **kwargs) -> Reply:
        all_headers = dict(headers or {})
        if self.token:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        if json is not None:
            kwargs["json"] = json
        response = self.client.open(path, method=method, headers=all_headers, **kwargs)
        body = response.get_json(silent=True)
        return Reply(response.status_code, body, response.headers)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path, json=None, **kw):
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@functools.cache
def _hash_once(password: str) -> str:
    return real_hash_password(password)


@pytest.fixture
def people(app, monkeypatch):
    """Create users (with tokens) on demand: ``people("ann", roles=["engineer"])``.

    Argon2 is slow on purpose; the shared test password is hashed once per process.
    """
    monkeypatch.setattr("plinth.auth.users.hash_password", _hash_once)
    tenant = app.extensions["plinth"].tenant
    created: dict[str, dict] = {}

    def make(name: str, roles=(), teams=()) -> dict:
        with tenant.database.transaction(write=True) as conn:
            known = ["admin", *tenant.metadata.current(conn).docs("roles")]
            user = create_user(conn, f"{name}@example.com", PASSWORD, name.title(), roles, known)
            for team in teams:
                team_id = conn.scalar(sa.select(st.team.c.id).where(st.team.c.name == team))
                if team_id is None:
                    team_id = save_team(conn, SYSTEM, {"name": team})["id"]
                conn.execute(st.team_member.insert(), {"team_id": team_id, "user_id": user["id"]})
            token, _ = create_token(conn, user["id"], "test")
        user["token"] = token
        created[name] = user
        return user

    return make


@pytest.fixture
def admin(people) -> dict:
    return people("admin", roles=["admin"])


@pytest.fixture
def as_admin(client, admin) -> Api:
    return Api(client, admin["token"])


@pytest.fixture
def anonymous(client) -> Api:
    return Api(client, None)


@pytest.fixture
def as_user(client):
    def make(user: dict) -> Api:
        return Api(client, user["token"])

    return make


@pytest.fixture
def assets(app):
    """The site and asset objects, published."""
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish([Put("objects", doc(SITE)), Put("objects", doc(ASSET))])

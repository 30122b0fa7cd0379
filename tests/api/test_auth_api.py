"""Tokens, browser sessions with CSRF, login rate limiting, /me, users and teams."""

import pytest

from plinth.testing import PASSWORD, Api


def test_health_is_open_and_reports_database_and_queue(anonymous):
    reply = anonymous.get("/api/v1/health")
    assert (reply.status, reply.json) == (
        200,
        {"status": "ok", "database": "ok", "queue": "inline"},
    )


def test_token_exchange_use_and_revocation(anonymous, admin, client):
    reply = anonymous.post(
        "/api/v1/auth/token", {"email": "ADMIN@example.com", "password": PASSWORD}
    )
    assert reply.status == 201 and reply.json["token"].startswith("plt_")
    api = Api(client, reply.json["token"])
    me = api.get("/api/v1/me")
    assert (
        me.status == 200
        and me.json["email"] == "admin@example.com"
        and me.json["roles"] == ["admin"]
    )
    tokens = api.get("/api/v1/auth/tokens").json["data"]
    assert {t["name"] for t in tokens} == {"api", "test"}
    assert all("token_hash" not in t for t in tokens)
    assert api.delete("/api/v1/auth/token").status == 204
    again = api.get("/api/v1/me")
    assert again.status == 401 and again.problem["detail"].startswith("the token is invalid")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "admin@example.com", "password": "wrong password"}, 401, None),
        ({"email": "nobody@example.com", "password": PASSWORD}, 401, None),
        ({"email": "admin@example.com"}, 422, "password"),
        (
            {"email": "admin@example.com", "password": PASSWORD, "expires_in_days": 0},
            422,
            "expires_in_days",
        ),
        ({"email": "admin@example.com", "password": PASSWORD, "scope": "all"}, 422, "scope"),
        ({"email": "adm\x00in@example.com", "password": PASSWORD}, 422, "email"),  # fuzzer's find
        ({"email": "admin@example.com", "password": PASSWORD, "n\x00": 1}, 422, "n\x00"),
    ],
)
def test_bad_token_requests(anonymous, admin, body, status, field):
    reply = anonymous.post("/api/v1/auth/token", body)
    assert reply.status == status
    problem = reply.problem
    assert {"type", "title", "status", "detail"} <= set(problem) and problem["status"] == status
    if field:
        assert field in problem["errors"]


def test_repeated_failures_are_rate_limited(anonymous, admin):
    for _ in range(5):
        assert (
            anonymous.post(
                "/api/v1/auth/token", {"email": "admin@example.com", "password": "nope-nope"}
            ).status
            == 401
        )
    blocked = anonymous.post(
        "/api/v1/auth/token", {"email": "admin@example.com", "password": PASSWORD}
    )
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) > 0
    other = anonymous.post("/api/v1/auth/token", {"email": "someone@example.com", "password": "x"})
    assert other.status == 401  # the limit is per email (and per address, with a higher bound)


def test_missing_wrong_and_expired_credentials(anonymous, admin, client, app):
    assert anonymous.get("/api/v1/me").status == 401
    bad = Api(client, None).get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert bad.status == 401 and "Bearer" in bad.problem["detail"]
    assert Api(client, "plt_forged").get("/api/v1/me").status == 401
    import datetime as dt

    from plinth.auth.tokens import create_token

    tenant = app.extensions["plinth"].tenant
    with tenant.database.transaction(write=True) as conn:
        expired, _ = create_token(
            conn, admin["id"], "old", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        )
    assert Api(client, expired).get("/api/v1/me").status == 401


def test_browser_session_needs_csrf_for_unsafe_requests(client, admin):
    login = client.post(
        "/api/v1/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200
    csrf = login.get_json()["csrf_token"]
    assert client.get("/api/v1/me").status_code == 200  # the cookie is enough to read
    refused = client.patch("/api/v1/me", json={"name": "A"})
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.get_json()["detail"]
    ok = client.patch("/api/v1/me", json={"name": "A"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.get_json()["name"] == "A"
    # Changing the password ends every cookie session of the user.
    changed = client.patch(
        "/api/v1/me",
        json={"password": "another long password", "current_password": PASSWORD},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_logout(client, admin):
    login = client.post(
        "/api/v1/auth/login", json={"email": "admin@example.com", "password": PASSWORD}
    )
    csrf = login.get_json()["csrf_token"]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


def test_me_validates_what_users_change_about_themselves(people, as_user):
    api = as_user(people("ann"))
    assert (
        api.patch("/api/v1/me", {"time_zone": "Asia/Shanghai", "locale": "zh-CN"}).json["locale"]
        == "zh-CN"
    )
    assert "time_zone" in api.patch("/api/v1/me", {"time_zone": "Mars/Base"}).problem["errors"]
    assert "roles" in api.patch("/api/v1/me", {"roles": ["admin"]}).problem["errors"]
    wrong = api.patch("/api/v1/me", {"password": "new long password", "current_password": "guess"})
    assert "current_password" in wrong.problem["errors"]


def test_users_and_teams_are_managed_by_admins(as_admin, people, as_user):
    ann = people("ann")
    team = as_admin.post(
        "/api/v1/teams", {"name": "north", "label": "North", "members": [ann["id"]]}
    )
    assert team.status == 201 and team.json["members"] == [ann["id"]]
    created = as_admin.post(
        "/api/v1/users",
        {
            "email": "bob@example.com",
            "password": "long enough pw",
            "roles": ["admin"],
            "teams": ["north"],
        },
    )
    assert (
        created.status == 201
        and created.headers["Location"] == f"/api/v1/users/{created.json['id']}"
    )
    assert created.json["teams"] == [{"id": team.json["id"], "name": "north"}]
    duplicate = as_admin.post("/api/v1/users", {"email": "BOB@example.com"})
    assert duplicate.status == 409
    assert (
        as_admin.post("/api/v1/users", {"email": "x@example.com", "roles": ["wizard"]}).status
        == 422
    )
    changed = as_admin.patch(f"/api/v1/users/{ann['id']}", {"active": False})
    assert changed.json["active"] is False
    assert as_user(ann).get("/api/v1/me").status == 401  # deactivated: the token stops working
    carol = as_user(people("carol"))
    assert carol.post("/api/v1/users", {"email": "z@example.com"}).status == 403
    assert carol.patch(f"/api/v1/users/{ann['id']}", {"active": True}).status == 403
    listed = carol.get("/api/v1/users").json["data"]
    assert all(set(u) == {"id", "email", "name", "active"} for u in listed)
    assert ann["id"] not in {u["id"] for u in listed}  # inactive users are not offered
    assert as_admin.get("/api/v1/teams").json["data"][0]["name"] == "north"


def test_audit_log_records_authentication_and_metadata(
    as_admin, anonymous, admin, assets, as_user, people
):
    anonymous.post("/api/v1/auth/token", {"email": "admin@example.com", "password": "bad password"})
    events = [e["event"] for e in as_admin.get("/api/v1/audit?limit=50").json["data"]]
    assert "auth.login_failed" in events and "metadata.publish" in events
    assert as_user(people("dan")).get("/api/v1/audit").status == 403

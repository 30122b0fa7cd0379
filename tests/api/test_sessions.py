"""Browser sessions live on the server: logout, a new password or deactivation end them
everywhere, and they end after an idle and an absolute lifetime. Cookies and pages carry
the flags and headers that keep them out of other sites' hands."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from plinth.testing import PASSWORD, Api

LOGIN = "/api/v1/auth/login"


def _login(client, email="admin@example.com"):
    reply = client.post(LOGIN, json={"email": email, "password": PASSWORD})
    assert reply.status_code == 200, reply.get_json()
    return reply.get_json()["csrf_token"]


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_copied_cookie_stops_working_after_logout(app, admin):
    browser, thief = app.test_client(), app.test_client()
    csrf = _login(browser)
    thief.set_cookie("session", _cookie(browser))
    assert thief.get("/api/v1/me").status_code == 200  # a stolen cookie works until...
    assert browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert thief.get("/api/v1/me").status_code == 401  # ...the owner logs out
    assert browser.get("/api/v1/me").status_code == 401


def test_logout_everywhere_ends_every_session_of_the_user(app, admin):
    phone, laptop = app.test_client(), app.test_client()
    _login(phone)
    csrf = _login(laptop)
    listed = laptop.get("/api/v1/auth/sessions").get_json()["data"]
    assert len(listed) == 2 and "key_hash" not in listed[0]
    reply = laptop.post(
        "/api/v1/auth/logout", json={"everywhere": True}, headers={"X-CSRF-Token": csrf}
    )
    assert reply.status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 401


def test_deactivation_ends_sessions_for_good(app, admin, people, as_admin):
    ann = people("ann")
    browser = app.test_client()
    _login(browser, "ann@example.com")
    assert browser.get("/api/v1/me").status_code == 200
    assert as_admin.patch(f"/api/v1/users/{ann['id']}", {"active": False}).status == 200
    assert browser.get("/api/v1/me").status_code == 401
    # Reactivating the account does not bring the old session back.
    assert as_admin.patch(f"/api/v1/users/{ann['id']}", {"active": True}).status == 200
    browser.set_cookie("session", _cookie_after_login_of(app, "ann@example.com"))
    assert browser.get("/api/v1/me").status_code == 200  # a new login works


def _cookie_after_login_of(app, email):
    fresh = app.test_client()
    _login(fresh, email)
    return _cookie(fresh)


def test_an_admin_setting_a_new_password_ends_the_users_sessions(app, admin, people, as_admin):
    ann = people("ann")
    browser = app.test_client()
    _login(browser, "ann@example.com")
    reply = as_admin.patch(f"/api/v1/users/{ann['id']}", {"password": "a brand new passphrase"})
    assert reply.status == 200
    assert browser.get("/api/v1/me").status_code == 401


def test_sessions_end_when_idle_and_after_their_absolute_lifetime(
    plinth_settings, tenant, monkeypatch
):
    from plinth.app import create_app
    from plinth.testing import hash_once

    monkeypatch.setattr("plinth.auth.users.hash_password", hash_once)
    app = create_app({**plinth_settings, "SESSION_IDLE_MINUTES": 30, "SESSION_MAX_HOURS": 2})
    try:
        _make_admin(app)
        start = dt.datetime.now(dt.UTC)
        with time_machine.travel(start, tick=False) as clock:
            idle = app.test_client()
            _login(idle)
            clock.shift(dt.timedelta(minutes=29))
            assert idle.get("/api/v1/me").status_code == 200  # used: the idle clock restarts
            clock.shift(dt.timedelta(minutes=29))
            assert idle.get("/api/v1/me").status_code == 200
            clock.shift(dt.timedelta(minutes=31))
            assert idle.get("/api/v1/me").status_code == 401  # unused for 31 minutes

            busy = app.test_client()
            _login(busy)
            for _ in range(7):  # used every 20 minutes for 2 h 20 min
                clock.shift(dt.timedelta(minutes=20))
                status = busy.get("/api/v1/me").status_code
            assert status == 401  # however active, it ends 2 h after the login
    finally:
        app.extensions["plinth"].tenant.dispose()


def _make_admin(app):
    from plinth.auth.users import create_user

    tenant = app.extensions["plinth"].tenant
    with tenant.database.transaction(write=True) as conn:
        create_user(conn, "admin@example.com", PASSWORD, "Admin", ["admin"], ["admin"])


def test_the_session_cookie_is_lax_http_only_and_secure_behind_https(
    plinth_settings, tenant, app, admin
):
    login_cookie = app.test_client().post(
        LOGIN, json={"email": "admin@example.com", "password": PASSWORD}
    )
    header = login_cookie.headers["Set-Cookie"]
    assert "SameSite=Lax" in header and "HttpOnly" in header and "Secure" not in header

    from plinth.app import create_app

    secure = create_app({**plinth_settings, "PUBLIC_URL": "https://fsm.example.com"})
    try:
        reply = secure.test_client().post(
            LOGIN, json={"email": "admin@example.com", "password": PASSWORD}
        )
        assert "Secure" in reply.headers["Set-Cookie"]
    finally:
        secure.extensions["plinth"].tenant.dispose()


@pytest.mark.parametrize("path", ["/app/login", "/", "/api/v1/docs", "/api/v1/health"])
def test_no_page_may_be_framed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if response.mimetype == "text/html":
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_an_api_token_keeps_working_when_browser_sessions_end(app, admin):
    browser = app.test_client()
    csrf = _login(browser)
    browser.post("/api/v1/auth/logout", json={"everywhere": True}, headers={"X-CSRF-Token": csrf})
    assert Api(app.test_client(), admin["token"]).get("/api/v1/me").status == 200

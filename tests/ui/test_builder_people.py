"""The builder's users and teams pages: the users API's services behind forms."""

from __future__ import annotations

import re

import pytest

from plinth.metadata.publisher import Publisher, Put

VIEWER = {"name": "viewer", "objects": {"asset": {"read": "all"}}}


@pytest.fixture
def viewer_role(app, assets):
    Publisher(app.extensions["plinth"].tenant).publish([Put("roles", VIEWER)])


def _id_in(location: str, prefix: str) -> int:
    found = re.search(rf"{prefix}/(\d+)$", location)
    assert found, location
    return int(found.group(1))


def test_admin_creates_a_team_and_a_user_then_edits_the_user(browser, admin, viewer_role):
    browser.login("admin@example.com")
    assert 'name="members"' in browser.text(browser.get("/admin/teams/new"))
    team = browser.post("/admin/teams/new", {"name": "north", "label": "North crew"})
    assert team.status_code == 302
    team_id = _id_in(team.headers["Location"], "/admin/teams")

    form = browser.text(browser.get("/admin/users/new"))
    assert 'value="viewer"' in form and f'value="{team_id}"' in form and "North crew" in form
    created = browser.post(
        "/admin/users/new",
        {"email": "Bea@Example.com", "name": "Bea", "password": "long enough secret",
         "roles": "viewer", "teams": str(team_id), "active": "on", "locale": "zh-CN",
         "time_zone": "Asia/Shanghai"},
    )  # fmt: skip
    assert created.status_code == 302
    user_id = _id_in(created.headers["Location"], "/admin/users")
    page = browser.text(browser.get(created.headers["Location"]))
    assert "Saved." in page and 'value="bea@example.com"' in page
    assert re.search(r'value="viewer"\s+checked', page)
    assert re.search(rf'value="{team_id}"\s+checked', page)
    assert '<option value="zh-CN" selected>' in page and "<option selected>Asia/Shanghai" in page
    assert "argon2" not in page and "long enough secret" not in page

    listing = browser.text(browser.get("/admin/users?q=bea"))
    assert "bea@example.com" in listing and "north" in listing and "viewer" in listing
    assert "admin@example.com" not in listing

    edited = browser.post(
        f"/admin/users/{user_id}",
        {"email": "bea@example.com", "name": "Beatrice", "locale": "en", "time_zone": "UTC"},
    )
    assert edited.status_code == 302
    page = browser.text(browser.get(f"/admin/users/{user_id}"))
    assert 'value="Beatrice"' in page and not re.search(r'value="viewer"\s+checked', page)
    assert not re.search(r'id="user-active"[^>]*checked', page)  # unticked: inactive now
    teams = browser.text(browser.get("/admin/teams"))
    assert "North crew" in teams and "No members" in teams


def test_bad_and_duplicate_emails_are_shown_on_the_input(browser, admin, people):
    people("carl")
    browser.login("admin@example.com")
    browser.get("/admin/users/new")
    bad = browser.post("/admin/users/new", {"email": "not an email", "name": "Typed name"})
    page = browser.text(bad)
    assert bad.status_code == 422
    assert 'id="user-email-error"' in page and 'aria-describedby="user-email-error"' in page
    assert 'value="Typed name"' in page and 'value="not an email"' in page
    taken = browser.post("/admin/users/new", {"email": "carl@example.com", "name": "Dup"})
    assert taken.status_code == 422
    assert "A user with this email already exists." in browser.text(taken)
    short = browser.post("/admin/users/new", {"email": "dora@example.com", "password": "short"})
    assert short.status_code == 422 and 'id="user-password-error"' in browser.text(short)
    listing = browser.text(browser.get("/admin/users"))
    assert "dora@example.com" not in listing  # the failed create left nothing behind


def test_an_admin_cannot_demote_themselves_and_a_team_name_is_checked(browser, admin):
    browser.login("admin@example.com")
    browser.get(f"/admin/users/{admin['id']}")
    response = browser.post(
        f"/admin/users/{admin['id']}",
        {"email": "admin@example.com", "name": "Admin", "active": "on", "locale": "en",
         "time_zone": "UTC"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "you cannot remove your own admin role" in browser.text(response)
    bad = browser.post("/admin/teams/new", {"name": "Bad Name", "label": "Kept label"})
    page = browser.text(bad)
    assert bad.status_code == 422 and 'id="team-name-error"' in page
    assert 'value="Kept label"' in page


def test_only_administrators_see_people(browser, people, client):
    people("eve")
    response = browser.get("/admin/users")
    assert response.status_code == 302 and "/app/login" in response.headers["Location"]
    browser.login("eve@example.com")
    assert browser.get("/admin/users").status_code == 403
    assert browser.get("/admin/teams").status_code == 403
    refused = browser.post("/admin/users/new", {"email": "x@example.com"})
    assert refused.status_code == 403

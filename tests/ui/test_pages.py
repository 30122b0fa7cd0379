"""The generated record pages through the Flask test client, on both databases."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest


def test_pages_ask_for_a_login_and_refuse_a_wrong_password(browser, admin):
    response = browser.get("/app/asset")
    assert response.status_code == 302
    assert "/app/login?next=/app/asset" in response.headers["Location"]
    page = browser.text(browser.get("/app/login"))
    for name in ('name="email"', 'name="password"', 'name="csrf_token"'):
        assert name in page
    wrong = browser.login("admin@example.com", "not the password")
    assert wrong.status_code == 401 and "Wrong email or password" in browser.text(wrong)
    right = browser.login("admin@example.com")
    assert right.status_code == 302 and right.headers["Location"].endswith("/app/")


def test_a_login_never_redirects_off_site(browser, admin):
    browser.get("/app/login")
    response = browser.post(
        "/app/login",
        {"email": "admin@example.com", "password": "correct horse battery",
         "next": "//evil.example/x"},
    )  # fmt: skip
    assert response.headers["Location"].endswith("/app/")


def test_a_form_post_without_the_token_is_refused(browser, admin, assets):
    browser.login("admin@example.com")
    response = browser.client.post("/app/site/new", data={"name": "No token"})
    assert response.status_code == 403


def test_home_lists_readable_objects_and_the_list_pages_sort_filter_and_page(
    browser, admin, assets, records
):
    site = records("create", "site", {"name": "Depot", "city": "Shanghai"})
    for n in range(7):
        records("create", "asset", {"serial": f"K{n}x", "grade": "ab"[n % 2], "site": site["id"]})
    browser.login("admin@example.com")
    home = browser.text(browser.get("/app/"))
    assert "/app/asset" in home and "/app/site" in home
    page = browser.text(browser.get("/app/asset?sort=serial&limit=3"))
    assert page.index("K0x") < page.index("K1x") < page.index("K2x") and "K3x" not in page
    assert "Next page" in page and "Depot" in page  # the lookup shows its target's title
    filtered = browser.text(browser.get("/app/asset?grade__in=b&grade__in=a&sort=-serial"))
    assert filtered.index("K6x") < filtered.index("K0x")
    only_b = browser.text(browser.get("/app/asset?grade__in=b"))
    assert "K1x" in only_b and "K0x" not in only_b
    bad = browser.get("/app/asset?qty__gte=many")
    assert bad.status_code == 200 and "qty__gte" in browser.text(bad)


def test_export_follows_the_filter(browser, admin, assets, records):
    for n in range(3):
        records("create", "asset", {"serial": f"=X{n}", "grade": "ab"[n % 2]})
    browser.login("admin@example.com")
    csv_text = browser.text(browser.get("/app/asset?grade__in=a&export=csv"))
    lines = csv_text.lstrip("\ufeff").strip().splitlines()
    assert len(lines) == 3 and "'=X0" in csv_text  # header + 2 rows; formulas defused
    xlsx = browser.get("/app/asset?grade__in=b&export=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.values)
    assert len(rows) == 2 and "'=X1" in rows[1]


@pytest.mark.parametrize(
    ("text", "defused"),
    [
        ("=1+2", True),
        ('  =HYPERLINK("http://x")', True),
        ("\n=cmd", True),
        ("\t@SUM(A1)", True),
        ("\u3000＝SUM(A1:A9)", True),
        ("＋1", True),
        ("－1", True),
        ("＠A1", True),
        ("-3", True),
        ("plain text", False),
        ("a=b", False),
        ("", False),
    ],
)
def test_export_defuses_formulas_however_they_are_disguised(text, defused):
    from admin_ui.exports import _safe_text

    assert _safe_text(text) == ("'" + text if defused else text)


def test_create_shows_errors_on_fields_and_keeps_what_was_typed(browser, admin, assets):
    browser.login("admin@example.com")
    browser.get("/app/asset/new")
    bad = browser.post("/app/asset/new", {"serial": "", "qty": "lots"})
    page = browser.text(bad)
    assert bad.status_code == 422
    assert 'id="f-qty-error"' in page and 'value="lots"' in page
    good = browser.post("/app/asset/new", {"serial": "A-1", "qty": "5", "grade": "b"})
    assert good.status_code == 302
    record_page = browser.text(browser.get(good.headers["Location"]))
    assert "A-1" in record_page and "AS-00001" in record_page


def test_a_stale_save_names_the_change_and_keeps_the_typed_values(browser, admin, assets, records):
    asset = records("create", "asset", {"serial": "B-1", "qty": 1})
    browser.login("admin@example.com")
    browser.get(f"/app/asset/{asset['id']}/edit")
    records("update", "asset", asset["id"], {"qty": 2})  # someone else saves meanwhile
    response = browser.post(
        f"/app/asset/{asset['id']}/edit", {"serial": "B-1", "qty": "9", "version": "1"}
    )
    page = browser.text(response)
    assert response.status_code == 409
    assert "Someone saved this record" in page and 'value="9"' in page


def test_the_language_switch_is_kept_in_the_profile(browser, admin, assets):
    browser.login("admin@example.com")
    browser.get("/app/")
    browser.post("/app/preferences", {"locale": "zh-CN", "next": "/app/"})
    page = browser.text(browser.get("/app/asset"))
    assert "设备" in page and "新建" in page
    other = type(browser)(browser.client.application.test_client())
    other.login("admin@example.com")
    assert 'lang="zh-CN"' in other.text(other.get("/app/"))


def _text(html: str) -> str:
    return re.sub(r"<[^>]*>", " ", html)


def test_a_restricted_role_does_not_see_hidden_fields(browser, people, app, records):
    from plinth.metadata.publisher import Publisher, Put
    from tests.docs import ASSET, SITE, doc

    role = {
        "name": "viewer",
        "objects": {
            "asset": {"read": "all", "fields": {"qty": "none", "grade": "read"}},
            "site": {"read": "all"},
        },
    }
    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish(
        [Put("objects", doc(SITE)), Put("objects", doc(ASSET)), Put("roles", role)]
    )
    asset = records("create", "asset", {"serial": "C-1", "qty": 987})
    people("vic", roles=["viewer"])
    browser.login("vic@example.com")
    page = browser.text(browser.get(f"/app/asset/{asset['id']}"))
    # The page's text without its tags (a random CSRF token in an attribute may hold 987).
    assert "C-1" in page and 'data-field="qty"' not in page and "987" not in _text(page)
    assert browser.get("/app/asset/new").status_code == 403
    listing = browser.text(browser.get("/app/asset"))
    assert "C-1" in listing and "987" not in _text(listing)


def test_workflow_buttons_fire_transitions_and_ask_for_required_fields(
    browser, people, app, records
):
    from plinth.metadata.publisher import Publisher, Put
    from tests.workflow.ticket_flow import ROLES, TICKET, WORKFLOW

    tenant = app.extensions["plinth"].tenant
    Publisher(tenant).publish(
        [Put("objects", TICKET), Put("workflows", WORKFLOW), *(Put(k, d) for k, d in ROLES)]
    )
    ticket = records("create", "ticket", {"title": "Printer jam"})
    people("amy", roles=["agent"])
    browser.login("amy@example.com")
    edit = browser.text(browser.get(f"/app/ticket/{ticket['id']}/edit"))
    assert 'name="status"' not in edit  # the state changes only through transitions
    page = browser.text(browser.get(f"/app/ticket/{ticket['id']}"))
    assert ">Start</button>" in page
    started = browser.post(f"/app/ticket/{ticket['id']}/transitions/start", {"version": "1"})
    assert started.status_code == 302
    page = browser.text(browser.get(f"/app/ticket/{ticket['id']}"))
    assert "Timeline" in page and "<strong>open</strong>" in page
    finish = f"/app/ticket/{ticket['id']}/transitions/finish"
    assert f'href="{finish}"' in page  # finish opens its form: it requires a field
    form = browser.text(browser.get(finish))
    assert 'name="resolution" type="text" value="" required' in form
    refused = browser.post(finish, {"resolution": ""})
    assert refused.status_code == 422  # the form again, the problem on its field
    assert '<p class="field-error" id="f-resolution-error">is required to Finish</p>' in (
        browser.text(refused)
    )
    browser.post(f"/app/ticket/{ticket['id']}/transitions/finish", {"resolution": "Cleared"})
    assert records("get", "ticket", ticket["id"])["status"] == "done"


def test_saved_views_belong_to_their_user(browser, admin, people, assets, records):
    records("create", "asset", {"serial": "V1x", "grade": "b"})
    records("create", "asset", {"serial": "V2x", "grade": "a"})
    browser.login("admin@example.com")
    browser.get("/app/asset?grade__in=b")
    saved = browser.post(
        "/app/asset/views", {"name": "Grade B", "query": "grade__in=b&cursor=abc&export=csv"}
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith("?grade__in=b")
    page = browser.text(browser.get("/app/asset"))
    assert "Grade B" in page and "?grade__in=b" in page
    bad = browser.post("/app/asset/views", {"name": "Broken", "query": "qty__gte=many"})
    assert bad.status_code == 302
    assert "Broken" not in browser.text(browser.get("/app/asset"))
    people("bob", roles=["admin"])
    other = type(browser)(browser.client.application.test_client())
    other.login("bob@example.com")
    assert "Grade B" not in other.text(other.get("/app/asset"))
    view_id = int(page.split("/app/asset/views/")[1].split("/")[0])
    assert other.post(f"/app/asset/views/{view_id}/delete").status_code == 404
    browser.post(f"/app/asset/views/{view_id}/delete")
    assert "Grade B" not in browser.text(browser.get("/app/asset"))


def test_bulk_actions_change_all_selected_records_or_none(browser, admin, assets, records):
    first = records("create", "asset", {"serial": "W1x", "grade": "a", "qty": 1})
    second = records("create", "asset", {"serial": "W2x", "grade": "a", "qty": 2})
    browser.login("admin@example.com")
    page = browser.text(browser.get("/app/asset"))
    assert 'value="set:grade:b"' in page and 'value="delete"' in page
    ids = [str(first["id"]), str(second["id"])]
    done = browser.post("/app/asset/bulk", {"ids": ids, "action": "set:grade:b"})
    assert done.status_code == 302
    assert {records("get", "asset", int(i))["grade"] for i in ids} == {"b"}
    refused = browser.post("/app/asset/bulk", {"ids": ids, "action": "set:qty:5"})
    assert refused.status_code == 302
    assert "not an action" in browser.text(browser.get("/app/asset"))
    site = records("create", "site", {"name": "Kept"})
    records("update", "asset", first["id"], {"site": site["id"]})
    sites = browser.post("/app/site/bulk", {"ids": [str(site["id"])], "action": "delete"})
    assert sites.status_code == 302
    assert "refused" in browser.text(browser.get("/app/site"))  # restrict: an asset points here
    assert records("get", "site", site["id"])["name"] == "Kept"
    gone = browser.post("/app/asset/bulk", {"ids": ids, "action": "delete"})
    assert gone.status_code == 302
    assert "W1x" not in browser.text(browser.get("/app/asset"))


def test_a_login_refuses_backslash_and_control_character_redirects(browser, admin):
    for target in ("/\\evil.example", "/\t/evil.example"):
        browser.get("/app/login")
        data = {"email": "admin@example.com", "password": "correct horse battery", "next": target}
        response = browser.post("/app/login", data)
        assert response.headers["Location"].endswith("/app/"), target


def test_the_pages_logout_ends_the_session_on_the_server(app, admin, browser):
    """A copy of the cookie stops working once its owner logs out."""
    browser.login("admin@example.com")
    copy = app.test_client()
    copy.set_cookie("session", browser.client.get_cookie("session").value)
    assert copy.get("/app/").status_code == 200
    page = browser.text(browser.get("/app/preferences"))
    assert "data-logout-everywhere" in page and "data-session" in page
    assert browser.post("/app/logout", {}).status_code == 302
    assert copy.get("/app/").status_code == 302  # back to the login


def test_the_login_page_says_how_long_to_wait_in_the_users_language(browser, admin):
    import datetime as dt

    import time_machine

    from plinth.auth.login import PAIR_FREE
    from plinth.testing import PASSWORD

    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        for _ in range(PAIR_FREE):
            browser.login("admin@example.com", "wrong")
        page = browser.login("admin@example.com")
        assert page.status_code == 429 and page.headers["Retry-After"] == "30"
        assert "Try again in 30 seconds" in browser.text(page)
        browser.get("/app/login", headers={"Accept-Language": "zh-CN"})
        chinese = browser.post(
            "/app/login",
            {"email": "admin@example.com", "password": PASSWORD},
            headers={"Accept-Language": "zh-CN"},
        )
        assert chinese.status_code == 429 and "请 30 秒后再试" in browser.text(chinese)


@pytest.mark.parametrize(
    ("agent", "name"),
    [
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40",
            "WeChat · iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge · Windows",
        ),
        ("curl/8.5.0", "curl/8.5.0"),
        ("", "?"),
    ],
)
def test_sessions_are_listed_by_a_name_a_person_recognises(agent, name):
    from admin_ui.pages.account import device_name

    assert device_name(agent) == name

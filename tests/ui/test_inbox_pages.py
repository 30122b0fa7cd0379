"""The notification bell's panel and the inbox (/app/inbox) through the Flask test client,
on both databases: a user's own notifications only, in their language, queues, paging,
opening one (marks it read, goes to its record), marking all read, CSRF on each POST."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from plinth.metadata.publisher import Publisher, Put
from plinth.rules.notifications import notify_users
from plinth.runtime import system_tables as st

TICKET = {
    "name": "ticket",
    "label": {"en": "Ticket", "zh-CN": "工单"},
    "title_field": "title",
    "fields": [{"name": "title", "type": "text"}],
}
ESCALATE = {
    "name": "escalate",
    "label": {"en": "Escalate", "zh-CN": "升级"},
    "object": "ticket",
    "trigger": {"type": "on_create"},
    "actions": [
        {
            "type": "notify",
            "to": ["owner"],
            "queue": "escalations",
            "queue_label": {"en": "Escalations", "zh-CN": "升级单"},
            "title": {"en": "Escalated: {{ record.title }}", "zh-CN": "已升级：{{ record.title }}"},
            "message": {"en": "It is late", "zh-CN": "已逾期"},
        }
    ],
}
OPEN = re.compile(r'action="/app/inbox/(\d+)/open"')


def _tenant(app):
    return app.extensions["plinth"].tenant


def _setup(app, people, as_user):
    """Ann (who owns two tickets, so has two escalations) and Ben (who has none)."""
    Publisher(_tenant(app)).publish([Put("objects", TICKET), Put("automations", ESCALATE)])
    ann, ben = people("ann", roles=["admin"]), people("ben", roles=["admin"])
    api = as_user(ann)
    tickets = [api.post("/api/v1/records/ticket", {"title": t}).json for t in ("Pump", "Valve")]
    return ann, ben, tickets


def _unread(app, user_id: int) -> int:
    n = st.notification
    with _tenant(app).database.transaction() as conn:
        query = sa.select(sa.func.count()).where(n.c.user_id == user_id, n.c.read_at.is_(None))
        return int(conn.scalar(query) or 0)


def test_the_bell_is_in_the_header_of_a_signed_in_users_pages(browser, app, people, as_user):
    _setup(app, people, as_user)
    assert "data-bell" not in browser.text(browser.get("/app/login"))
    browser.login("ann@example.com")
    for path in ("/app/", "/app/ticket", "/app/preferences", "/app/inbox"):
        page = browser.text(browser.get(path))
        assert 'data-bell data-count-url="/api/v1/notifications?unread=true&amp;limit=1"' in page
        assert 'data-panel-url="/app/inbox/panel"' in page and 'aria-controls="nb-panel"' in page


def test_the_panel_shows_the_newest_with_their_records_in_the_users_language(
    browser, app, people, as_user
):
    _ann, _ben, tickets = _setup(app, people, as_user)
    assert browser.get("/app/inbox/panel").status_code == 401  # no login page for a script
    browser.login("ann@example.com")
    panel = browser.text(browser.get("/app/inbox/panel"))
    assert 'data-unread="2"' in panel
    assert panel.index("Escalated: Valve") < panel.index("Escalated: Pump")  # newest first
    assert panel.count('class="nb-item unread"') == 2 and "It is late" in panel
    assert 'Ticket <span class="nb-record">Pump</span>' in panel  # the title, not the id
    assert f"#{tickets[0]['id']}" not in panel
    assert "Escalations" in panel and "Mark all read" in panel and 'href="/app/inbox"' in panel
    browser.post("/app/preferences", {"locale": "zh-CN", "time_zone": "Asia/Shanghai"})
    chinese = browser.text(browser.get("/app/inbox/panel"))
    assert "已升级：Valve" in chinese and "已逾期" in chinese and "升级单" in chinese
    assert '工单 <span class="nb-record">Pump</span>' in chinese
    assert "全部标为已读" in chinese and "通知" in chinese


def test_opening_one_marks_it_read_and_goes_to_its_record(browser, app, people, as_user):
    ann, ben, tickets = _setup(app, people, as_user)
    browser.login("ann@example.com")
    panel = browser.text(browser.get("/app/inbox/panel"))
    newest = OPEN.findall(panel)[0]
    no_token = browser.client.post(f"/app/inbox/{newest}/open", data={})
    assert no_token.status_code == 403 and _unread(app, ann["id"]) == 2
    opened = browser.post(f"/app/inbox/{newest}/open")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/app/ticket/{tickets[1]['id']}")
    assert _unread(app, ann["id"]) == 1
    assert 'data-unread="1"' in browser.text(browser.get("/app/inbox/panel"))
    other = OPEN.findall(panel)[1]
    browser.client.post("/app/logout", data={"csrf_token": browser.csrf})
    browser.login("ben@example.com")
    browser.get("/app/inbox")
    assert browser.post(f"/app/inbox/{other}/open").status_code == 404  # not his
    assert "No notifications." in browser.text(browser.get("/app/inbox"))
    assert _unread(app, ann["id"]) == 1


def test_the_inbox_pages_and_filters_by_unread_and_by_queue(browser, app, people, as_user):
    ann, _ben, _tickets = _setup(app, people, as_user)
    now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    with _tenant(app).database.transaction(write=True) as conn:
        for n in range(22):
            at = now + dt.timedelta(minutes=n)
            notify_users(conn, [ann["id"]], f"Stock {n:02}", "", None, None, "automation:stock", at)
        stock = st.notification.c.title.like("Stock%")
        conn.execute(st.notification.update().where(stock), {"read_at": now})
    browser.login("ann@example.com")
    first = browser.text(browser.get("/app/inbox"))
    assert first.count('class="nb-item') == 20 and "Next page" in first
    assert "Stock 21" in first and "Escalated: Pump" not in first  # the newest first
    cursor = re.search(r'href="/app/inbox\?cursor=(\d+)"', first).group(1)
    second = browser.text(browser.get(f"/app/inbox?cursor={cursor}"))
    assert second.count('class="nb-item') == 4 and "First page" in second
    assert "Escalated: Pump" in second and "Stock 21" not in second
    assert 'data-queue-filter="escalations"' in first and 'data-queue-filter="stock"' in first
    queue = browser.text(browser.get("/app/inbox?queue=escalations"))
    assert queue.count('class="nb-item') == 2 and 'data-queue="stock"' not in queue
    assert "<h1>Inbox · Escalations</h1>" in queue
    unread = browser.text(browser.get("/app/inbox?unread=1"))
    assert unread.count('class="nb-item unread"') == 2 and 'data-queue="stock"' not in unread
    none = browser.text(browser.get("/app/inbox?unread=1&queue=stock"))
    assert "No notifications match." in none
    assert browser.get("/app/inbox?cursor=99999999999999999999999").status_code == 200


def test_mark_all_read_goes_back_to_the_page_it_was_asked_on(browser, app, people, as_user):
    ann, _ben, _tickets = _setup(app, people, as_user)
    browser.login("ann@example.com")
    browser.get("/app/inbox")
    assert browser.client.post("/app/inbox/read_all", data={"next": "/app/"}).status_code == 403
    back = browser.post("/app/inbox/read_all", {"next": "/app/ticket"})
    assert back.status_code == 302 and back.headers["Location"].endswith("/app/ticket")
    assert _unread(app, ann["id"]) == 0
    assert "2 notification(s) marked read." in browser.text(browser.get("/app/ticket"))
    off_site = browser.post("/app/inbox/read_all", {"next": "//evil.example/"})
    assert off_site.headers["Location"].endswith("/app/")


def test_the_bells_poll_does_not_keep_an_idle_session_alive(browser, app, people, as_user):
    _setup(app, people, as_user)
    browser.login("ann@example.com")
    b = st.browser_session
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)

    def last_seen_after(headers: dict[str, str]) -> dt.datetime:
        with _tenant(app).database.transaction(write=True) as conn:
            conn.execute(b.update().values(last_seen_at=long_ago))
        answer = browser.client.get("/api/v1/notifications?unread=true&limit=1", headers=headers)
        assert answer.status_code == 200 and answer.json["unread"] == 2
        with _tenant(app).database.transaction() as conn:
            (seen,) = conn.scalars(sa.select(b.c.last_seen_at)).all()  # Ann's one session
            return seen

    assert last_seen_after({"X-Plinth-Background": "1"}) == long_ago
    assert last_seen_after({}) > long_ago  # the user's own request counts as use

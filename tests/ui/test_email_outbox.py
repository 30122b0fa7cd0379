"""Without an SMTP server, e-mail goes to the local outbox: each e-mail kept once, the missing
set-up logged once per process, and the messages readable by admins only at /admin/emails."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from plinth.rules import email_outbox
from plinth.runtime import system_tables as st

ORDER = {
    "name": "order",
    "fields": [{"name": "number", "type": "text"}, {"name": "qty", "type": "integer"}],
}
MAIL_BOSS = {
    "name": "mail_boss",
    "object": "order",
    "trigger": {"type": "on_create"},
    "actions": [
        {
            "type": "notify",
            "to": ["role:admin", "ops@example.com"],
            "channels": ["email"],
            "title": "Order {{ record.number }}",
            "message": "{{ record.qty }} pieces, see https://erp.example/orders/{{ record.number }}.",
        }
    ],
}


def _kept(tenant) -> list[dict]:
    with tenant.database.transaction() as conn:
        return email_outbox.newest(conn, 100)[0]


def _order_emails(app, publish, monkeypatch, caplog) -> list[dict]:
    """Two orders, each e-mailed to the admin and to ops, with no SMTP configured."""
    monkeypatch.setattr(email_outbox, "_announced", False)
    tenant = app.extensions["plinth"].tenant
    assert not tenant.config["SMTP_HOST"]
    publish(ORDER, ("automations", MAIL_BOSS))
    with caplog.at_level(logging.INFO):
        for number, qty in (("SO-1", 2), ("SO-2", 3)):
            with tenant.session() as s:
                s.records.create("order", {"number": number, "qty": qty})
    return _kept(tenant)


def test_without_smtp_each_email_is_kept_once_and_said_once(
    app, admin, publish, monkeypatch, caplog
):
    kept = _order_emails(app, publish, monkeypatch, caplog)
    assert sorted((e["recipient"], e["subject"]) for e in kept) == [
        ("admin@example.com", "Order SO-1"),
        ("admin@example.com", "Order SO-2"),
        ("ops@example.com", "Order SO-1"),
        ("ops@example.com", "Order SO-2"),
    ]
    assert all(e["created_at"].tzinfo is not None for e in kept)
    tenant = app.extensions["plinth"].tenant
    with tenant.database.transaction() as conn:
        jobs = conn.execute(sa.select(st.job.c.status).where(st.job.c.name == "rules.email"))
        assert [row.status for row in jobs] == ["done"] * 4  # no failure, nothing to retry
    said = [r for r in caplog.records if "not configured" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if "failed" in r.getMessage()]

    # the same job run again (a replay) keeps nothing more
    with tenant.session() as s:
        email_outbox.keep(s.conn, kept[0]["job_key"], "x@example.com", "again", "", tenant.clock())
    assert len(_kept(tenant)) == 4


def test_admins_read_the_outbox_with_clickable_links_and_nobody_else_does(
    app, admin, people, publish, browser, monkeypatch, caplog
):
    _order_emails(app, publish, monkeypatch, caplog)
    people("ann", roles=[])
    browser.login("ann@example.com")
    assert browser.get("/admin/emails").status_code == 403

    admin_browser = type(browser)(app.test_client())
    admin_browser.login("admin@example.com")
    response = admin_browser.get("/admin/emails")
    page = admin_browser.text(response)
    assert response.status_code == 200
    assert "4 e-mails" in page and "ops@example.com" in page and "Order SO-2" in page
    assert page.index("Order SO-2") < page.index("Order SO-1")  # newest first
    assert (
        '<a href="https://erp.example/orders/SO-2" target="_blank" rel="noopener noreferrer">'
        "https://erp.example/orders/SO-2</a>." in page
    )  # the sentence's full stop is not part of the link
    anonymous = app.test_client().get("/admin/emails")
    assert anonymous.status_code in (302, 303, 401, 403)


def test_links_in_kept_emails_are_escaped_and_linked():
    from admin_ui.builder.emails import linkify

    html = str(linkify('<b>hi</b> https://a.example/x?y=1&z=2, "https://b.example/q"。'))
    assert html.startswith("&lt;b&gt;hi&lt;/b&gt; ")
    assert '<a href="https://a.example/x?y=1&amp;z=2"' in html and "</a>, " in html
    assert '<a href="https://b.example/q"' in html and "</a>&#34;。" in html

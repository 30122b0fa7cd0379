"""Webhooks (signed, retried, logged, no requests into private networks) and e-mail, against
real local peers."""

import hashlib
import hmac
import http.server
import json
import socket
import threading

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from plinth.config import load_config
from plinth.runtime import system_tables as st
from plinth.tenant import Tenant

ORDER = {
    "name": "order",
    "fields": [{"name": "number", "type": "text"}, {"name": "qty", "type": "integer"}],
}


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []
    fail_first = 0

    def do_POST(self):  # noqa: N802 - http.server naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        if type(self).fail_first > 0:
            type(self).fail_first -= 1
            self.send_response(503)
        else:
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received, Receiver.fail_first = [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver
    server.shutdown()


def _tenant(plinth_settings, **overrides):
    return Tenant(load_config({**plinth_settings, **overrides}, environ={}))


def test_webhooks_are_signed_retried_and_logged(
    tenant, publish, plinth_settings, receiver, monkeypatch
):
    url, handler = receiver
    monkeypatch.setenv("PLINTH_WEBHOOK_SECRET_ERP", "s3cr3t")
    publish(
        ORDER,
        (
            "automations",
            {
                "name": "to_erp",
                "object": "order",
                "trigger": {"type": "on_create"},
                "actions": [
                    {
                        "type": "webhook",
                        "url": url,
                        "secret_setting": "erp",
                        "headers": {"X-Order": "{{ record.number }}"},
                    }
                ],
            },
        ),
    )
    app_tenant = _tenant(plinth_settings, WEBHOOK_ALLOW_PRIVATE_NETWORKS=True)
    try:
        handler.fail_first = 1
        with app_tenant.session() as s:
            created = s.records.create("order", {"number": "SO-1", "qty": 2})
        with app_tenant.database.transaction() as conn:
            [job] = conn.execute(sa.select(st.job)).mappings().all()
        assert (job["status"], job["attempts"]) == ("retry", 1)  # 503: retried later
        app_tenant.clock = lambda: job["run_after"]
        app_tenant.jobs.sweep()
        with app_tenant.database.transaction() as conn:
            assert conn.scalar(sa.select(st.job.c.status)) == "done"
            log = (
                conn.execute(sa.select(st.webhook_delivery).order_by(st.webhook_delivery.c.id))
                .mappings()
                .all()
            )
    finally:
        app_tenant.dispose()
    assert [(d["attempt"], d["status_code"]) for d in log] == [(1, 503), (2, 204)]
    headers, body = handler.received[-1]
    payload = json.loads(body)
    assert payload["event"] == "on_create" and payload["data"]["record"]["number"] == "SO-1"
    assert payload["record_id"] == created["id"] and headers["X-Order"] == "SO-1"
    # The same delivery id on every retry, so receivers can drop duplicates.
    assert job["key"] == "rules.action:" + headers["X-Plinth-Delivery"]
    assert handler.received[0][0]["X-Plinth-Delivery"] == headers["X-Plinth-Delivery"]
    expected = hmac.new(
        b"s3cr3t", headers["X-Plinth-Timestamp"].encode() + b"." + body, hashlib.sha256
    )
    assert headers["X-Plinth-Signature"] == "sha256=" + expected.hexdigest()


def test_webhooks_to_private_addresses_are_refused_by_default(tenant, publish, receiver):
    url, handler = receiver
    publish(
        ORDER,
        (
            "automations",
            {
                "name": "probe",
                "object": "order",
                "trigger": {"type": "on_create"},
                "actions": [{"type": "webhook", "url": url}],
            },
        ),
    )
    with tenant.session() as s:
        s.records.create("order", {"number": "SO-2"})
    with tenant.database.transaction() as conn:
        job = conn.execute(sa.select(st.job)).mappings().one()
        delivery = conn.execute(sa.select(st.webhook_delivery)).mappings().one()
    assert job["status"] == "retry" and handler.received == []
    assert "private address" in delivery["error"]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd naming
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def test_notify_by_email(tenant, publish, plinth_settings):
    from plinth.auth.users import create_user

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with tenant.database.transaction(write=True) as conn:
            create_user(conn, "boss@example.com", None, roles=["admin"])
        publish(
            ORDER,
            (
                "automations",
                {
                    "name": "mail_boss",
                    "object": "order",
                    "trigger": {"type": "on_create"},
                    "actions": [
                        {
                            "type": "notify",
                            "to": ["role:admin", "ops@example.com"],
                            "channels": ["in_app", "email"],
                            "title": "Order {{ record.number }}",
                            "message": "{{ record.qty }} pieces",
                        }
                    ],
                },
            ),
        )
        mailer = _tenant(
            plinth_settings,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=port,
            SMTP_STARTTLS=False,
            SMTP_FROM="plinth@example.com",
        )
        try:
            with mailer.session() as s:
                s.records.create("order", {"number": "SO-3", "qty": 4})
        finally:
            mailer.dispose()
    finally:
        smtp.stop()
    recipients = sorted(r for tos, _ in inbox.messages for r in tos)
    assert recipients == ["boss@example.com", "ops@example.com"]
    assert all(
        "Subject: Order SO-3" in content and "4 pieces" in content for _, content in inbox.messages
    )

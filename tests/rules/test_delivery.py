"""Webhooks (signed, retried, logged, no requests into private networks) and e-mail, against
real local peers."""

import contextlib
import hashlib
import hmac
import http.server
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from plinth.bootstrap import build_tenant
from plinth.config import load_config
from plinth.runtime import system_tables as st

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
    # A host name, not 127.0.0.1: IP literals outside the public range are refused when
    # an automation is saved, whatever the settings say.
    yield f"http://localhost:{server.server_address[1]}/hook", Receiver
    server.shutdown()


def _tenant(plinth_settings, **overrides):
    return build_tenant(load_config({**plinth_settings, **overrides}, environ={}))


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


def test_a_host_name_of_a_private_address_is_refused_at_connect_time(tenant, publish, receiver):
    url, handler = receiver  # http://localhost:<port>/hook
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
    # Which name, which address, why, and which setting would allow it.
    assert re.search(
        r"localhost resolves to (127\.0\.0\.1|::1), a loopback address", delivery["error"]
    )
    assert "PLINTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=1" in delivery["error"]


def _hook(name: str, url: str) -> tuple[str, dict]:
    return (
        "automations",
        {
            "name": name,
            "object": "order",
            "trigger": {"type": "on_create"},
            "actions": [{"type": "webhook", "url": url}],
        },
    )


@contextlib.contextmanager
def _serving(handler):
    """A local HTTP server on 127.0.0.1 with ``handler``; yields its port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _deliveries(tenant) -> tuple[dict, list[dict]]:
    with tenant.database.transaction() as conn:
        job = conn.execute(sa.select(st.job)).mappings().one()
        log = conn.execute(sa.select(st.webhook_delivery)).mappings().all()
    return job, log


class Landing(http.server.BaseHTTPRequestHandler):
    """Where a redirect points: it must never be reached."""

    hits = 0

    def _hit(self):
        type(self).hits += 1
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = _hit  # noqa: N815 - http.server naming

    def log_message(self, *args):
        pass


class Redirector(http.server.BaseHTTPRequestHandler):
    location, hits = "", 0

    def do_POST(self):  # noqa: N802 - http.server naming
        type(self).hits += 1
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(302)
        self.send_header("Location", type(self).location)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_redirects_are_never_followed(tenant, publish, plinth_settings):
    Landing.hits = Redirector.hits = 0
    with _serving(Landing) as landing_port, _serving(Redirector) as port:
        Redirector.location = f"http://127.0.0.1:{landing_port}/inside"
        publish(ORDER, _hook("moved", f"http://localhost:{port}/hook"))
        app_tenant = _tenant(plinth_settings, WEBHOOK_ALLOW_PRIVATE_NETWORKS=True)
        try:
            with app_tenant.session() as s:
                s.records.create("order", {"number": "SO-4"})
        finally:
            app_tenant.dispose()
    job, [delivery] = _deliveries(tenant)
    assert (Redirector.hits, Landing.hits) == (1, 0)  # the local server (setting on) only
    assert job["status"] == "retry"  # a failed delivery, retried like any other
    assert delivery["status_code"] == 302
    assert delivery["error"] == (
        f"HTTP 302 redirect to http://127.0.0.1:{landing_port}/inside, not followed"
    )


def test_a_host_name_is_resolved_once_and_checked_where_it_connects(
    tenant, publish, receiver, monkeypatch
):
    """DNS rebinding: the first answer is the cloud metadata address, later ones loopback."""
    url, handler = receiver
    port = urlsplit(url).port
    real_getaddrinfo, lookups = socket.getaddrinfo, []

    def rebinding(host, *args, **kwargs):
        if host != "rebind.test":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        address = "100.100.100.200" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    publish(ORDER, _hook("rebind", f"http://rebind.test:{port}/hook"))
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with tenant.session() as s:
        s.records.create("order", {"number": "SO-5"})
    job, [delivery] = _deliveries(tenant)
    assert handler.received == [] and lookups == ["rebind.test"]
    assert job["status"] == "retry" and delivery["status_code"] is None
    assert "rebind.test resolves to 100.100.100.200" in delivery["error"]
    assert "100.64.0.0/10" in delivery["error"]


def test_with_the_setting_on_a_local_server_is_reached_directly(
    tenant, publish, plinth_settings, receiver, monkeypatch
):
    """Never through a proxy from the environment: it would connect after our checks."""
    url, handler = receiver
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{closed_port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    publish(ORDER, _hook("local", url))
    app_tenant = _tenant(plinth_settings, WEBHOOK_ALLOW_PRIVATE_NETWORKS=True)
    try:
        with app_tenant.session() as s:
            s.records.create("order", {"number": "SO-6"})
    finally:
        app_tenant.dispose()
    job, [delivery] = _deliveries(tenant)
    assert (job["status"], delivery["status_code"], delivery["error"]) == ("done", 204, None)
    [(headers, _)] = handler.received
    assert headers["Host"] == urlsplit(url).netloc


@pytest.fixture
def tls_receiver(tmp_path):
    """An HTTPS receiver for ``localhost`` (self-signed) recording the SNI names it sees."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        + ["-nodes", "-days", "1", "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names: list = []
    context.sni_callback = lambda _sock, name, _context: server_names.append(name)
    Receiver.received, Receiver.fail_first = [], 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://localhost:{server.server_address[1]}/hook", cert, server_names
    server.shutdown()
    server.server_close()


def test_https_checks_the_certificate_of_the_url_host(
    tenant, publish, plinth_settings, tls_receiver, monkeypatch
):
    """Behaviour kept: SNI and certificate verification name the URL's host."""
    url, cert, server_names = tls_receiver
    publish(ORDER, _hook("secure", url))
    app_tenant = _tenant(plinth_settings, WEBHOOK_ALLOW_PRIVATE_NETWORKS=True)
    try:
        with app_tenant.session() as s:  # the self-signed certificate is not trusted
            s.records.create("order", {"number": "SO-7"})
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now it is
        app_tenant.clock = lambda: _deliveries(tenant)[0]["run_after"]
        app_tenant.jobs.sweep()
    finally:
        app_tenant.dispose()
    job, log = _deliveries(tenant)
    assert "CERTIFICATE_VERIFY_FAILED" in log[0]["error"]
    assert (job["status"], log[1]["status_code"]) == ("done", 204)
    assert server_names == ["localhost", "localhost"]
    assert Receiver.received[0][0]["Host"] == urlsplit(url).netloc


def test_https_to_a_private_address_is_refused_before_the_tls_handshake(
    tenant, publish, tls_receiver
):
    url, _, server_names = tls_receiver
    publish(ORDER, _hook("secure", url))
    with tenant.session() as s:
        s.records.create("order", {"number": "SO-8"})
    job, [delivery] = _deliveries(tenant)
    assert job["status"] == "retry" and "a loopback address" in delivery["error"]
    assert server_names == [] and Receiver.received == []


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

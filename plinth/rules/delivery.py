"""Sending to the outside world: signed webhooks (with a delivery log) and e-mail."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import os
import smtplib
import socket
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from urllib.parse import urlsplit

from plinth.config import Config
from plinth.errors import PlinthError
from plinth.runtime import system_tables as st

SECRET_PREFIX = "PLINTH_WEBHOOK_SECRET_"


class DeliveryError(PlinthError):
    """A delivery failed (an answer, a timeout, no e-mail set up); the job is retried."""

    title = "Delivery failed"


def _check_address(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {url}")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise DeliveryError(f"cannot resolve {parts.hostname}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
        ):
            raise DeliveryError(
                f"{parts.hostname} resolves to {address}, a private address "
                "(set PLINTH_WEBHOOK_ALLOW_PRIVATE_NETWORKS=1 to allow)"
            )


def webhook_secret(name: str | None) -> bytes | None:
    if not name:
        return None
    value = os.environ.get(SECRET_PREFIX + name.upper())
    if not value:
        raise DeliveryError(f"the signing secret {SECRET_PREFIX}{name.upper()} is not set")
    return value.encode()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>``."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_webhook(
    session,
    config: Config,
    url: str,
    payload: dict,
    delivery_id: str,
    attempt: int,
    automation: str,
    secret_name: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    """POST the payload as JSON, signed; logs every attempt; raises DeliveryError to retry.

    The attempt is logged once the job's transaction has ended, committed or not, so a
    failed attempt stays in the log while the job itself is rolled back and retried.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request_headers = {
        **(headers or {}),
        "Content-Type": "application/json",
        "User-Agent": "Plinth-Webhooks/1",
        "X-Plinth-Delivery": delivery_id,
        "X-Plinth-Event": str(payload.get("event", "")),
        "X-Plinth-Timestamp": timestamp,
    }
    started = time.monotonic()
    status, error = None, None
    try:
        _check_address(url, config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"])
        secret = webhook_secret(secret_name)
        if secret is not None:
            request_headers["X-Plinth-Signature"] = sign(secret, timestamp, body)
        request = urllib.request.Request(url, data=body, headers=request_headers, method="POST")
        with urllib.request.urlopen(request, timeout=config["WEBHOOK_TIMEOUT_SECONDS"]) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, DeliveryError) as exc:
        error = str(getattr(exc, "reason", exc))
    entry = {
        "job_key": delivery_id,
        "automation": automation,
        "url": url,
        "attempt": attempt,
        "status_code": status,
        "error": error,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "created_at": dt.datetime.now(dt.UTC),
    }
    database = session.tenant.database

    def log_attempt() -> None:
        with database.transaction(write=True) as conn:
            conn.execute(st.webhook_delivery.insert(), entry)

    session.on_end(log_attempt)
    if error is not None or status is None or not 200 <= status < 300:
        raise DeliveryError(f"webhook to {url} failed: {error or status}")
    return status


def send_email(config: Config, to: str, subject: str, body: str) -> None:
    if not config["SMTP_HOST"]:
        raise DeliveryError("e-mail is not configured (PLINTH_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        smtp.send_message(message)

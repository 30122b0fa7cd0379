"""Sending to the outside world: signed webhooks (with a delivery log) and e-mail."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import smtplib
import time
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from plinth.config import Config
from plinth.errors import PlinthError
from plinth.rules import webhook_transport
from plinth.runtime import system_tables as st

if TYPE_CHECKING:
    from plinth.runtime.session import Session

SECRET_PREFIX = "PLINTH_WEBHOOK_SECRET_"


class DeliveryError(PlinthError):
    """A delivery failed (an answer, a timeout, no e-mail set up); the job is retried."""

    title = "Delivery failed"


def _check_url(url: str) -> None:
    """An http(s) URL with a host and a valid port (the address is checked on connecting)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise DeliveryError(f"not a valid URL: {url} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {url}")


def _answer_error(status: int, location: str | None) -> str | None:
    """The logged error of an answer, None for a 2xx; a redirect is a failure, never followed."""
    if 300 <= status < 400:
        # Where it pointed, so an administrator can update the URL (or spot a probe);
        # cut short because the receiver chooses it.
        return f"HTTP {status} redirect to {(location or '(no Location)')[:500]}, not followed"
    return None if 200 <= status < 300 else f"HTTP {status}"


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
    session: Session,
    config: Config,
    url: str,
    payload: dict[str, Any],
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
        _check_url(url)
        secret = webhook_secret(secret_name)
        if secret is not None:
            request_headers["X-Plinth-Signature"] = sign(secret, timestamp, body)
        status, location = webhook_transport.post(
            url,
            body,
            request_headers,
            timeout=config["WEBHOOK_TIMEOUT_SECONDS"],
            allow_private=config["WEBHOOK_ALLOW_PRIVATE_NETWORKS"],
        )
        error = _answer_error(status, location)
    except (OSError, http.client.HTTPException, UnicodeError, DeliveryError) as exc:
        # HTTPException covers a garbled answer and a path http.client refuses (InvalidURL).
        error = str(exc) or type(exc).__name__
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

"""Password login with rate limiting per email and per client address."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from plinth.auth.actor import Actor
from plinth.auth.passwords import hash_password, needs_rehash, verify_password
from plinth.errors import NotAuthenticated, TooManyRequests
from plinth.runtime import system_tables as st
from plinth.runtime.audit import audit

WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_ADDRESS = 30
KEEP_ATTEMPTS = dt.timedelta(days=2)


def check_rate(conn: Connection, email: str, ip: str, now: dt.datetime) -> None:
    """Refuse (429) after too many recent failures for this email or from this address."""
    a = st.login_attempt
    since = now - WINDOW
    for column, value, limit in (
        (a.c.email, email, MAX_FAILURES_PER_EMAIL),
        (a.c.ip, ip, MAX_FAILURES_PER_ADDRESS),
    ):
        failures = conn.execute(
            sa.select(sa.func.count(), sa.func.min(a.c.at)).where(
                column == value, a.c.at > since, a.c.success.is_(False)
            )
        ).one()
        if failures[0] >= limit:
            retry = max(1, math.ceil((failures[1] + WINDOW - now).total_seconds()))
            raise TooManyRequests(
                f"too many failed logins; try again in {math.ceil(retry / 60)} minutes", retry
            )


def verify_login(database, email: str, password: str, ip: str) -> dict[str, Any]:
    """The active user for these credentials, or NotAuthenticated / TooManyRequests.

    Every attempt is recorded (and audited) in its own transaction, so a failed login is
    counted even though the request that made it fails.
    """
    email = (email or "").strip().lower()[:254]
    now = dt.datetime.now(dt.UTC)
    with database.transaction(write=True) as conn:
        check_rate(conn, email, ip, now)
        user = conn.execute(sa.select(st.user).where(st.user.c.email == email)).mappings().first()
        stored = user["password_hash"] if user else None
        ok = verify_password(stored, password or "") and bool(user and user["active"])
        conn.execute(
            st.login_attempt.insert(), {"email": email, "ip": ip, "at": now, "success": ok}
        )
        conn.execute(st.login_attempt.delete().where(st.login_attempt.c.at < now - KEEP_ATTEMPTS))
        actor = Actor(user["id"], user["email"]) if user else None
        audit(conn, actor, "auth.login" if ok else "auth.login_failed", email, None, ip)
        if ok:
            changes = {"last_login_at": now}
            if needs_rehash(stored):
                changes["password_hash"] = hash_password(password)
            conn.execute(st.user.update().where(st.user.c.id == user["id"]).values(changes))
    if not ok:
        raise NotAuthenticated("wrong email or password, or the account is inactive")
    return dict(user)

"""Password login, slowed down per (account, address) after failures.

Guessing is slowed where it happens, so an attacker cannot lock anyone else out:

- an (account, address) pair gets ``PAIR_FREE`` failures an hour, then each further try
  waits a delay that doubles with every failure (30 s, 1 min, 2 min, ... at most 15 min);
- an address that is *known* for the account (it logged in successfully within
  ``KNOWN_FOR``) is slowed only by its own failures, so the right password from it gets
  through however many other addresses are guessing;
- other addresses are also slowed when the account as a whole is being guessed from many
  addresses (``ACCOUNT_FREE`` failures an hour) or when the address is guessing many
  accounts (``ADDRESS_FREE`` failures an hour).

So the admin's right password from their usual address works while the account is under
attack, and one person behind an office's shared address slows down only accounts nobody
there has used. Behind a reverse proxy, set ``PLINTH_TRUSTED_PROXIES`` so the address is
the client's, not the proxy's.
"""

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
from plinth.runtime.database import Database

WINDOW = dt.timedelta(hours=1)  # failures older than this are forgotten
PAIR_FREE = 5
ACCOUNT_FREE = 20
ADDRESS_FREE = 30
FIRST_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(minutes=15)
KNOWN_FOR = dt.timedelta(days=30)  # a successful login makes its address known this long
KEEP_FAILURES = dt.timedelta(days=2)


def delay_after(failures: int, free: int) -> dt.timedelta:
    """The wait after ``failures`` failures when ``free`` of them cost nothing."""
    if failures < free:
        return dt.timedelta(0)
    factor: int = 2 ** min(failures - free, 16)
    return min(FIRST_DELAY * factor, MAX_DELAY)


def _failures(
    conn: Connection, since: dt.datetime, *where: sa.ColumnElement[bool]
) -> tuple[int, dt.datetime | None]:
    a = st.login_attempt
    query = sa.select(sa.func.count(), sa.func.max(a.c.at)).where(
        *where, a.c.at > since, a.c.success.is_(False)
    )
    row = conn.execute(query).one()
    return row[0], row[1]


def _last_success(conn: Connection, email: str, ip: str, now: dt.datetime) -> dt.datetime | None:
    """When this address last logged in to this account (within KNOWN_FOR)."""
    a = st.login_attempt
    query = sa.select(sa.func.max(a.c.at)).where(
        a.c.email == email, a.c.ip == ip, a.c.success.is_(True), a.c.at > now - KNOWN_FOR
    )
    last: dt.datetime | None = conn.scalar(query)
    return last


def check_rate(conn: Connection, email: str, ip: str, now: dt.datetime) -> None:
    """Refuse (429 with the wait) while this account and address must slow down."""
    a = st.login_attempt
    since = now - WINDOW
    known = _last_success(conn, email, ip, now)
    # A success forgets the pair's earlier typos.
    pair_since = max(since, known) if known is not None else since
    checks = [(_failures(conn, pair_since, a.c.email == email, a.c.ip == ip), PAIR_FREE)]
    if known is None:
        checks.append((_failures(conn, since, a.c.email == email), ACCOUNT_FREE))
        checks.append((_failures(conn, since, a.c.ip == ip), ADDRESS_FREE))
    wait = dt.timedelta(0)
    for (count, last), free in checks:
        if last is not None:
            wait = max(wait, last + delay_after(count, free) - now)
    if wait > dt.timedelta(0):
        seconds = max(1, math.ceil(wait.total_seconds()))
        raise TooManyRequests(_wait_message(seconds), seconds)


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return f"too many failed logins; try again in {seconds} seconds"
    return f"too many failed logins; try again in {math.ceil(seconds / 60)} minutes"


def verify_login(database: Database, email: str, password: str, ip: str) -> dict[str, Any]:
    """The active user for these credentials, or NotAuthenticated / TooManyRequests.

    Every attempt is recorded (and audited) in its own transaction, so a failed login is
    counted even though the request that made it fails.
    """
    email = (email or "").strip().lower()[:254]
    ip = (ip or "")[:64]
    now = dt.datetime.now(dt.UTC)
    with database.transaction(write=True) as conn:
        check_rate(conn, email, ip, now)
        user = conn.execute(sa.select(st.user).where(st.user.c.email == email)).mappings().first()
        stored = user["password_hash"] if user else None
        ok = verify_password(stored, password or "") and bool(user and user["active"])
        conn.execute(
            st.login_attempt.insert(), {"email": email, "ip": ip, "at": now, "success": ok}
        )
        _forget_old_attempts(conn, now)
        actor = Actor(user["id"], user["email"]) if user else None
        audit(conn, actor, "auth.login" if ok else "auth.login_failed", email, None, ip)
        if ok and user is not None:  # ok implies a user
            changes: dict[str, Any] = {"last_login_at": now}
            if stored is not None and needs_rehash(stored):  # ok implies a stored hash
                changes["password_hash"] = hash_password(password)
            conn.execute(st.user.update().where(st.user.c.id == user["id"]).values(changes))
    if not ok or user is None:
        raise NotAuthenticated("wrong email or password, or the account is inactive")
    return dict(user)


def _forget_old_attempts(conn: Connection, now: dt.datetime) -> None:
    a = st.login_attempt
    conn.execute(
        a.delete().where(
            sa.or_(
                sa.and_(a.c.success.is_(False), a.c.at < now - KEEP_FAILURES),
                a.c.at < now - KNOWN_FOR,
            )
        )
    )
